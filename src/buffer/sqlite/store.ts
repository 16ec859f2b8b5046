// The SQLite buffer: WAL, one write transaction per event-loop turn (appends and ack-deletes together, so
// neither starves the other), dead letters, a byte cap, deliberate checkpoints.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type {
  BufferStats,
  CommitNotice,
  DeadLetter,
  EventBuffer,
  IncomingEvent,
  StoredEvent,
  TenantBacklog,
} from '../types.js';
import { Maintenance } from './maintenance.js';
import { migrate } from './migrations.js';
import { eventBytes, prepareStatements, type EventRow, type Statements } from './statements.js';
import { TenantIds } from './tenants.js';
import { Deferred } from './deferred.js';

export interface SqliteBufferOptions {
  dataDir: string;
  synchronous: 'full' | 'normal' | 'off' | 'extra';
  maxBytes: number;
  commitMaxEvents: number;
  commitWaitMs: number;
  walMaxBytes: number;
  autoVacuum: 'incremental' | 'none';
  telemetry: Telemetry;
}

export const DB_FILE = 'logdriver.db';

export class SqliteBuffer implements EventBuffer {
  readonly bufferId: string;
  readonly path: string;
  readonly db: Database.Database;
  readonly #opts: SqliteBufferOptions;
  readonly #st: Statements;
  readonly #tenants: TenantIds;
  readonly #maintenance: Maintenance;
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  #appends: IncomingEvent[] = [];
  /** Bytes of #appends: counted against the cap before they commit, so one busy turn cannot overshoot it. */
  #appendBytes = 0;
  #deletes: StoredEvent[] = [];
  #turn: Deferred | undefined;
  #flushScheduled = false;
  #nextSeq: number;
  #events: number;
  #bytes: number;
  #deadLetters: number;
  #notFullWaiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: SqliteBufferOptions) {
    this.#opts = opts;
    mkdirSync(opts.dataDir, { recursive: true });
    this.path = join(opts.dataDir, DB_FILE);
    this.db = new Database(this.path);
    // auto_vacuum only takes effect before the first table exists; on an existing file it is a no-op.
    this.db.pragma(`auto_vacuum = ${opts.autoVacuum === 'incremental' ? 'INCREMENTAL' : 'NONE'}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous.toUpperCase()}`);
    // Checkpoints are run by Maintenance after writes, not inside whichever commit crosses the threshold.
    this.db.pragma('wal_autocheckpoint = 0');
    this.db.pragma(`journal_size_limit = ${opts.walMaxBytes}`);
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('cache_size = -32768'); // 32 MiB page cache
    migrate(this.db);
    this.#st = prepareStatements(this.db);
    this.#tenants = new TenantIds(this.#st);
    this.bufferId = this.#st.meta.get('buffer_id')!.value;
    this.#nextSeq = Number(this.#st.meta.get('next_seq')!.value);
    const totals = this.#st.totals.get()!;
    this.#events = totals.events;
    this.#bytes = totals.bytes;
    this.#deadLetters = this.#st.deadLetterCount.get()!.n;
    this.#maintenance = new Maintenance(this.db, this.path, opts.walMaxBytes, opts.telemetry);
  }

  append(events: readonly IncomingEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    for (const e of events) {
      this.#appends.push(e);
      this.#appendBytes += eventBytes(e.tenant, e.payload);
    }
    return this.#schedule(this.#appends.length >= this.#opts.commitMaxEvents);
  }

  ack(events: readonly StoredEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    for (const e of events) this.#deletes.push(e);
    return this.#schedule(false);
  }

  /** Joins the current turn's transaction; `now` commits at once (the pending batch reached its cap). */
  #schedule(now: boolean): Promise<void> {
    this.#turn ??= new Deferred();
    const promise = this.#turn.promise;
    if (now) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // setImmediate runs after pending I/O callbacks: everything received in this turn shares the commit.
      if (this.#opts.commitWaitMs > 0) setTimeout(() => this.#flush(), this.#opts.commitWaitMs);
      else setImmediate(() => this.#flush());
    }
    return promise;
  }

  /** Commits pending appends and deletes in one transaction (one fsync) and settles the turn's promise. */
  #flush(): void {
    this.#flushScheduled = false;
    const appends = this.#appends;
    const deletes = this.#deletes;
    const turn = this.#turn;
    if (!turn) return;
    this.#appends = [];
    this.#appendBytes = 0;
    this.#deletes = [];
    this.#turn = undefined;
    const started = process.hrtime.bigint();
    let addedBytes = 0;
    let removed = 0;
    let removedBytes = 0;
    try {
      this.db.transaction(() => {
        let seq = this.#nextSeq;
        for (const e of appends) {
          this.#st.insert.run(this.#tenants.idOf(e.tenant), seq++, e.receivedAt, e.payload);
          const size = eventBytes(e.tenant, e.payload);
          addedBytes += size;
          this.#tenants.add(e.tenant, 1, size);
        }
        for (const e of deletes) {
          const tid = this.#tenants.find(e.tenant);
          if (tid !== undefined && this.#st.deleteOne.run(tid, e.seq).changes > 0) {
            const size = eventBytes(e.tenant, e.payload);
            removed++;
            removedBytes += size;
            this.#tenants.add(e.tenant, -1, -size);
          }
        }
        this.#tenants.writeDelta();
        if (appends.length > 0) this.#st.setNextSeq.run(String(seq));
        this.#st.addTotals.run(appends.length - removed, addedBytes - removedBytes);
        this.#nextSeq = seq;
      })();
    } catch (err) {
      this.#tenants.rollback();
      this.#opts.telemetry.commitFailed(err, appends.length);
      turn.reject(new LogdriverError(ErrorCodes.BUFFER_COMMIT, 'committing to the buffer failed', { cause: err }));
      this.#wakeNotFull();
      return;
    }
    this.#tenants.commit();
    this.#events += appends.length - removed;
    this.#bytes += addedBytes - removedBytes;
    if (appends.length > 0) {
      this.#opts.telemetry.eventsCommitted(appends.length, addedBytes, Number(process.hrtime.bigint() - started) / 1e9);
    }
    turn.resolve();
    this.#maintenance.afterWrite();
    if (removed > 0) this.#wakeNotFull();
    if (appends.length > 0) this.#notify(appends);
  }

  #notify(appends: readonly IncomingEvent[]): void {
    const notice = new Map<string, { count: number; firstReceivedAt: number }>();
    for (const e of appends) {
      const t = notice.get(e.tenant);
      if (t) t.count++;
      else notice.set(e.tenant, { count: 1, firstReceivedAt: e.receivedAt });
    }
    for (const l of this.#listeners) l(notice);
  }

  isFull(): boolean {
    return this.#bytes + this.#appendBytes >= this.#opts.maxBytes;
  }

  whenNotFull(): Promise<void> {
    if (!this.isFull() || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#notFullWaiters.push(resolve));
  }

  #wakeNotFull(): void {
    if (this.isFull() || this.#notFullWaiters.length === 0) return;
    const waiters = this.#notFullWaiters;
    this.#notFullWaiters = [];
    for (const w of waiters) w();
  }

  onCommit(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  backlog(): Promise<TenantBacklog[]> {
    const out: TenantBacklog[] = [];
    for (const { tenant, events, bytes } of this.#tenants.backlog()) {
      const oldest = this.#st.oldest.get(this.#tenants.find(tenant)!);
      if (oldest) out.push({ tenant, events, bytes, oldestReceivedAt: oldest.received_at });
    }
    return Promise.resolve(out);
  }

  /** The tenants with the largest backlogs, from in-memory counts (cheap: for stats every second). */
  topTenants(n: number): { tenant: string; events: number; bytes: number }[] {
    return this.#tenants.backlog().slice(0, n);
  }

  read(tenant: string, afterSeq: number, limit: number, maxBytes: number): Promise<StoredEvent[]> {
    const tid = this.#tenants.find(tenant);
    const out: StoredEvent[] = [];
    if (tid === undefined) return Promise.resolve(out);
    let bytes = 0;
    for (const row of this.#st.readTenant.iterate(tid, afterSeq, limit)) {
      if (out.length > 0 && bytes + row.payload.byteLength > maxBytes) break;
      bytes += row.payload.byteLength;
      out.push(this.#toStored(tenant, row));
    }
    return Promise.resolve(out);
  }

  #toStored(tenant: string, row: EventRow): StoredEvent {
    return {
      seq: row.seq,
      id: `${this.bufferId}-${row.seq}`,
      tenant,
      receivedAt: row.received_at,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      payload: row.payload,
    };
  }

  retryLater(events: readonly StoredEvent[], nextAttemptAt: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.db.transaction(() => {
      for (const e of events) {
        const tid = this.#tenants.find(e.tenant);
        if (tid !== undefined) this.#st.retryOne.run(nextAttemptAt, tid, e.seq);
      }
    })();
    this.#maintenance.afterWrite();
    return Promise.resolve();
  }

  deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const now = Date.now();
    let removed = 0;
    let bytes = 0;
    this.db.transaction(() => {
      for (const { event: e, status, reason } of letters) {
        const tid = this.#tenants.find(e.tenant);
        if (tid === undefined) continue;
        if (this.#st.moveToDeadLetters.run(e.tenant, now, status, reason, tid, e.seq).changes === 0) continue;
        this.#st.deleteOne.run(tid, e.seq);
        const size = eventBytes(e.tenant, e.payload);
        removed++;
        bytes += size;
        this.#tenants.add(e.tenant, -1, -size);
      }
      this.#tenants.writeDelta();
      this.#st.addTotals.run(-removed, -bytes);
    })();
    this.#tenants.commit();
    this.#deadLetters += removed;
    this.#events -= removed;
    this.#bytes -= bytes;
    this.#maintenance.afterWrite();
    this.#wakeNotFull();
    return Promise.resolve();
  }

  stats(): BufferStats {
    const files = this.#maintenance.fileSizes();
    return {
      events: this.#events,
      bytes: this.#bytes,
      deadLetters: this.#deadLetters,
      fileBytes: files.db,
      walBytes: files.wal,
    };
  }

  /** Commits what is pending, checkpoints the WAL into the database and closes. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#flush();
    this.#closed = true;
    for (const w of this.#notFullWaiters) w();
    this.#notFullWaiters = [];
    this.#maintenance.close();
    this.db.pragma('optimize');
    this.db.close();
    return Promise.resolve();
  }
}

function closedError(): LogdriverError {
  return new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed');
}
