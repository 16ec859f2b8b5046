// SqliteBuffer: the EventBuffer backed by SQLite. This main-thread side batches appends, acks and retry
// marks into one commit at a time (group commit) and keeps the counters; a worker thread runs SQLite, so
// fsyncs and checkpoints never stall ingest or delivery.
import { mkdirSync, statSync } from 'node:fs';
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
import { packAppends, unpackRows } from './codec.js';
import { lockDataDir } from './lock.js';
import {
  DB_FILE,
  SqliteEngine,
  type CommitResult,
  type EngineOptions,
  type RangeRef,
  type RowRef,
} from './engine.js';
import { Deferred } from './deferred.js';
import { eventBytes } from './statements.js';
import { WorkerClient } from './worker-client.js';

export { DB_FILE };

export interface SqliteBufferOptions extends EngineOptions {
  maxBytes: number;
  /** A commit is started at once when this many events wait (otherwise at the end of the event-loop turn). */
  commitMaxEvents: number;
  /** How long a commit waits for more events after the first one (0: the next event-loop turn). */
  commitWaitMs: number;
  telemetry: Telemetry;
  /** Called once if the worker dies (out of memory, a crash): the buffer cannot store anything after it. */
  onFatal?: (err: Error) => void;
}

export class SqliteBuffer implements EventBuffer {
  readonly bufferId: string;
  readonly path: string;
  readonly #o: SqliteBufferOptions;
  readonly #worker: WorkerClient;
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  #appends: IncomingEvent[] = [];
  #appendBytes = 0;
  #deletes: RowRef[] = [];
  #ranges: RangeRef[] = [];
  #retries: { rows: RowRef[]; nextAttemptAt: number }[] = [];
  #turn: Deferred | undefined;
  #scheduled = false;
  /** The commit the worker is running: its bytes still count against the cap until it is done. */
  #inFlight: Promise<void> | undefined;
  #inFlightBytes = 0;
  #inFlightEvents = 0;
  #events: number;
  #bytes: number;
  #deadLetters: number;
  readonly #tenantCounts = new Map<string, { events: number; bytes: number }>();
  #notFullWaiters: (() => void)[] = [];
  #closed = false;
  readonly #unlock: () => void;

