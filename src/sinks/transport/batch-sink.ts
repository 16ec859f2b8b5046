// The request loop every HTTP-based sink shares: encode a batch once into requests within the sink's
// limits, send them in order through the shared transport, classify each answer with the sink's pure
// classifier, and fold the answers into one outcome. A retry of the same batch re-sends the encoded (and
// compressed) requests instead of encoding again.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type {
  AuthFailurePolicy,
  DeferredAckSettings,
  PayloadLimits,
  Sink,
  SinkBatch,
  ReceiverDropped,
  SinkOutcome,
} from '../types.js';
import type { HttpRequest, HttpTransport } from './http.js';
import type { HttpResponseInfo } from './response.js';
import type { SplitResult } from './split.js';

// zlib's async form runs on the libuv thread pool, so compressing a large batch does not block the event loop.
const gzipAsync = promisify(gzipCallback);

/** Of an error answer only this much is kept, for the reason; the rest is discarded. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Credentials could not be obtained (thrown by `authorize`, e.g. from a token endpoint). `authRejected`: the
 * issuer refused them (not transient), which delivery treats as `auth_failed`; otherwise a `retry`.
 */
export class SinkAuthError extends LogdriverError {
  readonly authRejected: boolean;
  readonly status: number | undefined;
  constructor(message: string, authRejected: boolean, status?: number, options?: { cause?: unknown }) {
    super(ErrorCodes.SINK_AUTH, message, options);
    this.name = 'SinkAuthError';
    this.authRejected = authRejected;
    this.status = status;
  }
}

/** One request body of a batch; `ids` (in body order) are computed only when an answer needs them. */
export interface RequestBody {
  readonly body: Buffer;
  readonly ids: () => readonly string[];
}

/** A batch as the requests that carry it, and the events that fit none. */
export interface EncodedBatch {
  readonly bodies: readonly RequestBody[];
  readonly oversized: SplitResult['oversized'];
}

/** The request bodies of a split batch. */
export function bodiesOf(split: SplitResult): EncodedBatch {
  return {
    bodies: split.parts.map((p) => ({ body: p.body, ids: () => p.events.map((e) => e.id) })),
    oversized: split.oversized,
  };
}

interface EncodedRequest {
  readonly ids: () => readonly string[];
  /** The body as it goes on the wire (compressed when the sink gzips). */
  readonly wire: Buffer;
}

interface Encoded {
  /** The batch's count when encoded: a partial outcome shrinks a lease, which then needs new requests. */
  readonly count: number;
  readonly requests: readonly EncodedRequest[];
  readonly oversized: SplitResult['oversized'];
}

export interface HttpBatchSinkOptions {
  readonly limits: PayloadLimits;
  readonly onAuthFailure: AuthFailurePolicy;
  readonly gzip: boolean;
  readonly deferred?: DeferredAckSettings;
}

function once<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

type Rejection = { readonly id: string; readonly status?: number; readonly reason: string };

export abstract class HttpBatchSink implements Sink {
  abstract readonly type: string;
  readonly limits: PayloadLimits;
  readonly onAuthFailure: AuthFailurePolicy;
  readonly deferred?: DeferredAckSettings;
  protected readonly transport: HttpTransport;
  readonly #gzip: boolean;
  /** Keyed by the batch object itself (a lease is the same object on every attempt). */
  readonly #encoded = new WeakMap<SinkBatch, Encoded>();

  constructor(transport: HttpTransport, opts: HttpBatchSinkOptions) {
    this.transport = transport;
    this.limits = opts.limits;
    this.onAuthFailure = opts.onAuthFailure;
    this.#gzip = opts.gzip;
    if (opts.deferred) this.deferred = opts.deferred;
  }

  /** Pure: the batch as request bodies within `limits`, plus the events too large to send. */
  protected abstract encode(batch: SinkBatch): EncodedBatch;
  /** Method, path and headers of the batch's requests, without credentials (`authorize` adds those). */
  protected abstract request(batch: SinkBatch): Omit<HttpRequest, 'body'>;
  /** Pure: what one answer means for the request that was sent (`ids`: its events, in body order). */
  protected abstract classify(
    res: HttpResponseInfo,
    ids: () => readonly string[],
    batch: SinkBatch,
  ): SinkOutcome;
  /** How much of an answer with this status to read (0 for none). */
  protected readLimit(status: number): number {
    return status >= 200 && status <= 299 ? 0 : MAX_ERROR_BODY_BYTES;
  }
  /** Credential headers for the next request; may fetch a token. Throws SinkAuthError. */
  protected authorize(_signal: AbortSignal): Promise<Record<string, string>> {
    return Promise.resolve({});
  }
  /** Secret values to scrub out of anything a server sent back. */
  protected secrets(): readonly string[] {
    return [];
  }

  async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    if (this.transport.closed) return { kind: 'retry', reason: 'sink closed' };
    if (batch.count === 0) return { kind: 'delivered' };
    const encoded = await this.#encode(batch);
    const { requests, oversized } = encoded;
    const tooLarge: Rejection[] = oversized.map(({ event, bytes }) => ({
      id: event.id,
      reason: `event of ${bytes} bytes exceeds the ${this.type} sink's limit of ${Math.min(
        this.limits.maxEventBytes,
        this.limits.maxRequestBytes,
      )} bytes`,
    }));

