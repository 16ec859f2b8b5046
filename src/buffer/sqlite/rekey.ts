// `logdriver rekey`: rewrites every chunk and dead letter that is not under the first configured key (clear
// text rows included) with that key, in bounded transactions, so older keys can then leave the config. Runs
// on a stopped service (the data directory's lock). A row that fails authentication cannot be rewritten: a
// chunk becomes the dead letter the service would make of it, a dead letter's payload becomes a notice.
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { SqliteEngine } from './engine.js';
import { unreadableChunkLetter } from './keyring.js';

export interface RekeyResult {
  /** The key every record is now encrypted with. */
  readonly keyId: string;
  chunks: number;
  deadLetters: number;
  /** Chunks that failed authentication and were dead-lettered instead (one letter each). */
  unreadableChunks: number;
  /** Dead letters whose payload failed authentication and was replaced by a notice. */
  unreadableDeadLetters: number;
}

export interface RekeyOptions {
  /** Rows per transaction (chunks are up to buffer.chunkMaxBytes each). */
  chunkRows?: number;
  deadLetterRows?: number;
  /** After each transaction, the totals so far. */
  onProgress?: (r: RekeyResult) => void;
}

/** The WAL is checkpointed and truncated after about this many bytes rewritten. */
const CHECKPOINT_BYTES = 64 * 1024 * 1024;

export function rekeyBuffer(engine: SqliteEngine, opts: RekeyOptions = {}): RekeyResult {
  const cipher = engine.cipher;
  if (!cipher)
    throw new LogdriverError(
      ErrorCodes.BUFFER_KEY,
      'rekey needs buffer.encryption.keys in the config: every record is rewritten with the first key',
    );
  const db = engine.db;
  // Freed pages are zeroed, so the clear text (or old ciphertext) of rewritten rows does not linger in the file.
  db.pragma('secure_delete = ON');
  const target = cipher.keyId;
  const result: RekeyResult = {
    keyId: target,
    chunks: 0,
    deadLetters: 0,
    unreadableChunks: 0,
    unreadableDeadLetters: 0,
  };
  let written = 0;
  const checkpoint = (force: boolean) => {
    if (!force && written < CHECKPOINT_BYTES) return;
    db.pragma('wal_checkpoint(TRUNCATE)');
    written = 0;
  };

  const chunkPage = db.prepare<
    [number, string, number],
    {
      id: number;
      tenant: string;
      firstSeq: number;
      count: number;
      firstReceivedAt: number;
      attempts: number;
      lines: Buffer;
      keyId: string | null;
    }
  >(
    `SELECT c.id, c.tenant, c.first_seq AS firstSeq, c.count, c.first_received_at AS firstReceivedAt, c.attempts,
            l.lines, c.key_id AS keyId
     FROM chunks c JOIN chunk_lines l ON l.id = c.id
     WHERE c.id > ? AND (c.key_id IS NULL OR c.key_id <> ?) ORDER BY c.id LIMIT ?`,
  );
  const setChunkKey = db.prepare<[string | null, number]>('UPDATE chunks SET key_id = ? WHERE id = ?');
  const setLines = db.prepare<[Uint8Array, number]>('UPDATE chunk_lines SET lines = ? WHERE id = ?');
  const dropChunk = db.prepare<[number]>('DELETE FROM chunks WHERE id = ?');
  const dropLines = db.prepare<[number]>('DELETE FROM chunk_lines WHERE id = ?');
  const addLetter = db.prepare<[number, string, number, number, number, string, Uint8Array, string | null]>(
    `INSERT OR IGNORE INTO dead_letters (seq, tenant, received_at, attempts, failed_at, status, reason, payload,
                                         key_id)
     VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  );
  let after = 0;
  for (;;) {
    const rows = chunkPage.all(after, target, opts.chunkRows ?? 32);
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const r of rows) {
        const ctx = { kind: 'chunk', id: r.id, tenant: r.tenant } as const;
        let plain: Buffer;
        try {
          plain = engine.open(r.lines, ctx, r.keyId);
        } catch (err) {
          const letter = unreadableChunkLetter(r, (err as Error).message, Date.now());
          const [payload, keyId] = engine.seal(letter.payload, {
            kind: 'dead_letter',
            seq: letter.seq,
            tenant: letter.tenant,
          });
          addLetter.run(
            letter.seq,
            letter.tenant,
            letter.receivedAt,
            letter.attempts,
            letter.failedAt,
            letter.reason,
            payload,
            keyId,
          );
          dropChunk.run(r.id);
          dropLines.run(r.id);
          result.unreadableChunks++;
          continue;
        }
        const [sealed, keyId] = engine.seal(plain, ctx);
        setLines.run(sealed, r.id);
        setChunkKey.run(keyId, r.id);
        written += sealed.length;
        result.chunks++;
      }
    })();
    after = rows[rows.length - 1]!.id;
    opts.onProgress?.(result);
    checkpoint(false);
  }

  const letterPage = db.prepare<
    [number, string, number],
    { seq: number; tenant: string; reason: string; payload: Buffer; keyId: string | null }
  >(
    `SELECT seq, tenant, reason, payload, key_id AS keyId FROM dead_letters
     WHERE seq > ? AND (key_id IS NULL OR key_id <> ?) ORDER BY seq LIMIT ?`,
  );
  const setLetter = db.prepare<[Uint8Array, string | null, string, number]>(
    'UPDATE dead_letters SET payload = ?, key_id = ?, reason = ? WHERE seq = ?',
  );
  let afterSeq = 0;
  for (;;) {
    const rows = letterPage.all(afterSeq, target, opts.deadLetterRows ?? 500);
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const r of rows) {
        const ctx = { kind: 'dead_letter', seq: r.seq, tenant: r.tenant } as const;
        let plain: Buffer;
        let reason = r.reason;
        try {
          plain = engine.open(r.payload, ctx, r.keyId);
          result.deadLetters++;
        } catch (err) {
          const why = (err as Error).message;
          plain = Buffer.from(
            JSON.stringify({
              tenantId: r.tenant,
              logdriverUnreadableDeadLetter: { seq: r.seq, reason: why },
            }),
          );
          reason = `${r.reason} [its payload ${why} during rekey and was replaced by a notice]`;
          result.unreadableDeadLetters++;
        }
        const [sealed, keyId] = engine.seal(plain, ctx);
        setLetter.run(sealed, keyId, reason, r.seq);
        written += sealed.length;
      }
    })();
    afterSeq = rows[rows.length - 1]!.seq;
    opts.onProgress?.(result);
    checkpoint(false);
  }
  checkpoint(true);
  return result;
}
