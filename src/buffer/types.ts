// The Buffer contract every backend implements (SQLite now, a replicated NATS JetStream one next).
// Named EventBuffer so it does not shadow Node's global Buffer. Nothing here is specific to one backend:
// no rows, files or WAL; a backend reports its own extra figures through `stats().backend`.
//
// Delivery is lease-based. `claim` hands a lane the oldest unleased events of a tenant as one lease; the
// lane sends them and settles the lease with `ack`, `retry`, `deadLetter` or `release`. Leases live only in
// memory: a crash (or a new process) returns every lease to the queue, so an event is never lost, at worst
// delivered twice.

/** An event that passed validation, as received: its original bytes and its tenant. */
export interface IncomingEvent {
  readonly tenant: string;
  readonly payload: Buffer;
  /** Milliseconds since the epoch, when ingest received it. */
  readonly receivedAt: number;
}

/** One stored event, decoded from a lease (only when a sink or a tool needs events one by one). */
export interface StoredEvent {
  /** Local, strictly increasing sequence number; order within a tenant follows it. Never reused. */
  readonly seq: number;
  /** Stable, globally unique id (buffer id + seq) that reaches the sink so it can deduplicate. */
  readonly id: string;
  readonly tenant: string;
  readonly receivedAt: number;
  /** The event as stored: the producer's JSON on one line (CR/LF between tokens turned into spaces). */
  readonly payload: Buffer;
}

/**
 * Events of one tenant claimed for delivery, in order. A lease shrinks as parts of it are acknowledged or
 * dead-lettered; once empty it is done. Only the buffer that issued it may settle it.
 */
export interface Lease {
  readonly tenant: string;
  /** Events still in the lease. */
  readonly count: number;
  /** Bytes they count against buffer.maxBytes. */
  readonly bytes: number;
  /** Delivery attempts already made (the highest of its events'; survives a restart). */
  readonly attempts: number;
  /** Not before this time (ms since epoch) may it be sent (0: at once); survives a restart. */
  readonly notBefore: number;
  /** Receive time of its oldest event. */
  readonly oldestReceivedAt: number;
  /** When it was claimed, the tenant had more unleased events than it took (a limit or boundary stopped it). */
  readonly more: boolean;
  /**
   * The events as NDJSON envelope lines, `{"id","tenantId","receivedAt","event"}` each ending in "\n":
   * the bytes the buffer stored, sent as they are by sinks that speak NDJSON.
   */
  ndjson(): Buffer;
  /** The events one by one, in order (decoded from the lines on first use). */
  events(): readonly StoredEvent[];
}

export type Admission = 'open' | 'busy' | 'full';

/** What the buffer tells delivery after each commit: which tenants got how many events. */
export type CommitNotice = ReadonlyMap<string, { count: number; firstReceivedAt: number }>;

/** An event to dead-letter, named by its id, with what the sink said. */
export interface Rejection {
  readonly id: string;
  readonly status: number | null;
  readonly reason: string;
}

export interface BufferStats {
  /** Events stored and not yet acknowledged (leased ones included). */
  readonly events: number;
  /** Bytes those events count against buffer.maxBytes. */
  readonly bytes: number;
  readonly deadLetters: number;
  /** Events handed to append() whose commit has not finished. */
  readonly pendingEvents: number;
  /** Figures only this backend has (file sizes, cache), by name. */
  readonly backend: Readonly<Record<string, number>>;
}

export interface TenantBacklog {
  readonly tenant: string;
  readonly events: number;
  readonly bytes: number;
  /** Receive time of the tenant's oldest stored event. */
  readonly oldestReceivedAt: number;
}

export interface EventBuffer {
  /** Identifies this buffer's data in event ids; stays the same across restarts. */
  readonly bufferId: string;
  /**
   * Stores the events; resolves once they are durable as the backend promises. Events of concurrent calls
   * share one commit (group commit). Rejects with LOGDRIVER_ERR_BUFFER_CLOSED after close(); a rejection
   * means none of the call's events may be counted on (some may still be delivered: at-least-once).
   */
  append(events: readonly IncomingEvent[]): Promise<void>;
  /**
   * The one admission check of every ingest path: `full` while stored plus pending bytes are at the cap,
   * `busy` while more than the backend's budget of appended events waits for a commit, else `open`.
   */
  admission(): Admission;
  /** Resolves the next time admission() is `open` (at once if it is, or after close()). */
  whenOpen(): Promise<void>;
  /** Subscribes to commits; returns the unsubscribe function. */
  onCommit(listener: (notice: CommitNotice) => void): () => void;
  /**
   * Every tenant with stored events, its counts and oldest receive time; with `oldest`, only that many
   * tenants, those whose oldest event is oldest, oldest first (cheap however many tenants there are).
   */
  backlog(options?: { readonly oldest?: number }): Promise<TenantBacklog[]>;
  /**
   * Calls `visit` for every tenant with stored events, with the receive time of its oldest one, allocating
   * nothing per tenant: delivery's safety-net scan walks a flood of tenant ids with it (backlog() made an
   * object per tenant per scan: ~80 MB of garbage a scan at a million tenants).
   */
  forEachTenant(visit: (tenant: string, oldestReceivedAt: number) => void): void;
  /**
   * Leases the tenant's oldest unleased events: at most `maxEvents` and about `maxBytes` (always at least
   * one event when any is free). Undefined when the tenant has nothing unleased.
   */
  claim(tenant: string, maxEvents: number, maxBytes: number): Promise<Lease | undefined>;
  /**
   * Delivered: deletes the lease's events (or only those named by `ids`; the rest stay leased). Resolves
   * once the delete is committed; until then a crash only means a redelivery.
   */
  ack(lease: Lease, ids?: readonly string[]): Promise<void>;
  /** Failed, try again: records one more attempt and `notBefore` for the lease's events; the lease stays held. */
  retry(lease: Lease, notBefore: number): Promise<void>;
  /** Permanent failure: moves the named events to the dead letters, with their reasons, in one commit. */
  deadLetter(lease: Lease, rejections: readonly Rejection[]): Promise<void>;
  /** Gives the lease back unsettled: its events are the next to be claimed again. */
  release(lease: Lease): void;
  stats(): BufferStats;
  /** Commits what is pending, then closes; leases still held return to the queue. Idempotent. */
  close(): Promise<void>;
}
