// Every SQL statement the store runs, prepared once per connection.
import type { Database } from 'better-sqlite3';

export interface EventRow {
  tid: number;
  seq: number;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  payload: Buffer;
}

/** Bytes an event counts against buffer.maxBytes: its payload, its tenant and a fixed row overhead. */
export const ROW_OVERHEAD_BYTES = 48;

export function eventBytes(tenant: string, payloadBytes: number): number {
  return payloadBytes + Buffer.byteLength(tenant) + ROW_OVERHEAD_BYTES;
}

export function prepareStatements(db: Database) {
  return {
    insert: db.prepare<[number, number, number, Uint8Array]>(
      'INSERT INTO events (tid, seq, received_at, payload) VALUES (?, ?, ?, ?)',
    ),
    readTenant: db.prepare<[number, number, number], EventRow>(
      `SELECT tid, seq, received_at, attempts, next_attempt_at, payload FROM events
       WHERE tid = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    deleteOne: db.prepare<[number, number]>('DELETE FROM events WHERE tid = ? AND seq = ?'),
    deleteRange: db.prepare<[number, number, number]>(
      'DELETE FROM events WHERE tid = ? AND seq BETWEEN ? AND ?',
    ),
    retryOne: db.prepare<[number, number, number]>(
      'UPDATE events SET attempts = attempts + 1, next_attempt_at = ? WHERE tid = ? AND seq = ?',
    ),
    moveToDeadLetters: db.prepare<[string, number, number | null, string, number, number]>(
      `INSERT INTO dead_letters (seq, tenant, received_at, attempts, failed_at, status, reason, payload)
       SELECT seq, ?, received_at, attempts + 1, ?, ?, ?, payload FROM events WHERE tid = ? AND seq = ?`,
    ),
    addTotals: db.prepare<[number, number]>(
      'UPDATE totals SET events = events + ?, bytes = bytes + ? WHERE id = 1',
    ),
    totals: db.prepare<[], { events: number; bytes: number }>(
      'SELECT events, bytes FROM totals WHERE id = 1',
    ),
    setNextSeq: db.prepare<[string]>(`UPDATE meta SET value = ? WHERE key = 'next_seq'`),
    tenants: db.prepare<[], { tid: number; name: string; events: number; bytes: number }>(
      'SELECT tid, name, events, bytes FROM tenants',
    ),
    addTenantTotals: db.prepare<[number, number, number]>(
      'UPDATE tenants SET events = events + ?, bytes = bytes + ? WHERE tid = ?',
    ),
    addTenant: db.prepare<[string]>('INSERT INTO tenants (name) VALUES (?)'),
    removeTenant: db.prepare<[number]>('DELETE FROM tenants WHERE tid = ? AND events = 0'),
    /** Oldest event of a tenant: an index seek, so start-up costs one lookup per tenant, not a scan. */
    oldest: db.prepare<[number], { seq: number; received_at: number }>(
      'SELECT seq, received_at FROM events WHERE tid = ? ORDER BY seq LIMIT 1',
    ),
    deadLetterCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters'),
    meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
