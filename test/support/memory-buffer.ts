// An in-memory EventBuffer built from plain arrays: the obviously-correct reference every backend is checked against.
import { randomBytes } from 'node:crypto';
import { encodeLine, singleLinePayload } from '../../src/buffer/lines.js';
import type {
  Admission,
  BufferStats,
  CommitNotice,
  EventBuffer,
  IncomingEvent,
  Lease,
  Rejection,
  StoredEvent,
  TenantBacklog,
} from '../../src/buffer/types.js';
import { ErrorCodes, LogdriverError } from '../../src/errors.js';

/** One stored event: its fields, and the line every backend stores (its length is what the event counts). */
export interface MemoryRow {
  readonly seq: number;
  readonly id: string;
  readonly tenant: string;
  readonly receivedAt: number;
  /** The payload on one line (CR/LF turned into spaces), copied: the caller may reuse its buffer. */
  readonly payload: Buffer;
  readonly line: Buffer;
  attempts: number;
  notBefore: number;
}

export interface MemoryDeadLetter {
  readonly event: StoredEvent;
  readonly status: number | null;
  readonly reason: string;
  /** Delivery attempts made, the one that failed for good included. */
  readonly attempts: number;
  readonly failedAt: number;
}

/** The data that outlives one MemoryBuffer: hand the same store to a new MemoryBuffer to "reopen" it. */
export class MemoryStore {
  readonly bufferId: string;
  /** Seqs are global and never reused: not after everything was acknowledged, not after a reopen. */
  nextSeq = 1;
  /** Stored events, always in seq order (appends only ever add larger seqs at the end). */
  rows: MemoryRow[] = [];
  readonly deadLetters: MemoryDeadLetter[] = [];

  /** `bufferId` defaults to a random one; the conformance model passes the backend's so ids compare exactly. */
  constructor(bufferId: string = randomBytes(8).toString('hex')) {
    this.bufferId = bufferId;
  }
}

/** The calls a fault can make fail. */
export type MemoryOp = 'append' | 'claim' | 'ack' | 'retry' | 'deadLetter' | 'backlog';

/** Failure injection: return an error to make that call reject with it (the call then changes nothing). */
export type MemoryFault = (op: MemoryOp) => Error | undefined;

export interface MemoryBufferOptions {
  readonly maxBytes?: number;
  readonly store?: MemoryStore;
  readonly fault?: MemoryFault;
}

/** A lease of the reference: the rows it still holds, shared with the store (so a retry shows at once). */
class MemoryLease implements Lease {
  readonly owner: MemoryBuffer;
  readonly tenant: string;
  readonly more: boolean;
  /** In seq order; emptied when settled in full, released or voided by close(). */
  rows: MemoryRow[];

  constructor(owner: MemoryBuffer, tenant: string, rows: MemoryRow[], more: boolean) {
    this.owner = owner;
    this.tenant = tenant;
    this.rows = rows;
    this.more = more;
  }

  get count(): number {
    return this.rows.length;
  }

  get bytes(): number {
    return this.rows.reduce((n, r) => n + r.line.length, 0);
  }

  get attempts(): number {
    return this.rows.reduce((n, r) => Math.max(n, r.attempts), 0);
  }

  get notBefore(): number {
    return this.rows.reduce((n, r) => Math.max(n, r.notBefore), 0);
  }

  get oldestReceivedAt(): number {
    return this.rows[0]?.receivedAt ?? 0;
  }

  ndjson(): Buffer {
    return Buffer.concat(this.rows.map((r) => r.line));
  }

  /** Built from the stored fields, not decoded from the lines: the model checks a backend's decoding with it. */
  events(): readonly StoredEvent[] {
    return this.rows.map(({ seq, id, tenant, receivedAt, payload }) => ({
      seq,
      id,
      tenant,
      receivedAt,
      payload: Buffer.from(payload),
    }));
  }
}

export class MemoryBuffer implements EventBuffer {
  readonly bufferId: string;
  readonly store: MemoryStore;
  /** Set (or clear) at any time to make calls fail. */
  fault: MemoryFault | undefined;
  readonly #maxBytes: number;
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  /** Leases holding events. They live only in this object: a new MemoryBuffer over the store has none. */
  readonly #leases = new Set<MemoryLease>();

