// The synchronous SQLite engine: schema, one write transaction per commit, reads, dead letters and file
// maintenance. It runs on the buffer's worker thread, so fsyncs and checkpoints never block ingest.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Maintenance, type MaintenanceListener } from './maintenance.js';
import { migrate } from './migrations.js';
import { eventBytes, prepareStatements, type EventRow, type Statements } from './statements.js';
import { TenantIds } from './tenants.js';

export const DB_FILE = 'logdriver.db';
const TENANT_PRUNE_INTERVAL_MS = 60_000;

export interface EngineOptions {
  dataDir: string;
  synchronous: 'full' | 'normal' | 'off' | 'extra';
  walMaxBytes: number;
  autoVacuum: 'incremental' | 'none';
}

export interface AppendRecord {
  tenant: string;
  receivedAt: number;
  payload: Uint8Array;
}

/** An event to delete, retry or dead-letter, named by tenant and seq, with the bytes it counted. */
export interface RowRef {
  tenant: string;
  seq: number;
  bytes: number;
}

/** A whole batch as read: every event of the tenant from seq `from` to `to`, deleted in one statement. */
export interface RangeRef {
  tenant: string;
  from: number;
  to: number;
  count: number;
  bytes: number;
}

export interface CommitResult {
  committed: number;
  addedBytes: number;
  removed: number;
  removedBytes: number;
  /** Per tenant: events appended and the first one's receive time (the dispatcher's notice). */
  notice: [tenant: string, count: number, firstReceivedAt: number][];
  /** Per tenant: net change of stored events and bytes (appends minus deletes). */
  tenantDeltas: [tenant: string, events: number, bytes: number][];
  seconds: number;
}

export interface EngineSnapshot {
  bufferId: string;
  events: number;
  bytes: number;
  deadLetters: number;
  tenants: { tenant: string; events: number; bytes: number }[];
}

