// SqliteBuffer: the EventBuffer backed by SQLite, one row per chunk. The main thread owns the chunk
// directory and every count: ingest writes each event's line into its tenant's open chunk, a commit window
// gathers the open chunks, acknowledgements, retry marks and dead letters into one transaction on the
// worker (one fsync), and delivery leases chunks from a write-through cache bounded in bytes.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, LogdriverError, isLogdriverError } from '../../errors.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type {
  Admission,
  BufferStats,
  CommitNotice,
  EventBuffer,
  IncomingEvent,
  Lease,
  Rejection,
  TenantBacklog,
} from '../types.js';
import { Commit, type Settled } from './commit.js';
import { FREE, GONE, LEASED, OpenChunk, freeCount, split, type Chunk, type TenantQueue } from './chunks.js';
import { ChunkDirectory } from './directory.js';
import { DB_FILE, SqliteEngine, pack, packRows, unpack, type EngineOptions, type Packed } from './engine.js';
import { unreadableChunkLetter } from './keyring.js';
import { ChunkLease, type Part } from './lease.js';
import type { LetterForReplay, LetterQuery, LetterView } from './letter-queries.js';
import { lockDataDir } from './lock.js';
import { DiskReserve } from './reserve.js';
import { WorkerClient } from './worker-client.js';

export { DB_FILE };

export interface SqliteBufferOptions extends EngineOptions {
  maxBytes: number;
  /** A commit waits this long after the first change it carries, gathering more (0: next event-loop turn). */
  commitWindowMs: number;
  /** ...or starts at once when this many bytes of events wait. */
  commitMaxBytes: number;
  /** ...or this many events. */
  commitMaxEvents: number;
  /** Admission is `busy` while this many appended events wait for their commit (ingest.channelCapacity). */
  maxPendingEvents: number;
  /** A tenant's open chunk is sealed at this many events or bytes (a chunk then fits one delivery batch). */
  chunkMaxEvents: number;
  chunkMaxBytes: number;
  /** Bytes of committed chunks kept in memory for delivery; the rest is read back from SQLite when claimed. */
  cacheMaxBytes: number;
  telemetry: Telemetry;
  /** Disk space held back in the data directory, released when the disk fills (0: none). */
  diskReserveBytes?: number;
  /** Called once if the worker dies (out of memory, a crash): the buffer cannot store anything after it. */
  onFatal?: (err: Error) => void;
}

/** Dead letters read and stored again per step of a replay (one worker read and one commit each). */
const REPLAY_STEP = 5000;

/** While the disk is full, how often the buffer checks whether space came back. */
const DISK_CHECK_MS = 1000;

/** The smallest buffer an open chunk starts with (its first line may make it larger). */
const INITIAL_CHUNK_BYTES = 256;

interface LoadBatch {
  readonly chunks: Set<Chunk>;
  done: Promise<void>;
}

export class SqliteBuffer implements EventBuffer {
  readonly bufferId: string;
  readonly path: string;
  readonly #o: SqliteBufferOptions;
  readonly #worker: WorkerClient;
  readonly #prefix: string;
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  /** The chunk directory: every committed chunk, per tenant in order, and the counts. */
  readonly #dir = new ChunkDirectory();
  #deadLetters: number;
  #cachedBytes = 0;
  #nextSeq: number;
  #nextChunkId: number;
  /** Chunks being written by ingest, and those sealed (full) before their commit. */
  #open = new Map<string, OpenChunk>();
  #sealed: OpenChunk[] = [];
  /** Events (and their bytes) appended and not yet committed, the running commit's included. */
  #pendingEvents = 0;
  #pendingBytes = 0;
  /** What the next commit will carry besides appends, and the one running. */
  #next = new Commit();
  #running: Commit | undefined;
  /** Chunks whose bytes are being read back (a load in flight): they must not turn cold meanwhile. */
  readonly #loadingNow = new Set<Chunk>();
  #firstChangeAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate = false;
  #inFlight: Promise<void> | undefined;
  #openWaiters: (() => void)[] = [];
  /**
   * The bytes of the commit in flight, shared with the worker and reused by the next commit (one commit runs
   * at a time). A fresh transferred buffer per commit would pile up in the worker until its next GC (V8 does
   * not count transferred memory as heap pressure soon enough): measured as ~75 MiB of RSS at 10k ev/s.
   */
  #commitBytes = new SharedArrayBuffer(1024 * 1024);
  #closed = false;
  readonly #unlock: () => void;
  readonly #reserve: DiskReserve;
  /**
   * Set when a commit found no space: ingest is refused (appends could only fail again) while the commits
   * that free space (deletes after acknowledgements, retry marks) go on, on the released reserve. Cleared
   * once the reserve could be written again.
   */
  #diskFull = false;
  #diskTimer: NodeJS.Timeout | undefined;
  #relieving = false;
  #reserveTriedAt = 0;
  /** Chunk loads gathered in this event-loop turn (see #load). */
  #loading: LoadBatch | undefined;
  /** Replays and purges run one at a time: two replays reading the same letters would store them twice. */
  #letterWork: Promise<unknown> = Promise.resolve();