  constructor(opts: SqliteBufferOptions) {
    this.#o = opts;
    this.path = join(opts.dataDir, DB_FILE);
    mkdirSync(opts.dataDir, { recursive: true });
    this.#unlock = lockDataDir(opts.dataDir);
    // Open once here, synchronously: migrations run and a bad file fails the start, before the worker.
    let snap;
    try {
      const engine = new SqliteEngine(opts);
      snap = engine.snapshot();
      engine.close();
    } catch (err) {
      this.#unlock();
      throw err;
    }
    this.bufferId = snap.bufferId;
    this.#events = snap.events;
    this.#bytes = snap.bytes;
    this.#deadLetters = snap.deadLetters;
    for (const t of snap.tenants) this.#tenantCounts.set(t.tenant, { events: t.events, bytes: t.bytes });
    const workerData: EngineOptions = {
      dataDir: opts.dataDir,
      synchronous: opts.synchronous,
      walMaxBytes: opts.walMaxBytes,
      autoVacuum: opts.autoVacuum,
    };
    this.#worker = new WorkerClient(workerData, {
      onMaintenance: (e) => {
        if (e.kind === 'checkpoint') opts.telemetry.checkpointRun(e.walBytesBefore, e.seconds);
        else
          opts.telemetry.log.error(
            { task: e.task, error: e.message },
            'buffer maintenance failed; will retry',
          );
      },
      onFailure: (err) => {
        opts.telemetry.log.fatal({ err }, 'buffer worker failed');
        opts.onFatal?.(err);
      },
    });
  }

  append(events: readonly IncomingEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    for (const e of events) {
      this.#appends.push(e);
      this.#appendBytes += eventBytes(e.tenant, e.payload.byteLength);
    }
    return this.#join(this.#appends.length >= this.#o.commitMaxEvents);
  }

  ack(events: readonly StoredEvent[], wholeRange = false): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (wholeRange && events.length > 1) {
      let bytes = 0;
      for (const e of events) bytes += eventBytes(e.tenant, e.payload.byteLength);
      const [first, last] = [events[0]!, events[events.length - 1]!];
      this.#ranges.push({ tenant: first.tenant, from: first.seq, to: last.seq, count: events.length, bytes });
    } else for (const e of events) this.#deletes.push(rowRef(e));
    return this.#join(false);
  }

  /** Joins the next commit, like ack: a sink that is down must not cost an fsync per retry. */
  retryLater(events: readonly StoredEvent[], nextAttemptAt: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#retries.push({ rows: events.map(rowRef), nextAttemptAt });
    return this.#join(false);
  }

  /** Joins the next commit; it starts at the end of this turn, or when the running one ends. */
  #join(now: boolean): Promise<void> {
    this.#turn ??= new Deferred();
    const promise = this.#turn.promise;
    if (this.#inFlight) return promise; // #commit picks it up when the running commit ends
    if (now) this.#commit();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      // setImmediate runs after pending I/O callbacks: everything received in this turn shares the commit.
      if (this.#o.commitWaitMs > 0) setTimeout(() => this.#commit(), this.#o.commitWaitMs);
      else setImmediate(() => this.#commit());
    }
    return promise;
  }

  #commit(): void {
    this.#scheduled = false;
    const turn = this.#turn;
    if (!turn || this.#inFlight) return;
    // At most commitMaxEvents appends per transaction: short commits let the reads queued behind them (the
    // lanes' next batches) run often, so delivery keeps pace with a flood of ingest. The rest goes next.
    const max = this.#o.commitMaxEvents;
    let appends = this.#appends;
    let rest: IncomingEvent[] = [];
    if (appends.length > max) {
      rest = appends.slice(max);
      appends = appends.slice(0, max);
    }
    const deletes = this.#deletes;
    const ranges = this.#ranges;
    const retries = this.#retries;
    let bytes = 0;
    for (const e of appends) bytes += eventBytes(e.tenant, e.payload.byteLength);
    this.#inFlightBytes = bytes;
    this.#inFlightEvents = appends.length;
    this.#appends = rest;
    this.#appendBytes -= bytes;
    this.#deletes = [];
    this.#ranges = [];
    this.#retries = [];
    // Callers that joined this turn wait for all of their events: with a split, they wait for the last part.
    this.#turn = rest.length > 0 ? turn : undefined;
    const settle = rest.length > 0 ? new Deferred() : turn;
    const packed = packAppends(appends);
    this.#inFlight = this.#worker
      .call<CommitResult>({ op: 'commit', appends: packed, deletes, ranges, retries }, [packed])
      .then(
        (r) => this.#committed(r, settle),
        (err: unknown) => {
          this.#o.telemetry.commitFailed(err, appends.length);
          // A failed part fails the whole turn (its callers' events may be partly in it). Callers who join
          // later get a fresh turn, so they are not told of a failure that is not theirs.
          turn.reject(err);
          if (this.#turn === turn) this.#turn = new Deferred();
        },
      );
    void this.#inFlight.finally(() => {
      this.#inFlight = undefined;
      this.#inFlightBytes = 0;
      this.#inFlightEvents = 0;
      this.#wakeNotFull();
      // Whatever arrived while the worker was busy goes next, at once: that is the group commit.
      if (this.#turn) this.#commit();
    });
  }

  #committed(r: CommitResult, turn: Deferred): void {
    this.#events += r.committed - r.removed;
    this.#bytes += r.addedBytes - r.removedBytes;
    // Now counted in #bytes: keeping them in flight until .finally would make isFull() count them twice.
    this.#inFlightBytes = 0;
    this.#applyTenantDeltas(r.tenantDeltas);
    if (r.committed > 0) this.#o.telemetry.eventsCommitted(r.committed, r.addedBytes, r.seconds);
    turn.resolve();
    if (r.notice.length === 0) return;
    const notice = new Map(r.notice.map(([t, count, firstReceivedAt]) => [t, { count, firstReceivedAt }]));
    for (const l of this.#listeners) l(notice);
  }

  #applyTenantDeltas(deltas: readonly [string, number, number][]): void {
    for (const [tenant, events, bytes] of deltas) {
      const c = this.#tenantCounts.get(tenant);
      if (!c) this.#tenantCounts.set(tenant, { events, bytes });
      else if ((c.events += events) === 0) this.#tenantCounts.delete(tenant);
      else c.bytes += bytes;
    }
  }

  /** Events handed to append() and not yet committed. */
  get pendingEvents(): number {
    return this.#appends.length + this.#inFlightEvents;
  }

  /** False once the worker died: nothing can be stored or read any more. */
  get healthy(): boolean {
    return !this.#worker.failed;
  }

  isFull(): boolean {
    return this.#bytes + this.#appendBytes + this.#inFlightBytes >= this.#o.maxBytes;
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
    return this.#worker.call<TenantBacklog[]>({ op: 'backlog' });
  }

  /** The tenants with the largest backlogs, from counters kept here (cheap: stats read it every second). */
  topTenants(n: number): { tenant: string; events: number; bytes: number }[] {
    return [...this.#tenantCounts]
      .map(([tenant, c]) => ({ tenant, ...c }))
      .sort((a, b) => b.events - a.events)
      .slice(0, n);
  }

  async read(tenant: string, afterSeq: number, limit: number, maxBytes: number): Promise<StoredEvent[]> {
    const packed = await this.#worker.call<ArrayBuffer>({ op: 'read', tenant, afterSeq, limit, maxBytes });
    const prefix = `${this.bufferId}-`;
    return unpackRows(packed).map((r) => ({
      seq: r.seq,
      id: prefix + r.seq,
      tenant,
      receivedAt: r.receivedAt,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt,
      payload: r.payload,
    }));
  }

  async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (this.#closed) throw closedError();
    const r = await this.#worker.call<{
      removed: number;
      bytes: number;
      tenantDeltas: [string, number, number][];
    }>({
      op: 'deadLetter',
      letters: letters.map((l) => ({ row: rowRef(l.event), status: l.status, reason: l.reason })),
    });
    this.#deadLetters += r.removed;
    this.#events -= r.removed;
    this.#bytes -= r.bytes;
    this.#applyTenantDeltas(r.tenantDeltas);
    this.#wakeNotFull();
  }

  /** Runs one incremental-vacuum step now (the worker also runs them on a timer); returns pages freed. */
  vacuumNow(): Promise<number> {
    return this.#worker.call<number>({ op: 'vacuum' });
  }

  stats(): BufferStats {
    return {
      events: this.#events,
      bytes: this.#bytes,
      deadLetters: this.#deadLetters,
      fileBytes: sizeOf(this.path),
      walBytes: sizeOf(`${this.path}-wal`),
    };
  }

  /** Commits what is pending, checkpoints the WAL into the database and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#turn || this.#inFlight) {
      if (!this.#inFlight) this.#commit();
      await this.#inFlight?.catch(() => undefined);
    }
    for (const w of this.#notFullWaiters) w();
    this.#notFullWaiters = [];
    if (!this.#worker.failed) await this.#worker.call({ op: 'close' }).catch(() => undefined);
    await this.#worker.terminate();
    this.#unlock();
  }
}

function rowRef(e: StoredEvent): RowRef {
  return { tenant: e.tenant, seq: e.seq, bytes: eventBytes(e.tenant, e.payload.byteLength) };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function closedError(): LogdriverError {
  return new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed');
}
