// The Sink contract: encode a batch and send it once, then say what happened. Retrying, timeouts,
// concurrency and deleting rows belong to delivery/, never to a sink.

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

export type SinkOutcome =
  /** Every event acknowledged: delete them. */
  | { readonly kind: 'delivered' }
  /** Nothing acknowledged, try the whole batch again later (network error, timeout, 408, 429, 5xx). */
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
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
    }
  /** Permanent failure for the whole batch (other 4xx): dead-letter it with the reason. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly status?: number };

export interface Sink {
  /** The sink type as written in config (`stdout`, `http`, …). */
  readonly type: string;
  /**
   * Sends one batch once. Must honour `signal` (delivery aborts on timeout and shutdown) and should
   * turn transport failures into a `retry` outcome; a throw is treated as `retry` too.
   */
  send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome>;
  /** Releases connections; pending sends may be aborted. */
  close(): Promise<void>;
}