  /** Leases handed out and not yet settled or released. */
  get openLeases(): number {
    return this.#leases.size;
  }
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: MemoryBufferOptions = {}) {
    this.store = opts.store ?? new MemoryStore();
    this.bufferId = this.store.bufferId;
    this.#maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.fault = opts.fault;
  }

  /** Dead letters in the order they were written. */
  get deadLetters(): readonly MemoryDeadLetter[] {
    return this.store.deadLetters;
  }

  /** Events of the tenant that no lease holds (what a claim could take). */
  unleased(tenant: string): number {
    return this.#free(tenant).length;
  }

  append(events: readonly IncomingEvent[]): Promise<void> {
    const refused = this.#refuse('append');
    if (refused) return Promise.reject(refused);
    // The reference commits every call at once: one notice per call.
    const notice = new Map<string, { count: number; firstReceivedAt: number }>();
    for (const e of events) {
      const seq = this.store.nextSeq++;
      const id = `${this.bufferId}-${seq}`;
      this.store.rows.push({
        seq,
        id,
        tenant: e.tenant,
        receivedAt: e.receivedAt,
        payload: Buffer.from(singleLinePayload(e.payload)),
        line: encodeLine(id, e.tenant, e.receivedAt, e.payload),
        attempts: 0,
        notBefore: 0,
      });
      const n = notice.get(e.tenant);
      if (n) n.count++;
      else notice.set(e.tenant, { count: 1, firstReceivedAt: e.receivedAt });
    }
    if (notice.size > 0) for (const l of this.#listeners) l(notice);
    return Promise.resolve();
  }

  /** Nothing is ever pending here, so never `busy`. */
  admission(): Admission {
    return this.#bytes() >= this.#maxBytes ? 'full' : 'open';
  }

  whenOpen(): Promise<void> {
    if (this.#closed || this.admission() === 'open') return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  onCommit(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  backlog(options?: { readonly oldest?: number }): Promise<TenantBacklog[]> {
    const fault = this.fault?.('backlog');
    if (fault) return Promise.reject(fault);
    const byTenant = new Map<
      string,
      { tenant: string; events: number; bytes: number; oldestReceivedAt: number }
    >();
    for (const r of this.store.rows) {
      const b = byTenant.get(r.tenant);
      if (b) {
        b.events++;
        b.bytes += r.line.length;
      } else {
        // Rows are in seq order: the first of a tenant is its oldest.
        byTenant.set(r.tenant, {
          tenant: r.tenant,
          events: 1,
          bytes: r.line.length,
          oldestReceivedAt: r.receivedAt,
        });
      }
    }
    const all = [...byTenant.values()];
    if (options?.oldest === undefined) return Promise.resolve(all);
    return Promise.resolve(
      all.sort((a, b) => a.oldestReceivedAt - b.oldestReceivedAt).slice(0, options.oldest),
    );
  }

  /** A fault named `backlog` makes this throw too (the delivery scan's failure path). */
  forEachTenant(visit: (tenant: string, oldestReceivedAt: number) => void): void {
    const fault = this.fault?.('backlog');
    if (fault) throw fault;
    const seen = new Set<string>();
    // Rows are in seq order: the first of a tenant is its oldest.
    for (const r of this.store.rows)
      if (!seen.has(r.tenant)) {
        seen.add(r.tenant);
        visit(r.tenant, r.receivedAt);
      }
  }

  /** The greedy prefix of the tenant's unleased events: at most maxEvents, within maxBytes unless it is one. */
  claim(tenant: string, maxEvents: number, maxBytes: number): Promise<Lease | undefined> {
    const refused = this.#refuse('claim');
    if (refused) return Promise.reject(refused);
    const free = this.#free(tenant);
    const taken: MemoryRow[] = [];
    let bytes = 0;
    for (const r of free) {
      if (taken.length >= maxEvents) break;
      if (taken.length > 0 && bytes + r.line.length > maxBytes) break;
      taken.push(r);
      bytes += r.line.length;
    }
    if (taken.length === 0) return Promise.resolve(undefined);
    const lease = new MemoryLease(this, tenant, taken, free.length > taken.length);
    this.#leases.add(lease);
    return Promise.resolve(lease);
  }

  ack(lease: Lease, ids?: readonly string[]): Promise<void> {
    const refused = this.#refuse('ack', lease);
    if (refused) return Promise.reject(refused);
    const l = lease as MemoryLease;
    const named = ids === undefined ? undefined : new Set(ids);
    // Ids the lease does not hold (any more) are ignored.
    this.#remove(l, named ? l.rows.filter((r) => named.has(r.id)) : l.rows);
    return Promise.resolve();
  }

  retry(lease: Lease, notBefore: number): Promise<void> {
    const refused = this.#refuse('retry', lease);
    if (refused) return Promise.reject(refused);
    for (const r of (lease as MemoryLease).rows) {
      r.attempts++;
      r.notBefore = notBefore;
    }
    return Promise.resolve();
  }

  deadLetter(lease: Lease, rejections: readonly Rejection[]): Promise<void> {
    const refused = this.#refuse('deadLetter', lease);
    if (refused) return Promise.reject(refused);
    const l = lease as MemoryLease;
    const byId = new Map(rejections.map((r) => [r.id, r]));
    const failedAt = Date.now();
    // In the lease's (seq) order; ids the lease does not hold are ignored.
    const gone = l.rows.filter((r) => byId.has(r.id));
    for (const r of gone) {
      const { status, reason } = byId.get(r.id)!;
      const event = { seq: r.seq, id: r.id, tenant: r.tenant, receivedAt: r.receivedAt, payload: r.payload };
      this.store.deadLetters.push({ event, status, reason, attempts: r.attempts + 1, failedAt });
    }
    this.#remove(l, gone);
    return Promise.resolve();
  }

  /** The rows become free again; being the oldest unleased ones, the next claim takes them first. */
  release(lease: Lease): void {
    const l = this.#own(lease);
    l.rows = [];
    this.#leases.delete(l);
  }

  stats(): BufferStats {
    return {
      events: this.store.rows.length,
      bytes: this.#bytes(),
      deadLetters: this.store.deadLetters.length,
      pendingEvents: 0,
      backend: {},
    };
  }

  /** Every lease held returns to the queue (the store keeps its events; a reopen finds them unleased). */
  close(): Promise<void> {
    this.#closed = true;
    for (const l of this.#leases) l.rows = [];
    this.#leases.clear();
    this.#wake();
    return Promise.resolve();
  }

  #free(tenant: string): MemoryRow[] {
    const leased = new Set<MemoryRow>();
    for (const l of this.#leases) for (const r of l.rows) leased.add(r);
    return this.store.rows.filter((r) => r.tenant === tenant && !leased.has(r));
  }

  /** Why this call must reject (closed, a lease of another buffer, an injected fault), if it must. */
  #refuse(op: MemoryOp, lease?: Lease): Error | undefined {
    if (this.#closed) return new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed');
    if (lease) {
      try {
        this.#own(lease);
      } catch (err) {
        return err as Error;
      }
    }
    return this.fault?.(op);
  }

  #own(lease: Lease): MemoryLease {
    if (!(lease instanceof MemoryLease) || lease.owner !== this)
      throw new LogdriverError(ErrorCodes.BUFFER_COMMIT, 'the lease was not issued by this buffer');
    return lease;
  }

  /** Deletes `gone` (rows of `l`) from the store and the lease; a lease left empty is done. */
  #remove(l: MemoryLease, gone: readonly MemoryRow[]): void {
    if (gone.length === 0) return;
    const set = new Set(gone);
    this.store.rows = this.store.rows.filter((r) => !set.has(r));
    l.rows = l.rows.filter((r) => !set.has(r));
    if (l.rows.length === 0) this.#leases.delete(l);
    this.#wake();
  }

  #wake(): void {
    if (!this.#closed && this.admission() !== 'open') return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #bytes(): number {
    return this.store.rows.reduce((n, r) => n + r.line.length, 0);
  }
}
