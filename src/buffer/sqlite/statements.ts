// Every SQL statement the engine runs, prepared once per connection.
import type { Database } from 'better-sqlite3';

/** A chunk's directory row (everything but its bytes). */
export interface ChunkRow {
  id: number;
  tenant: string;
  firstSeq: number;
  count: number;
  bytes: number;
  firstReceivedAt: number;
  attempts: number;
  notBefore: number;
}

export interface DeadLetterRecord {
  seq: number;
  tenant: string;
  receivedAt: number;
  attempts: number;
  failedAt: number;
  status: number | null;
  reason: string;
  payload: Uint8Array;
}

export function prepareStatements(db: Database) {
  return {
    insertChunk: db.prepare<[number, string, number, number, number, number, number, number, string | null]>(
      `INSERT INTO chunks (id, tenant, first_seq, count, bytes, first_received_at, attempts, next_attempt_at,
                           key_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertLines: db.prepare<[number, Uint8Array]>('INSERT INTO chunk_lines (id, lines) VALUES (?, ?)'),
    /** A chunk's remainder after some of its events were acknowledged or dead-lettered. */
    rewriteChunk: db.prepare<[number, number, number, number, string | null, number]>(
      'UPDATE chunks SET first_seq = ?, count = ?, bytes = ?, first_received_at = ?, key_id = ? WHERE id = ?',
    ),
    rewriteLines: db.prepare<[Uint8Array, number]>('UPDATE chunk_lines SET lines = ? WHERE id = ?'),
    retryChunk: db.prepare<[number, number, number]>(
      'UPDATE chunks SET attempts = ?, next_attempt_at = ? WHERE id = ?',
    ),
    deleteChunk: db.prepare<[number]>('DELETE FROM chunks WHERE id = ?'),
    deleteLines: db.prepare<[number]>('DELETE FROM chunk_lines WHERE id = ?'),
    lines: db.prepare<[number], { lines: Buffer }>('SELECT lines FROM chunk_lines WHERE id = ?'),
    /** A chunk's bytes with its tenant (what its record is bound to when encrypted). */
    linesOf: db.prepare<[number], { lines: Buffer; tenant: string; keyId: string | null }>(
      'SELECT l.lines, c.tenant, c.key_id AS keyId FROM chunk_lines l JOIN chunks c ON c.id = l.id WHERE l.id = ?',
    ),
    directory: db.prepare<[], ChunkRow>(
      `SELECT id, tenant, first_seq AS firstSeq, count, bytes, first_received_at AS firstReceivedAt, attempts,
              next_attempt_at AS notBefore FROM chunks ORDER BY id`,
    ),
    insertDeadLetter: db.prepare<
      [number, string, number, number, number, number | null, string, Uint8Array, string | null]
    >(
      `INSERT OR IGNORE INTO dead_letters (seq, tenant, received_at, attempts, failed_at, status, reason, payload,
                                           key_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteDeadLetter: db.prepare<[number]>('DELETE FROM dead_letters WHERE seq = ?'),
    deadLetterCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters'),
    meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare<[string, string]>('UPDATE meta SET value = ? WHERE key = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