    let credentials: Record<string, string>;
    try {
      credentials = requests.length > 0 ? await this.authorize(signal) : {};
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof SinkAuthError && err.authRejected) {
        return err.status === undefined
          ? { kind: 'auth_failed', reason }
          : { kind: 'auth_failed', reason, status: err.status };
      }
      return { kind: 'retry', reason: `credentials: ${reason}` };
    }

    // Fast path: one request, nothing too large — its answer is the batch's outcome as it stands.
    if (requests.length === 1 && tooLarge.length === 0) {
      const outcome = await this.#sendOne(requests[0]!, credentials, signal, batch);
      // An accepted batch waits for its acknowledgement: no second copy of its body meanwhile.
      if (outcome.kind === 'accepted') this.#encoded.delete(batch);
      return outcome;
    }

    const delivered: string[] = [];
    const retry: string[] = [];
    const rejected: Rejection[] = [...tooLarge];
    const accepted: { ids: readonly string[]; token: string }[] = [];
    let retryAfterMs: number | undefined;
    let dropped: ReceiverDropped | undefined;
    const noteDropped = (o: { receiverDropped?: ReceiverDropped }): void => {
      if (o.receiverDropped)
        dropped = {
          count: (dropped?.count ?? 0) + o.receiverDropped.count,
          message: o.receiverDropped.message,
        };
    };
    let authFailure: Extract<SinkOutcome, { kind: 'auth_failed' }> | undefined;
    let held: Extract<SinkOutcome, { kind: 'retry' }> | undefined;
    let stopped = false;
    for (const req of requests) {
      if (stopped) {
        // Once a request must be retried, later ones wait for the same retry: they would most likely fail
        // alike, and sending them now would only reorder the tenant's events.
        retry.push(...req.ids());
        continue;
      }
      const outcome = await this.#sendOne(req, credentials, signal, batch);
      switch (outcome.kind) {
        case 'delivered':
          delivered.push(...req.ids());
          noteDropped(outcome);
          break;
        case 'accepted':
          accepted.push({ ids: req.ids(), token: outcome.token });
          break;
        case 'rejected':
          for (const id of req.ids()) rejected.push({ id, status: outcome.status, reason: outcome.reason });
          break;
        case 'partial': {
          const r = new Set(outcome.retry);
          const d = new Set(outcome.rejected.map((x) => x.id));
          retry.push(...outcome.retry);
          rejected.push(...outcome.rejected.filter((x) => !r.has(x.id)));
          delivered.push(...req.ids().filter((id) => !r.has(id) && !d.has(id)));
          if (outcome.retryAfterMs !== undefined) retryAfterMs = outcome.retryAfterMs;
          noteDropped(outcome);
          break;
        }
        case 'auth_failed':
          authFailure ??= outcome;
          retry.push(...req.ids());
          stopped = true;
          break;
        case 'retry':
          retry.push(...req.ids());
          if (outcome.retryAfterMs !== undefined) retryAfterMs = outcome.retryAfterMs;
          if (outcome.misconfigured) held ??= outcome;
          stopped = true;
          break;
      }
    }
    // Nothing got through because of the sink's configuration (refused credentials, a redirect): say so, so
    // delivery holds the tenant as it would for a single request.
    if (delivered.length === 0 && accepted.length === 0 && rejected.length === tooLarge.length) {
      if (authFailure) return authFailure;
      if (held) return held;
    }
    if (accepted.length > 0) {
      if (retry.length === 0 && rejected.length === 0 && delivered.length === 0) {
        this.#encoded.delete(batch);
        return { kind: 'accepted', token: accepted.map((a) => a.token).join(',') };
      }
      // A batch is confirmed as a whole; accepted parts of a batch that also failed are sent again with the
      // retry (duplicates, never losses: each event keeps its id).
      for (const a of accepted) retry.push(...a.ids);
    }
    const note = dropped ? { receiverDropped: dropped } : {};
    if (retry.length === 0 && rejected.length === 0) return { kind: 'delivered', ...note };
    return retryAfterMs === undefined
      ? { kind: 'partial', retry, rejected, ...note }
      : { kind: 'partial', retry, rejected, retryAfterMs, ...note };
  }

  async #sendOne(
    req: EncodedRequest,
    credentials: Record<string, string>,
    signal: AbortSignal,
    batch: SinkBatch,
  ): Promise<SinkOutcome> {
    const base = this.request(batch);
    const headers: Record<string, string> = { ...base.headers, ...credentials };
    if (this.#gzip) headers['content-encoding'] = 'gzip';
    const secrets = this.secrets();
    const exchange = await this.transport.exchange(
      { ...base, headers, body: req.wire },
      signal,
      (status) => this.readLimit(status),
      secrets,
    );
    if (!exchange.ok) return exchange.outcome;
    return this.classify(exchange.response, req.ids, batch);
  }

  async #encode(batch: SinkBatch): Promise<Encoded> {
    const cached = this.#encoded.get(batch);
    if (cached && cached.count === batch.count) return cached;
    const split = this.encode(batch);
    const requests = await Promise.all(
      split.bodies.map(async ({ body, ids }) => ({
        ids: once(ids),
        wire: this.#gzip ? await gzipAsync(body) : body,
      })),
    );
    const encoded = { count: batch.count, requests, oversized: split.oversized };
    this.#encoded.set(batch, encoded);
    return encoded;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
