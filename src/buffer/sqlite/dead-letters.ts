// Operator access to a data directory while the service is stopped: what is stored, and the dead letters
// (list, replay into the buffer, purge). Holds the directory's lock for its whole life.
import { lockDataDir } from './lock.js';
import { SqliteEngine, type EngineOptions } from './engine.js';
import { SCHEMA_VERSION } from './migrations.js';

export interface DeadLetterRow {
  seq: number;
  tenant: string;
  receivedAt: number;
  attempts: number;
  failedAt: number;
  status: number | null;
  reason: string;
  payload: string;
}

export class DataDirectory {
  readonly #engine: SqliteEngine;
  readonly #unlock: () => void;

  constructor(opts: EngineOptions) {
    this.#unlock = lockDataDir(opts.dataDir);
    try {
      this.#engine = new SqliteEngine(opts);
    } catch (err) {
      this.#unlock();
      throw err;
    }
  }

  summary() {
    const snap = this.#engine.snapshot();
    const db = this.#engine.db;
    return {
      bufferId: snap.bufferId,
      schemaVersion: SCHEMA_VERSION,
      events: snap.events,
      bytes: snap.bytes,
      deadLetters: snap.deadLetters,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      pages: db.pragma('page_count', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
      autoVacuum: ['none', 'full', 'incremental'][db.pragma('auto_vacuum', { simple: true }) as number],
      tenants: this.#engine.backlog(),
    };
  }

  listDeadLetters(tenant: string | undefined, limit: number): DeadLetterRow[] {
    const rows = this.#engine.db
      .prepare<[string | null, string | null, number], Omit<DeadLetterRow, 'payload'> & { payload: Buffer }>(
        `SELECT seq, tenant, received_at AS receivedAt, attempts, failed_at AS failedAt, status, reason, payload
         FROM dead_letters WHERE (? IS NULL OR tenant = ?) ORDER BY seq LIMIT ?`,
      )
      .all(tenant ?? null, tenant ?? null, limit);
    return rows.map((r) => ({ ...r, payload: r.payload.toString('utf8') }));
  }

  /** Moves dead letters back into the buffer as new events (new seqs, attempts reset); returns how many. */
  replay(tenant: string | undefined): number {
    const db = this.#engine.db;
    const rows = db
      .prepare<
        [string | null, string | null],
        { seq: number; tenant: string; received_at: number; payload: Buffer }
      >(
        'SELECT seq, tenant, received_at, payload FROM dead_letters WHERE (? IS NULL OR tenant = ?) ORDER BY seq',
      )
      .all(tenant ?? null, tenant ?? null);
    if (rows.length === 0) return 0;
    // One transaction for both: a crash in between can neither lose nor duplicate a letter.
    const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE seq = ?');
    db.transaction(() => {
      this.#engine.commit(
        rows.map((r) => ({ tenant: r.tenant, receivedAt: r.received_at, payload: r.payload })),
        [],
        [],
      );
      for (const r of rows) remove.run(r.seq);
    })();
    return rows.length;
  }

  purge(tenant: string | undefined): number {
    return this.#engine.db
      .prepare<[string | null, string | null]>('DELETE FROM dead_letters WHERE (? IS NULL OR tenant = ?)')
      .run(tenant ?? null, tenant ?? null).changes;
  }

  close(): void {
    this.#engine.close();
    this.#unlock();
  }
}
