// Load sender types: targets, options and the stats every sender returns.

/** Events as raw bytes, one JSON object each: a generator, an array, or `readNdjson(file)`. */
export type EventSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * ZeroMQ PUSH target. PUSH has no acknowledgement: `sent` counts messages handed to the
 * socket's queue, not events the receiver stored. Only an HTTP 2xx means "durable".
 */
export interface ZmqTarget {
  readonly kind: 'zmq';
  /** tcp://host:port or ipc://path. */
  readonly endpoint: string;
  /** Bind instead of connect (when logdriver's ingest connects). Default false. */
  readonly bind?: boolean;
  /** Events per message: above 1, each message is one NDJSON frame of that many events. Default 1. */
  readonly frameEvents?: number;
  /** Messages queued per peer before `send` waits (backpressure). Default 1000. */
  readonly sendHighWaterMark?: number;
  /** How long close() lets queued messages flush to the peer, also at process exit. Default 10 s. */
  readonly lingerMs?: number;
  /**
   * Give up once a send waited this long with no receiver connected (logdriver down, wrong address); a
   * connected receiver that pushes back is waited for. Default 10 s; 0 waits forever.
   */
  readonly sendTimeoutMs?: number;
}

export interface HttpTarget {
  readonly kind: 'http';
  /** Base URL; a bare origin posts to /v1/events, a URL with a path posts to that path. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Events per NDJSON request. Default 500. */
  readonly batchSize?: number;
  /** A batch is also cut when it reaches this many bytes. Default 8 MiB. */
  readonly maxBatchBytes?: number;
  /** Requests in flight at once; >1 means batches may arrive out of order. Default 4. */
  readonly concurrency?: number;
  /** Retries per batch on 503/429/5xx/network errors before counting it failed. Default 10. */
  readonly maxRetries?: number;
}

export type SendTarget = ZmqTarget | HttpTarget;

export interface SendOptions {
  /** Events per second; undefined or 0 = as fast as the target accepts. */
  readonly ratePerSec?: number;
  /** Stops sending; the stats so far are returned. */
  readonly signal?: AbortSignal;
}

export interface SendStats {
  /** ZeroMQ: queued on the socket. HTTP: acknowledged with a 2xx (durable). */
  readonly sent: number;
  /** Events that were given up on (HTTP: refused or retries exhausted; ZeroMQ: a send error). */
  readonly failed: number;
  /** HTTP requests retried (ZeroMQ: always 0). */
  readonly retries: number;
  readonly seconds: number;
  /** CPU seconds (user + system) the sending process used, event generation included. */
  readonly cpuSeconds?: number;
  /** sent / seconds. */
  readonly ratePerSec: number;
  /** The first error that made events fail, if any. */
  readonly error?: string;
}

/** Builds the stats record from counters and a start time taken with performance.now(). */
export function makeStats(
  sent: number,
  failed: number,
  retries: number,
  startedAt: number,
  error?: string,
): SendStats {
  const seconds = (performance.now() - startedAt) / 1000;
  const { user, system } = process.cpuUsage();
  const cpuSeconds = (user + system) / 1e6;
  const stats = { sent, failed, retries, seconds, cpuSeconds, ratePerSec: seconds > 0 ? sent / seconds : 0 };
  return error === undefined ? stats : { ...stats, error };
}