  constructor(opts: SqliteBufferOptions) {
    this.#o = opts;
    this.path = join(opts.dataDir, DB_FILE);
    // Creates and checks the directory too (never a recursive mkdirSync: see prepareDataDir).
    this.#unlock = lockDataDir(opts.dataDir);
    // Open once here, synchronously: migrations run, a bad file fails the start, and only the chunk
    // directory is read (no chunk bytes), before the worker takes the connection over.
    let snap;
    let keyWarning: string | undefined;
    try {
      const engine = new SqliteEngine(opts);
      snap = engine.counters();
      // Row by row: a million-tenant directory read with all() held every row object at once (~1 GB).
      for (const row of engine.directory()) this.#dir.add(row, undefined);
      keyWarning = engine.keyWarning;
      engine.close();
    } catch (err) {
      this.#unlock();
      throw err;
    }
    this.#reserve = new DiskReserve(opts.dataDir, opts.diskReserveBytes ?? 0);
    if (!this.#reserve.acquire() && (opts.diskReserveBytes ?? 0) > 0) {
      // Already short of space at start: run as if full until the reserve fits.
      this.#enterDiskFull('no room for the disk reserve at start');
    }
    this.bufferId = snap.bufferId;
    this.#prefix = `${snap.bufferId}-`;
    this.#nextSeq = snap.nextSeq;
    this.#nextChunkId = snap.nextChunkId;
    this.#deadLetters = snap.deadLetters;
    const workerData: EngineOptions = {
      dataDir: opts.dataDir,
      synchronous: opts.synchronous,
      walMaxBytes: opts.walMaxBytes,
      autoVacuum: opts.autoVacuum,
      keys: opts.keys,
    };
    this.#worker = new WorkerClient(workerData, {
      onMaintenance: (e) => {
        if (e.kind === 'checkpoint') opts.telemetry.checkpointRun(e.walBytesBefore, e.seconds);
        else opts.telemetry.maintenanceFailed(e.task, e.message);
      },
      onFailure: (err) => {
        opts.telemetry.log.fatal({ err }, 'buffer worker failed');
        opts.onFatal?.(err);
        this.#wakeOpen(true);
      },
    });
    if (keyWarning) opts.telemetry.log.warn(keyWarning);
  }

  // ---- ingest ---------------------------------------------------------------------------------------

  append(events: readonly IncomingEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (events.length === 0) return Promise.resolve();
    if (this.#diskFull) return Promise.reject(diskFullError());
    const { chunkMaxEvents, chunkMaxBytes } = this.#o;
    for (const e of events) {
      let open = this.#open.get(e.tenant);
      if (open && (open.count >= chunkMaxEvents || open.bytes >= chunkMaxBytes)) {
        this.#sealed.push(open);
        open = undefined;
      }
      if (!open) {
        open = new OpenChunk(e.tenant, INITIAL_CHUNK_BYTES);
        this.#open.set(e.tenant, open);
      }
      this.#pendingBytes += open.add(this.#prefix, this.#nextSeq++, e.receivedAt, e.payload);
      this.#pendingEvents++;
    }
    const turn = this.#next.appendTurn();
    this.#schedule();
    return turn;
  }

  admission(): Admission {
    if (this.#diskFull || this.#dir.bytes + this.#pendingBytes >= this.#o.maxBytes) return 'full';
    if (this.#pendingEvents >= this.#o.maxPendingEvents || this.#pendingBytes >= 4 * this.#o.commitMaxBytes)
      return 'busy';
    return 'open';
  }

  whenOpen(): Promise<void> {
    if (this.#closed || this.admission() === 'open' || this.#worker.failed) return Promise.resolve();
    return new Promise((resolve) => this.#openWaiters.push(resolve));
  }

  #wakeOpen(always = false): void {
    if (this.#openWaiters.length === 0 || (!always && this.admission() !== 'open')) return;
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const w of waiters) w();
  }

  onCommit(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- commits --------------------------------------------------------------------------------------

  /** Starts the next commit when its window closes, or at once when enough waits. */
  #schedule(): void {
    if (this.#firstChangeAt === 0) this.#firstChangeAt = Date.now();
    const now =
      this.#pendingBytes >= this.#o.commitMaxBytes || this.#pendingEvents >= this.#o.commitMaxEvents;
    if (this.#inFlight) return; // the running commit's end starts the next
    if (now || this.#o.commitWindowMs === 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      if (!this.#immediate) {
        this.#immediate = true;
        // setImmediate runs after pending I/O callbacks: everything received in this turn shares the commit.
        setImmediate(() => {
          this.#immediate = false;
          this.#commit();
        });
      }
    } else if (!this.#timer) {
      const wait = Math.max(0, this.#firstChangeAt + this.#o.commitWindowMs - Date.now());
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#commit();
      }, wait);
    }
  }

  #hasWork(): boolean {
    return this.#open.size > 0 || this.#sealed.length > 0 || !this.#next.empty;
  }

  #commit(): void {
    if (this.#inFlight || !this.#hasWork()) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const commit = this.#next;
    this.#next = new Commit();
    this.#running = commit;
    this.#firstChangeAt = 0;
    const chunks = [...this.#sealed, ...this.#open.values()];
    this.#sealed = [];
    this.#open = new Map();
    const inserts = chunks.map((c) => ({
      open: c,
      lines: c.seal(),
      row: {
        id: this.#nextChunkId++,
        tenant: c.tenant,
        firstSeq: c.firstSeq,
        count: c.count,
        bytes: 0,
        firstReceivedAt: c.firstReceivedAt,
        attempts: 0,
        notBefore: 0,
      },
    }));
    for (const i of inserts) i.row.bytes = i.lines.length;
    const settled = commit.build();
    const parts = [...inserts.map((i) => i.lines), ...settled.rewrites.map((r) => r.lines)];
    const size = parts.reduce((n, p) => n + p.length, 0);
    if (size > this.#commitBytes.byteLength)
      this.#commitBytes = new SharedArrayBuffer(Math.max(size, 2 * this.#commitBytes.byteLength));
    const lines: Packed = pack(parts, this.#commitBytes);
    const events = inserts.reduce((n, i) => n + i.row.count, 0);
    const bytes = inserts.reduce((n, i) => n + i.row.bytes, 0);
    const ops = {
      inserts: packRows(inserts.map((i) => i.row)),
      rewrites: settled.rewrites.map((r) => r.row),
      lines,
      deletes: settled.deletes.map((c) => c.id),
      retries: settled.retries.map((r) => ({ id: r.chunk.id, attempts: r.attempts, notBefore: r.notBefore })),
      deadLetters: settled.deadLetters,
      deadLetterDeletes: settled.letterDeletes,
      nextSeq: inserts.length > 0 ? this.#nextSeq : undefined,
      nextChunkId: inserts.length > 0 ? this.#nextChunkId : undefined,
    };
    this.#inFlight = this.#worker.call<number>({ op: 'commit', ops }).then(
      (seconds) => {
        this.#running = undefined;
        this.#pendingEvents -= events;
        this.#pendingBytes -= bytes;
        const notice = new Map<string, { count: number; firstReceivedAt: number }>();
        for (const { row, lines } of inserts) {
          const cached = this.#cachedBytes + row.bytes <= this.#o.cacheMaxBytes;
          this.#dir.add(row, cached ? lines : undefined);
          if (cached) this.#cachedBytes += lines.length;
          const n = notice.get(row.tenant);
          if (n) n.count += row.count;
          else notice.set(row.tenant, { count: row.count, firstReceivedAt: row.firstReceivedAt });
        }
        this.#applySettled(settled);
        if (this.#diskFull) this.#checkDisk();
        else if (!this.#reserve.held && Date.now() - this.#reserveTriedAt >= DISK_CHECK_MS) {
          // Left a full disk without the reserve (on free pages in the file): take it back once it fits.
          this.#reserveTriedAt = Date.now();
          this.#reserve.acquire();
        }
        if (events > 0) this.#o.telemetry.eventsCommitted(events, bytes, seconds);
        commit.resolve();
        if (notice.size > 0) for (const l of this.#listeners) l(notice);
      },
      (err: unknown) => {
        this.#running = undefined;
        // Nothing of this commit is stored: its appends fail (ZeroMQ keeps its events and appends them
        // again; HTTP answers 5xx), and its settles fail so the lanes retry them.
        this.#pendingEvents -= events;
        this.#pendingBytes -= bytes;
        this.#o.telemetry.commitFailed(err, events);
        if (isLogdriverError(err, ErrorCodes.BUFFER_DISK_FULL))
          this.#enterDiskFull('a commit found no space');
        commit.reject(err);
      },
    );
    void this.#inFlight.finally(() => {
      this.#inFlight = undefined;
      this.#wakeOpen();
      if (this.#hasWork()) this.#schedule();
    });
  }

  // ---- a full disk ----------------------------------------------------------------------------------

  /** True while the data directory's disk is full: ingest is refused, delivery and deletes go on. */
  get diskFull(): boolean {
    return this.#diskFull;
  }

  #enterDiskFull(why: string): void {
    if (this.#diskFull) return;
    this.#diskFull = true;
    const released = this.#reserve.release();
    this.#o.telemetry.diskFull(true, why, released);
    this.#diskTimer = setInterval(() => this.#checkDisk(), DISK_CHECK_MS);
    this.#diskTimer.unref();
  }

  /**
   * Leaves the disk-full state once the reserve can be held again: space freed by deliveries (deletes, then
   * the WAL checkpointed and free pages given back in small steps, see Maintenance.relieve) or by hand.
   */
  #checkDisk(): void {
    if (!this.#diskFull || this.#closed || this.#relieving) return;
    if (this.#reserve.acquire()) {
      this.#leaveDiskFull();
      return;
    }
    if (this.#worker.failed) return;
    this.#relieving = true;
    void this.#worker
      .call<number>({ op: 'relieve' })
      .catch(() => 0)
      .then((freeInFile) => {
        this.#relieving = false;
        if (!this.#diskFull || this.#closed) return;
        // The reserve fits again; or the file cannot shrink (auto_vacuum off, an older file) but holds plenty
        // of free pages for new events: either way, ingest can go on (the reserve is taken when it fits).
        const room = Math.max(this.#o.diskReserveBytes ?? 0, this.#o.commitMaxBytes);
        if (this.#reserve.acquire() || freeInFile >= 2 * room) this.#leaveDiskFull();
      });
  }

  #leaveDiskFull(): void {
    this.#diskFull = false;
    clearInterval(this.#diskTimer);
    this.#diskTimer = undefined;
    this.#o.telemetry.diskFull(false, 'space is available again', false);
    this.#wakeOpen();
  }

  #applySettled(s: Settled): void {
    for (const c of s.deletes) this.#remove(c);
    for (const r of s.rewrites) {
      const c = r.chunk;
      for (const i of r.gone) c.state![i] = GONE;
      this.#dir.resize(c, r.row.count, r.row.bytes);
      c.firstSeq = r.row.firstSeq;
      c.firstReceivedAt = r.row.firstReceivedAt;
    }
    for (const r of s.retries) {
      r.chunk.attempts = r.attempts;
      r.chunk.notBefore = r.notBefore;
    }
    this.#deadLetters += s.deadLetters.length - s.letterDeletes.length;
    s.done();
    for (const r of s.rewrites) this.#maybeEvict(r.chunk);
    // Only now (every change of this commit applied): a tenant left with one chunk out of memory turns cold.
    for (const c of s.deletes) this.#cool(c.tenant);
    for (const r of s.retries) this.#cool(r.chunk.tenant);
  }

  #remove(c: Chunk): void {
    if (!this.#dir.remove(c)) return;
    if (c.lines) this.#cachedBytes -= c.lines.length;
    c.count = 0;
    c.bytes = 0;
  }

  /** Keeps the tenant as a cold row if it can (see ChunkDirectory.cool). */
  #cool(tenant: string): void {
    this.#dir.cool(tenant, this.#held);
  }

  readonly #held = (c: Chunk): boolean =>
    this.#loadingNow.has(c) || this.#next.holds(c) || (this.#running?.holds(c) ?? false);

  // ---- delivery -------------------------------------------------------------------------------------

  backlog(options?: { readonly oldest?: number }): Promise<TenantBacklog[]> {
    const limit = options?.oldest;
    return Promise.resolve(limit === undefined ? this.#dir.all() : this.#dir.oldest(limit));
  }

  forEachTenant(visit: (tenant: string, oldestReceivedAt: number) => void): void {
    this.#dir.forEach(visit);
  }

  /** One tenant's backlog, from the chunk directory; undefined when it has nothing stored. */
  tenantBacklog(tenant: string): TenantBacklog | undefined {
    return this.#dir.totals(tenant);
  }

  /** Tenants with stored events. */
  get tenantCount(): number {
    return this.#dir.tenants;
  }

  /** The tenants with the largest backlogs (a bounded selection: stats read it every interval). */
  topTenants(n: number): { tenant: string; events: number; bytes: number }[] {
    return this.#dir.largest(n).map(({ tenant, events, bytes }) => ({ tenant, events, bytes }));
  }

  async claim(tenant: string, maxEvents: number, maxBytes: number): Promise<Lease | undefined> {
    if (this.#closed) throw closedError();
    for (;;) {
      const q = this.#dir.queue(tenant);
      if (!q) return undefined;
      const plan = planClaim(q, maxEvents, maxBytes);
      if (plan.length === 0) return undefined;
      const missing = plan.filter((c) => !c.lines);
      if (missing.length === 0) return this.#take(q, maxEvents, maxBytes);
      await this.#load(missing);
      if (this.#closed) throw closedError();
    }
  }

  /**
   * Reads chunks' bytes back from SQLite into the cache (a restart, or chunks the cache had no room for).
   * Loads asked for in the same event-loop turn go to the worker as one request: after a restart on a
   * backlog of many tenants, every lane claims at once, and one round trip per lane (each queued behind the
   * commit in progress) was what bounded the drain.
   */
  #load(chunks: Chunk[]): Promise<void> {
    let batch = this.#loading;
    if (!batch) {
      const created: LoadBatch = { chunks: new Set(), done: undefined! };
      created.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        try {
          await this.#loadBatch(created);
        } finally {
          for (const c of created.chunks) this.#loadingNow.delete(c);
        }
      });
      this.#loading = batch = created;
    }
    for (const c of chunks) {
      batch.chunks.add(c);
      this.#loadingNow.add(c);
    }
    return batch.done;
  }

  async #loadBatch(created: LoadBatch): Promise<void> {
    if (this.#loading === created) this.#loading = undefined;
    const list = [...created.chunks].filter((c) => !c.lines && c.count > 0);
    if (list.length === 0) return;
    const packed = await this.#worker.call<Packed>({ op: 'load', ids: list.map((c) => c.id) });
    const parts = unpack(packed);
    const unreadableIds = new Set<number>();
    for (const u of packed.unreadable ?? []) {
      unreadableIds.add(u.id);
      this.#unreadable(
        list.find((c) => c.id === u.id)!,
        u.reason,
      );
    }
    list.forEach((c, i) => {
      // Still stored and still not loaded (another claim may have loaded it meanwhile). An unreadable
      // chunk stays without lines: if its dead letter does not commit, the next claim reads it again.
      if (c.lines || c.count === 0 || unreadableIds.has(c.id)) return;
      // Chunks of several tenants share one transferred buffer: each gets a copy of its own, or one chunk
      // still cached would keep the whole batch's memory while the cache counts only its bytes.
      c.lines = list.length === 1 ? parts[i]! : Buffer.from(parts[i]!);
      this.#cachedBytes += c.lines.length;
    });
  }

  /**
   * A chunk whose stored bytes failed authentication (tampered, or sealed under another key with the same id):
   * its events cannot be decoded, so one dead letter stands for them (see unreadableChunkLetter) and the row
   * goes, in the next commit. Until then nothing can claim it, so its tenant's other chunks go on.
   */
  #unreadable(c: Chunk, reason: string): void {
    if (c.count === 0 || c.leasedWhole || c.state) return;
    c.leasedWhole = true;
    const letter = unreadableChunkLetter(c, reason, Date.now());
    const events = c.count;
    this.#next.dropUnreadable(c, letter).then(
      () => this.#o.telemetry.batchDeadLettered(c.tenant, events, letter.reason, null),
      () => {
        // Not committed: the next claim reads the chunk again (and finds it unreadable again).
        c.leasedWhole = false;
      },
    );
    this.#schedule();
  }

  /** Leases the oldest free lines of the tenant, whole chunks where they fit (every chunk it needs is cached). */
  #take(q: TenantQueue, maxEvents: number, maxBytes: number): ChunkLease | undefined {
    const parts: Part[] = [];
    let n = 0;
    let b = 0;
    let k = 0;
    for (; k < q.chunks.length; k++) {
      const c = q.chunks[k]!;
      if (n >= maxEvents) break;
      if (freeCount(c) === 0) continue;
      if (!c.lines) break; // planned chunks are loaded; past them the lease ends
      if (!c.state && n + c.count <= maxEvents && (b + c.bytes <= maxBytes || (n === 0 && c.count === 1))) {
        c.leasedWhole = true;
        parts.push({ chunk: c, whole: true, from: 0, to: 0 });
        n += c.count;
        b += c.bytes;
        continue;
      }
      if (!c.state && n > 0) break;
      split(c);
      const state = c.state!;
      const offsets = c.offsets!;
      let stop = false;
      let run: Part | undefined;
      for (let i = 0; i < state.length; i++) {
        if (state[i] !== FREE) {
          run = undefined;
          continue;
        }
        const size = offsets[i + 1]! - offsets[i]!;
        if (n >= maxEvents || (n > 0 && b + size > maxBytes)) {
          stop = true;
          break;
        }
        state[i] = LEASED;
        if (!run) parts.push((run = { chunk: c, whole: false, from: i, to: i + 1 }));
        else run.to = i + 1;
        n++;
        b += size;
      }
      if (stop) break;
    }
    if (parts.length === 0) return undefined;
    const lease = new ChunkLease(this, q.tenant, parts);
    // Where the walk stopped, or any chunk after it, may still have free events.
    for (; k < q.chunks.length && !lease.more; k++) lease.more = freeCount(q.chunks[k]!) > 0;
    return lease;
  }

  #lease(lease: Lease): ChunkLease {
    if (!(lease instanceof ChunkLease) || lease.owner !== this)
      throw new LogdriverError(ErrorCodes.BUFFER_COMMIT, 'the lease was not issued by this buffer');
    return lease;
  }

  ack(lease: Lease, ids?: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const l = this.#lease(lease);
    if (l.count === 0) return Promise.resolve();
    const p = ids === undefined ? this.#next.removeAll(l) : this.#next.removeIds(l, ids, undefined);
    this.#schedule();
    return p;
  }

  retry(lease: Lease, notBefore: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const l = this.#lease(lease);
    if (l.count === 0) return Promise.resolve();
    const p = this.#next.retry(l, notBefore);
    this.#schedule();
    return p;
  }

  deadLetter(lease: Lease, rejections: readonly Rejection[]): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const l = this.#lease(lease);
    if (l.count === 0 || rejections.length === 0) return Promise.resolve();
    const p = this.#next.removeIds(
      l,
      rejections.map((r) => r.id),
      new Map(rejections.map((r) => [r.id, r])),
    );
    this.#schedule();
    return p;
  }

  release(lease: Lease): void {
    const l = this.#lease(lease);
    for (const p of l.parts) {
      const c = p.chunk;
      if (p.whole) c.leasedWhole = false;
      else for (let i = p.from; i < p.to; i++) if (c.state![i] === LEASED) c.state![i] = FREE;
    }
    const chunks = l.parts.map((p) => p.chunk);
    l.drop();
    for (const c of chunks) this.#maybeEvict(c);
  }

  /** A chunk no lease holds leaves the cache when the cache is over its budget (SQLite has its bytes). */
  #maybeEvict(c: Chunk): void {
    if (c.pins > 0 || !c.lines || this.#cachedBytes <= this.#o.cacheMaxBytes) return;
    if (c.state && c.state.includes(LEASED)) return;
    this.#cachedBytes -= c.lines.length;
    // Reloaded, it comes back compacted (gone lines were rewritten away), so its layout starts afresh.
    c.lines = undefined;
    c.offsets = undefined;
    c.state = undefined;
    c.leasedWhole = false;
    this.#cool(c.tenant);
  }

  // ---- dead letters on a running service (admin API) -------------------------------------------------

  /** Dead letters, filtered and paged by seq; read (and decrypted) on the worker. */
  listDeadLetters(query: LetterQuery): Promise<LetterView[]> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#worker.call<LetterView[]>({ op: 'letters', query: { kind: 'list', query } });
  }

  /** Dead letters per tenant (one pass over the table's tenant index). */
  async deadLetterCounts(): Promise<Map<string, number>> {
    if (this.#closed) throw closedError();
    const rows = await this.#worker.call<{ tenant: string; count: number }[]>({
      op: 'letters',
      query: { kind: 'counts' },
    });
    return new Map(rows.map((r) => [r.tenant, r.count]));
  }

  /** Deletes one tenant's dead letters, or all of them (tenant undefined); returns how many. */
  purgeDeadLetters(tenant: string | undefined): Promise<number> {
    return this.#serially(async () => {
      if (this.#closed) throw closedError();
      const n = await this.#worker.call<number>({ op: 'letters', query: { kind: 'purge', tenant } });
      this.#deadLetters = Math.max(0, this.#deadLetters - n);
      return n;
    });
  }

  /**
   * Moves dead letters (one tenant's, or all) back into the buffer as new events, oldest first, in steps: each
   * step's events are appended and its letters deleted in one commit. The commits notify delivery as ingest
   * does, so the tenants' lanes pick them up. Letters that do not authenticate stay (counted in `unreadable`).
   */
  replayDeadLetters(
    tenant: string | undefined,
  ): Promise<{ replayed: number; unreadable: number; tenants: Record<string, number> }> {
    return this.#serially(async () => {
      // Replayed events get new seqs from here on: a letter at or past it is one of them rejected again, which
      // this replay must not pick up (with a sink that keeps rejecting it would never end).
      const bound = this.#nextSeq;
      let afterSeq = 0;
      let replayed = 0;
      let unreadable = 0;
      const tenants: Record<string, number> = {};
      for (;;) {
        if (this.#closed) throw closedError();
        // A busy buffer (ingest ahead of its commits) is waited for; a full one refuses, like ingest.
        if (this.admission() === 'busy') await this.whenOpen();
        if (this.#diskFull || this.admission() === 'full') throw fullError();
        const step = await this.#worker.call<{
          letters: LetterForReplay[];
          unreadable: number;
          lastSeq: number | undefined;
        }>({ op: 'letters', query: { kind: 'forReplay', tenant, afterSeq, limit: REPLAY_STEP } });
        unreadable += step.unreadable;
        const letters = step.letters.filter((l) => l.seq < bound);
        if (letters.length > 0) {
          await this.#appendReplayed(letters);
          replayed += letters.length;
          for (const l of letters) tenants[l.tenant] = (tenants[l.tenant] ?? 0) + 1;
        }
        if (letters.length < step.letters.length) break;
        if (step.lastSeq === undefined || step.letters.length + step.unreadable < REPLAY_STEP) break;
        afterSeq = step.lastSeq;
      }
      return { replayed, unreadable, tenants };
    });
  }

  /** Appends the letters' events and, in the same commit, deletes the letters. */
  #appendReplayed(letters: readonly LetterForReplay[]): Promise<void> {
    // Checked first: append() refusing after dropLetters() would delete letters without storing their events.
    if (this.#closed) return Promise.reject(closedError());
    if (this.#diskFull) return Promise.reject(diskFullError());
    const turn = this.append(
      letters.map((l) => ({
        tenant: l.tenant,
        receivedAt: l.receivedAt,
        payload: Buffer.from(l.payload.buffer, l.payload.byteOffset, l.payload.byteLength),
      })),
    );
    // Same turn as the append: the commit that takes the new chunks takes these deletes (see #commit).
    this.#next.dropLetters(letters.map((l) => l.seq));
    return turn;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#letterWork.then(work, work);
    this.#letterWork = run.catch(() => undefined);
    return run;
  }

  // ---- stats and lifecycle --------------------------------------------------------------------------

  /** False once the worker died: nothing can be stored or read any more. */
  get healthy(): boolean {
    return !this.#worker.failed;
  }

  /** Runs one incremental-vacuum step now (the worker also runs them on a timer); returns pages freed. */
  vacuumNow(): Promise<number> {
    return this.#worker.call<number>({ op: 'vacuum' });
  }

  stats(): BufferStats {
    return {
      events: this.#dir.events,
      bytes: this.#dir.bytes,
      deadLetters: this.#deadLetters,
      pendingEvents: this.#pendingEvents,
      backend: {
        fileBytes: sizeOf(this.path),
        walBytes: sizeOf(`${this.path}-wal`),
        cacheBytes: this.#cachedBytes,
        chunks: this.#dir.chunks,
        coldTenants: this.#dir.coldTenants,
      },
    };
  }

  /** Commits what is pending, checkpoints the WAL into the database and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    clearInterval(this.#diskTimer);
    while (this.#inFlight || (this.#hasWork() && !this.#worker.failed)) {
      if (!this.#inFlight) this.#commit();
      await this.#inFlight?.catch(() => undefined);
    }
    this.#wakeOpen(true);
    if (!this.#worker.failed) await this.#worker.call({ op: 'close' }).catch(() => undefined);
    await this.#worker.terminate();
    this.#unlock();
  }
}

/** The chunks a claim would take, before any is loaded: free chunks from the head, within the limits. */
function planClaim(q: TenantQueue, maxEvents: number, maxBytes: number): Chunk[] {
  const plan: Chunk[] = [];
  let n = 0;
  let b = 0;
  for (const c of q.chunks) {
    if (n >= maxEvents || (n > 0 && b >= maxBytes)) break;
    const free = freeCount(c);
    if (free === 0) continue;
    plan.push(c);
    n += free;
    b += c.bytes;
  }
  return plan;
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

function fullError(): LogdriverError {
  return new LogdriverError(
    ErrorCodes.BUFFER_FULL,
    'the buffer is full (buffer.maxBytes): replay stopped; the letters not replayed are still dead letters',
  );
}

function diskFullError(): LogdriverError {
  return new LogdriverError(
    ErrorCodes.BUFFER_FULL,
    'the disk of the data directory is full: events are refused until space returns',
  );
}
