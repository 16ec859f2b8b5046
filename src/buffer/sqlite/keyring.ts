// The buffer's keys against its database: on open, every configured key must match the key check stored for
// its id, and every key id that stored rows use must be configured; otherwise the open fails and nothing is
// written. Also the dead letter that stands for a chunk that could not be read.
import type { Database } from 'better-sqlite3';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { RecordCipher, keyCheck, sameCheck, type BufferKey } from './crypto.js';
import type { DeadLetterRecord } from './statements.js';

const CHECK_PREFIX = 'key_check:';

export interface Keyring {
  /** Undefined when no key is configured: records are written in clear text. */
  readonly cipher: RecordCipher | undefined;
  /** Something worth a warning at start (encryption was used before and is off now). */
  readonly warning?: string;
}

/** Key ids that stored chunks and dead letters use, with how many rows of each. */
export function keyIdsInUse(db: Database): Map<string, { chunks: number; deadLetters: number }> {
  const out = new Map<string, { chunks: number; deadLetters: number }>();
  const count = (table: 'chunks' | 'dead_letters') =>
    db
      .prepare<[], { id: string; n: number }>(
        `SELECT key_id AS id, count(*) AS n FROM ${table} WHERE key_id IS NOT NULL GROUP BY key_id`,
      )
      .all();
  for (const r of count('chunks')) out.set(r.id, { chunks: r.n, deadLetters: 0 });
  for (const r of count('dead_letters')) {
    const e = out.get(r.id);
    if (e) e.deadLetters = r.n;
    else out.set(r.id, { chunks: 0, deadLetters: r.n });
  }
  return out;
}

function describeUse(ids: string[], inUse: ReturnType<typeof keyIdsInUse>): string {
  return ids
    .map((id) => {
      const u = inUse.get(id)!;
      return `"${id}" (${u.chunks} chunks, ${u.deadLetters} dead letters)`;
    })
    .join(', ');
}

export function openKeyring(db: Database, bufferId: string, keys: readonly BufferKey[] | undefined): Keyring {
  const inUse = keyIdsInUse(db);
  const checks = db
    .prepare<[], { key: string; value: string }>(`SELECT key, value FROM meta WHERE key GLOB 'key_check:*'`)
    .all();
  if (!keys || keys.length === 0) {
    if (inUse.size > 0) {
      const ids = [...inUse.keys()].sort();
      throw new LogdriverError(
        ErrorCodes.BUFFER_KEY,
        `the buffer holds records encrypted with key ${describeUse(ids, inUse)} and buffer.encryption is not ` +
          `configured: list ${ids.length > 1 ? 'those keys' : 'that key'} under buffer.encryption.keys`,
      );
    }
    return {
      cipher: undefined,
      warning:
        checks.length > 0
          ? 'buffer.encryption is not configured but this buffer was encrypted before: new events are stored in clear text'
          : undefined,
    };
  }
  const missing = [...inUse.keys()].filter((id) => !keys.some((k) => k.id === id)).sort();
  if (missing.length > 0) {
    throw new LogdriverError(
      ErrorCodes.BUFFER_KEY,
      `the buffer holds records encrypted with key ${describeUse(missing, inUse)}, which ` +
        'buffer.encryption.keys does not list: add it back (after a rotation, keep the old key until ' +
        '`logdriver rekey` has run)',
    );
  }
  const stored = new Map(checks.map((c) => [c.key.slice(CHECK_PREFIX.length), c.value]));
  const fresh: [string, string][] = [];
  for (const k of keys) {
    const check = keyCheck(k.key, bufferId);
    const known = stored.get(k.id);
    if (known === undefined) fresh.push([k.id, check]);
    else if (!sameCheck(known, check))
      throw new LogdriverError(
        ErrorCodes.BUFFER_KEY,
        `buffer.encryption key "${k.id}" is not the key this buffer was encrypted with under that id ` +
          '(its key check in the data directory fails): a wrong key file or value; nothing was changed',
      );
  }
  // Only once every check passed: a refused start writes nothing.
  if (fresh.length > 0) {
    const put = db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (const [id, check] of fresh) put.run(CHECK_PREFIX + id, check);
    })();
  }
  return { cipher: new RecordCipher(keys, bufferId) };
}

/** A stored chunk as far as its directory row tells (its lines could not be read). */
export interface UnreadableChunk {
  readonly id: number;
  readonly tenant: string;
  readonly firstSeq: number;
  readonly count: number;
  readonly firstReceivedAt: number;
  readonly attempts: number;
}

/**
 * The one dead letter that stands for a chunk whose lines failed authentication: its events cannot be
 * decoded, so it records what the directory row knows (tenant, count, first seq and receive time) under the
 * first event's seq, with a small JSON payload saying so (a replay delivers that notice, not garbage).
 */
export function unreadableChunkLetter(c: UnreadableChunk, why: string, failedAt: number): DeadLetterRecord {
  const notice = {
    tenantId: c.tenant,
    logdriverUnreadableChunk: { chunk: c.id, events: c.count, firstSeq: c.firstSeq, reason: why },
  };
  return {
    seq: c.firstSeq,
    tenant: c.tenant,
    receivedAt: c.firstReceivedAt,
    attempts: c.attempts,
    failedAt,
    status: null,
    reason:
      `chunk ${c.id} ${why}: its ${c.count} events (seq ${c.firstSeq} onwards) could not be read ` +
      'and cannot be delivered',
    payload: Buffer.from(JSON.stringify(notice)),
  };
}
