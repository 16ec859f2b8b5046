// The Sink contract: encode a batch and send it once, then say what happened. Retrying, timeouts,
// concurrency, confirming deferred acknowledgements and deleting rows belong to delivery/, never to a sink.

/** One event as a sink sees it: a stable id for deduplication and the original bytes. */
export interface SinkEvent {
  readonly id: string;
  readonly tenant: string;
  readonly receivedAt: number;
  /** The event exactly as the producer sent it (a UTF-8 JSON object). */
  readonly payload: Buffer;
}

/**
 * One batch as a sink sees it: a tenant's events, in order. A buffer Lease is one; `batchOf` in envelope.ts
 * makes one from events.
 */
export interface SinkBatch {
  readonly tenant: string;
  readonly count: number;
  /**
   * The envelopes as NDJSON, `{"id","tenantId","receivedAt","event"}` each ending in "\n": the bytes the
   * buffer stored, so a sink that speaks NDJSON sends them without encoding anything per event.
   */
  ndjson(): Buffer;
  /** The events one by one (decoded on first use), for sinks that need another wire shape. */
  events(): readonly SinkEvent[];
}

/**
 * Events a receiver accepted the request of but reported dropping, without saying which (OTLP's
 * partial_success.rejected_log_records): not retried (the protocol forbids it) and not dead-lettered (nothing
 * names them); delivery counts them and logs the receiver's message.
 */
export interface ReceiverDropped {
  readonly count: number;
  readonly message: string;
}

export type SinkOutcome =
  /** Every event acknowledged: delete them. */
  | { readonly kind: 'delivered'; readonly receiverDropped?: ReceiverDropped }
  /** Nothing acknowledged, try the whole batch again later (network error, timeout, 408, 429, 5xx). */
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
      /**
       * The answer says the sink's configuration is wrong, not the events (a 3xx redirect, which is never
       * followed: credentials must not go to another origin). Delivery holds the tenant like an
       * authentication failure (state `misconfigured`): retried with back-off, never split or dead-lettered.
       */
      readonly misconfigured?: true;
    }
  /** Some events failed: `retry` ids go back for a retry, `rejected` ids are dead-lettered; the rest are delivered. */
  | {
      readonly kind: 'partial';
      readonly retry: readonly string[];
      readonly rejected: readonly {
        readonly id: string;
        readonly status?: number;
        readonly reason: string;
      }[];
      readonly retryAfterMs?: number;
      readonly receiverDropped?: ReceiverDropped;
    }
  /** Permanent failure for the whole batch (other 4xx): dead-letter it with the reason. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly status?: number }
  /**
   * The sink refused the credentials (401/403, a disabled or revoked token, an expired key). Delivery applies
   * the sink's `onAuthFailure` policy: hold the lane and retry with back-off (default), or dead-letter.
   */
  | { readonly kind: 'auth_failed'; readonly reason: string; readonly status?: number }
  /**
   * Accepted but not yet confirmed (Splunk HEC indexer acknowledgement): keep the events until
   * `Sink.confirm` reports `token` done; send them again if that has not happened within the sink's
   * `deferred.timeoutMs`. The lane goes on with its next batches meanwhile.
   */
  | { readonly kind: 'accepted'; readonly token: string };

/** What a sink accepts per request; delivery claims within these, and a sink splits what still exceeds them. */
export interface PayloadLimits {
  /** Largest request body, in bytes, before compression. */
  readonly maxRequestBytes: number;
  /** Most events in one request. */
  readonly maxEvents: number;
  /** Largest single event the sink takes; a larger one is dead-lettered with that reason. */
  readonly maxEventBytes: number;
}

/** How delivery confirms `accepted` outcomes for a sink that acknowledges later. */
export interface DeferredAckSettings {
  /** How often a lane with accepted batches asks the sink about them. */
  readonly pollIntervalMs: number;
  /** An accepted batch not confirmed within this is sent again (at-least-once). */
  readonly timeoutMs: number;
  /** Most accepted batches a lane keeps waiting before it stops sending new ones. */
  readonly maxPending: number;
}

export type AuthFailurePolicy = 'retry' | 'dead_letter';

export interface Sink {
  /** The sink type as written in config (`stdout`, `http`, …). */
  readonly type: string;
  /** The sink's request limits; delivery never claims a batch larger than these allow. */
  readonly limits: PayloadLimits;
  /** What delivery does with an `auth_failed` outcome. */
  readonly onAuthFailure: AuthFailurePolicy;
  /** Present when the sink may answer `accepted`. */
  readonly deferred?: DeferredAckSettings;
  /**
   * Prepares the sink (fetch a token, open a connection). Called once when the service starts, without
   * holding delivery back: a send that needs what start prepares waits for it inside the sink. A failure is
   * logged; the sink's sends then report the problem as they retry.
   */
  start?(signal: AbortSignal): Promise<void>;
  /**
   * Sends one batch once. Must honour `signal` (delivery aborts on timeout and shutdown) and should
   * turn transport failures into a `retry` outcome; a throw is treated as `retry` too.
   */
  send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome>;
  /**
   * For `accepted` outcomes: which of `tokens` (all from this tenant's sends) are now confirmed. A token not
   * in the answer is still pending; a throw means "ask again later".
   */
  confirm?(tenant: string, tokens: readonly string[], signal: AbortSignal): Promise<ReadonlySet<string>>;
  /** Releases connections; pending sends may be aborted. */
  close(): Promise<void>;
}
