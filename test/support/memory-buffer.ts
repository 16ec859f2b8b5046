// An in-memory EventBuffer built from plain arrays: the obviously-correct reference every backend is checked against.
import { randomBytes } from 'node:crypto';
import { eventBytes } from '../../src/buffer/sqlite/statements.js';
import type {
  BufferStats,
  CommitNotice,
  DeadLetter,
  EventBuffer,
  IncomingEvent,
  StoredEvent,
  TenantBacklog,
} from '../../src/buffer/types.js';
import { ErrorCodes, LogdriverError } from '../../src/errors.js';

interface Row {
  readonly seq: number;
  readonly tenant: string;
  readonly receivedAt: number;
  attempts: number;
  nextAttemptAt: number;
  readonly payload: Buffer;
}

export interface MemoryDeadLetter extends DeadLetter {
  readonly failedAt: number;
}

/** The data that outlives one MemoryBuffer: hand the same store to a new MemoryBuffer to "reopen" it. */
export class MemoryStore {
  readonly bufferId = randomBytes(8).toString('hex');
  nextSeq = 1;
  /** Stored events, always in seq order (appends only ever add larger seqs at the end). */
  rows: Row[] = [];
  readonly deadLetters: MemoryDeadLetter[] = [];
}

export interface MemoryBufferOptions {
  readonly maxBytes?: number;
  readonly store?: MemoryStore;
}

export class MemoryBuffer implements EventBuffer {
  readonly bufferId: string;
  readonly store: MemoryStore;
  readonly #maxBytes: number;
  readonly #listeners = new Set<(n: CommitNotice) => void>();
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: MemoryBufferOptions = {}) {
    this.store = opts.store ?? new MemoryStore();
    this.bufferId = this.store.bufferId;
    this.#maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
  }

  /** Dead letters in the order they were written. */
  get deadLetters(): readonly MemoryDeadLetter[] {
    return this.store.deadLetters;
  }

  append(events: readonly IncomingEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closed());
    const notice = new Map<string, { count: number; firstReceivedAt: number }>();
    for (const e of events) {
      // Copy the bytes: a caller reusing its buffer must not change what was stored.
      const payload = Buffer.from(e.payload);
      this.store.rows.push({
        seq: this.store.nextSeq++,
        tenant: e.tenant,
        receivedAt: e.receivedAt,
        attempts: 0,
        nextAttemptAt: 0,
        payload,
      });
      const n = notice.get(e.tenant);
      if (n) n.count++;
      else notice.set(e.tenant, { count: 1, firstReceivedAt: e.receivedAt });
    }
    if (notice.size > 0) for (const l of this.#listeners) l(notice);
    return Promise.resolve();
  }

  isFull(): boolean {
    return this.#bytes() >= this.#maxBytes;
  }

  whenNotFull(): Promise<void> {
    if (!this.isFull() || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  onCommit(listener: (notice: CommitNotice) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  backlog(): Promise<TenantBacklog[]> {
    const byTenant = new Map<
      string,
      { tenant: string; events: number; bytes: number; oldestReceivedAt: number }
    >();
    for (const r of this.store.rows) {
      const b = byTenant.get(r.tenant);
      if (b) {
        b.events++;
        b.bytes += eventBytes(r.tenant, r.payload.byteLength);
      } else {
        byTenant.set(r.tenant, {
          tenant: r.tenant,
          events: 1,
          bytes: eventBytes(r.tenant, r.payload.byteLength),
          oldestReceivedAt: r.receivedAt,
        });
      }
    }
    return Promise.resolve([...byTenant.values()]);
  }

  read(tenant: string, afterSeq: number, limit: number, maxBytes: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let bytes = 0;
    for (const r of this.store.rows) {
      if (r.tenant !== tenant || r.seq <= afterSeq) continue;
      if (out.length >= limit) break;
      if (out.length > 0 && bytes + r.payload.byteLength > maxBytes) break;
      bytes += r.payload.byteLength;
      out.push({ ...r, id: `${this.bufferId}-${r.seq}`, payload: Buffer.from(r.payload) });
    }
    return Promise.resolve(out);
  }

  ack(events: readonly StoredEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(closed());
    this.#remove(events);
    return Promise.resolve();
  }

  retryLater(events: readonly StoredEvent[], nextAttemptAt: number): Promise<void> {
    if (this.#closed) return Promise.reject(closed());
    for (const e of events) {
      const row = this.#find(e);
      if (row) {
        row.attempts++;
        row.nextAttemptAt = nextAttemptAt;
      }
    }
    return Promise.resolve();
  }

  deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    if (this.#closed) return Promise.reject(closed());
    const failedAt = Date.now();
    for (const { event, status, reason } of letters) {
      const row = this.#find(event);
      if (!row) continue;
      const stored = { ...row, id: `${this.bufferId}-${row.seq}`, attempts: row.attempts + 1 };
      this.store.deadLetters.push({ event: stored, status, reason, failedAt });
      this.#remove([event]);
    }
    return Promise.resolve();
  }

  stats(): BufferStats {
    return {
      events: this.store.rows.length,
      bytes: this.#bytes(),
      deadLetters: this.store.deadLetters.length,
      fileBytes: 0,
      walBytes: 0,
    };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    return Promise.resolve();
  }

  #find(e: StoredEvent): Row | undefined {
    return this.store.rows.find((r) => r.seq === e.seq && r.tenant === e.tenant);
  }

  #remove(events: readonly StoredEvent[]): void {
    const gone = new Set(events.filter((e) => this.#find(e)).map((e) => e.seq));
    if (gone.size === 0) return;
    this.store.rows = this.store.rows.filter((r) => !gone.has(r.seq));
    this.#wake();
  }

  #wake(): void {
    if (this.isFull() && !this.#closed) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #bytes(): number {
    return this.store.rows.reduce((n, r) => n + eventBytes(r.tenant, r.payload.byteLength), 0);
  }
}

function closed(): LogdriverError {
  return new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed');
}