export function openDatabase(
  dataDir: string,
  opts: Pick<EngineOptions, 'synchronous' | 'walMaxBytes' | 'autoVacuum'>,
) {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  // auto_vacuum only takes effect before the first table exists; on an existing file it is a no-op.
  db.pragma(`auto_vacuum = ${opts.autoVacuum === 'incremental' ? 'INCREMENTAL' : 'NONE'}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous.toUpperCase()}`);
  // Checkpoints are run by Maintenance after writes, not inside whichever commit crosses the threshold.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${opts.walMaxBytes}`);
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -16384'); // 16 MiB page cache
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export class SqliteEngine {
  readonly db: Database.Database;
  readonly path: string;
  readonly #st: Statements;
  readonly #tenants: TenantIds;
  readonly #maintenance: Maintenance;
  #nextSeq: number;
  readonly #pruneTimer: NodeJS.Timeout;

  constructor(opts: EngineOptions, onMaintenance?: MaintenanceListener) {
    this.db = openDatabase(opts.dataDir, opts);
    this.path = join(opts.dataDir, DB_FILE);
    this.#st = prepareStatements(this.db);
    this.#tenants = new TenantIds(this.#st);
    this.#nextSeq = Number(this.#st.meta.get('next_seq')!.value);
    this.#maintenance = new Maintenance(this.db, this.path, opts.walMaxBytes, onMaintenance);
    this.#pruneTimer = setInterval(() => {
      try {
        this.pruneTenants();
      } catch (err) {
        onMaintenance?.({ kind: 'error', task: 'vacuum', message: (err as Error).message });
      }
    }, TENANT_PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
  }

  snapshot(): EngineSnapshot {
    const totals = this.#st.totals.get()!;
    return {
      bufferId: this.#st.meta.get('buffer_id')!.value,
      events: totals.events,
      bytes: totals.bytes,
      deadLetters: this.#st.deadLetterCount.get()!.n,
      tenants: this.#tenants.backlog(),
    };
  }

  /** Appends, deletes and retry marks in one transaction: one fsync, and inserts never starve deletes. */
  commit(
    appends: readonly AppendRecord[],
    deletes: readonly RowRef[],
    retries: readonly { rows: RowRef[]; nextAttemptAt: number }[],
    ranges: readonly RangeRef[] = [],
  ): CommitResult {
    const started = process.hrtime.bigint();
    let addedBytes = 0;
    let removed = 0;
    let removedBytes = 0;
    try {
      this.db.transaction(() => {
        let seq = this.#nextSeq;
        for (const e of appends) {
          const size = eventBytes(e.tenant, e.payload.byteLength);
          this.#st.insert.run(this.#tenants.idOf(e.tenant), seq++, e.receivedAt, e.payload);
          addedBytes += size;
          this.#tenants.add(e.tenant, 1, size);
        }
        for (const d of deletes) {
          const tid = this.#tenants.find(d.tenant);
          if (tid !== undefined && this.#st.deleteOne.run(tid, d.seq).changes > 0) {
            removed++;
            removedBytes += d.bytes;
            this.#tenants.add(d.tenant, -1, -d.bytes);
          }
        }
        for (const r of ranges) {
          const tid = this.#tenants.find(r.tenant);
          if (tid === undefined) continue;
          // The byte count is the batch's: exact when every row was still there, which a range always is
          // (rows leave only through their own batch's ack or dead-lettering).
          const n = this.#st.deleteRange.run(tid, r.from, r.to).changes;
          const bytes = n === r.count ? r.bytes : Math.round((r.bytes * n) / r.count);
          removed += n;
          removedBytes += bytes;
          this.#tenants.add(r.tenant, -n, -bytes);
        }
        for (const r of retries) {
          for (const row of r.rows) {
            const tid = this.#tenants.find(row.tenant);
            if (tid !== undefined) this.#st.retryOne.run(r.nextAttemptAt, tid, row.seq);
          }
        }
        if (appends.length > 0) this.#st.setNextSeq.run(String(seq));
        this.#tenants.writeDelta();
        this.#st.addTotals.run(appends.length - removed, addedBytes - removedBytes);
        this.#nextSeq = seq;
      })();
    } catch (err) {
      this.#tenants.rollback();
      throw err;
    }
    const tenantDeltas = this.#tenants.commit();
    const notice = new Map<string, [string, number, number]>();
    for (const e of appends) {
      const t = notice.get(e.tenant);
      if (t) t[1]++;
      else notice.set(e.tenant, [e.tenant, 1, e.receivedAt]);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#maintenance.afterWrite();
    return {
      committed: appends.length,
      addedBytes,
      removed,
      removedBytes,
      notice: [...notice.values()],
      tenantDeltas,
      seconds,
    };
  }

  read(tenant: string, afterSeq: number, limit: number, maxBytes: number): EventRow[] {
    const tid = this.#tenants.find(tenant);
    const out: EventRow[] = [];
    if (tid === undefined) return out;
    let bytes = 0;
    for (const row of this.#st.readTenant.iterate(tid, afterSeq, limit)) {
      if (out.length > 0 && bytes + row.payload.byteLength > maxBytes) break;
      bytes += row.payload.byteLength;
      out.push(row);
    }
    return out;
  }

  /** Moves the rows to dead_letters in one transaction; returns how many moved and their bytes. */
  deadLetter(letters: readonly { row: RowRef; status: number | null; reason: string }[]): {
    removed: number;
    bytes: number;
    tenantDeltas: [string, number, number][];
  } {
    const now = Date.now();
    let removed = 0;
    let bytes = 0;
    try {
      this.db.transaction(() => {
        for (const { row, status, reason } of letters) {
          const tid = this.#tenants.find(row.tenant);
          if (tid === undefined) continue;
          if (this.#st.moveToDeadLetters.run(row.tenant, now, status, reason, tid, row.seq).changes === 0)
            continue;
          this.#st.deleteOne.run(tid, row.seq);
          removed++;
          bytes += row.bytes;
          this.#tenants.add(row.tenant, -1, -row.bytes);
        }
        this.#tenants.writeDelta();
        this.#st.addTotals.run(-removed, -bytes);
      })();
    } catch (err) {
      this.#tenants.rollback();
      throw err;
    }
    const tenantDeltas = this.#tenants.commit();
    this.#maintenance.afterWrite();
    return { removed, bytes, tenantDeltas };
  }

  /** Tenants with stored events: counts from the tenants table, oldest receive time by one index seek each. */
  backlog(): { tenant: string; events: number; bytes: number; oldestReceivedAt: number }[] {
    const out = [];
    for (const t of this.#tenants.backlog()) {
      const oldest = this.#st.oldest.get(this.#tenants.find(t.tenant)!);
      if (oldest) out.push({ ...t, oldestReceivedAt: oldest.received_at });
    }
    return out;
  }

  vacuumStep(): number {
    return this.#maintenance.vacuumStep();
  }

  /** Drops tenants with nothing stored; returns how many. */
  pruneTenants(): number {
    return this.db.transaction(() => this.#tenants.prune())();
  }

  close(): void {
    clearInterval(this.#pruneTimer);
    this.#maintenance.close();
    this.db.pragma('optimize');
    this.db.close();
  }
}
