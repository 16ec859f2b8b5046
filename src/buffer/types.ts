// The Buffer contract every backend implements (SQLite now, a replicated one later).
// Named EventBuffer so it does not shadow Node's global Buffer.

/** An event that passed validation, as received: its original bytes and its tenant. */
export interface IncomingEvent {
  readonly tenant: string;
  readonly payload: Buffer;
  /** Milliseconds since the epoch, when ingest received it. */
  readonly receivedAt: number;
}

/** An event as stored, read back for delivery. */
export interface StoredEvent {
  /** Local, strictly increasing sequence number; order within a tenant follows it. Never reused. */
  readonly seq: number;
  /** Stable, globally unique id (buffer id + seq) that reaches the sink so it can deduplicate. */
  readonly id: string;
  readonly tenant: string;
  readonly receivedAt: number;
  /** Delivery attempts already made (persisted on retry, so it survives a restart). */
  readonly attempts: number;
  /** Not before this time (ms since epoch) may the event be sent again. */
  readonly nextAttemptAt: number;
  readonly payload: Buffer;
}

/** What the buffer tells the dispatcher after each commit: which tenants got how many events. */
export type CommitNotice = ReadonlyMap<string, { count: number; firstReceivedAt: number }>;

export interface DeadLetter {
  readonly event: StoredEvent;
  readonly status: number | null;
  readonly reason: string;
}

export interface BufferStats {
  /** Events stored and not yet acknowledged (in flight included). */
  readonly events: number;
  /** Bytes those events count against buffer.maxBytes. */
  readonly bytes: number;
  readonly deadLetters: number;
  /** Backend files on disk (0 when not applicable). */
  readonly fileBytes: number;
  readonly walBytes: number;
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
   * Stores the events; resolves once they are durable as the configured `synchronous` level promises.
   * Events of concurrent calls share one transaction (group commit). Rejects with
   * LOGDRIVER_ERR_BUFFER_CLOSED after close().
   */
  append(events: readonly IncomingEvent[]): Promise<void>;
  /** True while stored bytes are at or above buffer.maxBytes. */
  isFull(): boolean;
  /** Resolves the next time the buffer drops below its cap (immediately if it is not full). */
  whenNotFull(): Promise<void>;
  /** Subscribes to commits; returns the unsubscribe function. */
  onCommit(listener: (notice: CommitNotice) => void): () => void;
  /** Every tenant with stored events and its oldest receive time (used at start and by polls). */
  backlog(): Promise<TenantBacklog[]>;
  /** Up to `limit` events of one tenant with seq > afterSeq, in seq order, at most ~maxBytes in total (at least one). */
  read(tenant: string, afterSeq: number, limit: number, maxBytes: number): Promise<StoredEvent[]>;
  /**
   * Acknowledged: deletes the events. Deletes of concurrent calls share one transaction (and the commit
   * of pending appends); resolves once committed. A crash before that only means a redelivery.
   * `wholeRange`: the events are every stored event of their tenant from the first seq to the last (a batch
   * as read), so the backend may delete the range in one statement.
   */
  ack(events: readonly StoredEvent[], wholeRange?: boolean): Promise<void>;
  /** Retryable failure: bumps attempts and sets next_attempt_at for the events. */
  retryLater(events: readonly StoredEvent[], nextAttemptAt: number): Promise<void>;
  /** Permanent failure: moves the events to the dead-letter table in one transaction. */
  deadLetter(letters: readonly DeadLetter[]): Promise<void>;
  stats(): BufferStats;
  /** Commits what is pending, then closes. Idempotent. */
  close(): Promise<void>;
}
