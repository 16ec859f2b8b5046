// Dead-letter reads and deletes for a running service (the admin API): run on the buffer's worker thread,
// which owns the connection and the keys, so payloads are decrypted there and never block ingest.
import type { SqliteEngine } from './engine.js';

/** Filters of a dead-letter listing; `afterSeq` is the paging cursor (letters are listed by seq). */
export interface LetterQuery {
  tenant?: string | undefined;
  /** failed_at (ms since epoch) bounds: since inclusive, until exclusive. */
  since?: number | undefined;
  until?: number | undefined;
  afterSeq?: number | undefined;
  limit: number;
}

/** A dead letter as the admin API and `dlq list` show it: the event as text, never bytes. */
export interface LetterView {
  seq: number;
  tenant: string;
  receivedAt: number;
  attempts: number;
  failedAt: number;
  status: number | null;
  reason: string;
  payload: string;
}

/** A dead letter read for replay: its plain event bytes. */
export interface LetterForReplay {
  seq: number;
  tenant: string;
  receivedAt: number;
  payload: Uint8Array;
}

interface LetterRow extends Omit<LetterView, 'payload'> {
  payload: Buffer;
  keyId: string | null;
}

const COLUMNS = `seq, tenant, received_at AS receivedAt, attempts, failed_at AS failedAt, status, reason, payload,
                 key_id AS keyId`;

/** The plain payload, or undefined when the record does not authenticate (tampered, wrong key). */
function openLetter(engine: SqliteEngine, r: LetterRow): Buffer | undefined {
  try {
    return engine.open(r.payload, { kind: 'dead_letter', seq: r.seq, tenant: r.tenant }, r.keyId);
  } catch {
    return undefined;
  }
}

export function listLetters(engine: SqliteEngine, q: LetterQuery): LetterView[] {
  const rows = engine.db
    .prepare<[string | null, string | null, number, number, number, number], LetterRow>(
      `SELECT ${COLUMNS} FROM dead_letters
       WHERE (? IS NULL OR tenant = ?) AND failed_at >= ? AND failed_at < ? AND seq > ?
       ORDER BY seq LIMIT ?`,
    )
    .all(
      q.tenant ?? null,
      q.tenant ?? null,
      q.since ?? 0,
      q.until ?? Number.MAX_SAFE_INTEGER,
      q.afterSeq ?? 0,
      q.limit,
    );
  return rows.map(({ keyId, ...r }) => {
    const payload = openLetter(engine, { ...r, keyId });
    // An unreadable payload is said so, never shown as bytes.
    if (payload) return { ...r, payload: payload.toString('utf8') };
    return { ...r, payload: '', reason: `${r.reason} [payload unreadable: failed authentication]` };
  });
}

/**
 * The next letters to replay, oldest first (seq order is each tenant's order), after `afterSeq`. Letters that
 * do not authenticate are left where they are and counted in `unreadable`; `lastSeq` is where to go on from.
 */
export function lettersForReplay(
  engine: SqliteEngine,
  tenant: string | undefined,
  afterSeq: number,
  limit: number,
): { letters: LetterForReplay[]; unreadable: number; lastSeq: number | undefined } {
  const rows = engine.db
    .prepare<[string | null, string | null, number, number], LetterRow>(
      `SELECT ${COLUMNS} FROM dead_letters WHERE (? IS NULL OR tenant = ?) AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .all(tenant ?? null, tenant ?? null, afterSeq, limit);
  const letters: LetterForReplay[] = [];
  let unreadable = 0;
  for (const r of rows) {
    const payload = openLetter(engine, r);
    if (!payload) unreadable++;
    else letters.push({ seq: r.seq, tenant: r.tenant, receivedAt: r.receivedAt, payload });
  }
  return { letters, unreadable, lastSeq: rows.at(-1)?.seq };
}

/** Deletes one tenant's letters (or every letter when tenant is undefined); returns how many. */
export function purgeLetters(engine: SqliteEngine, tenant: string | undefined): number {
  return engine.db
    .prepare<[string | null, string | null]>('DELETE FROM dead_letters WHERE (? IS NULL OR tenant = ?)')
    .run(tenant ?? null, tenant ?? null).changes;
}

/** Dead letters per tenant, in one pass over the (tenant, seq) index. */
export function letterCounts(engine: SqliteEngine): { tenant: string; count: number }[] {
  return engine.db
    .prepare<[], { tenant: string; count: number }>(
      'SELECT tenant, count(*) AS count FROM dead_letters GROUP BY tenant',
    )
    .all();
}
