// Pure classification of an HTTP sink's response (status, headers, body) into a SinkOutcome.
//
// Generic partial-failure protocol (for plain HTTP endpoints; real SIEMs such as Elasticsearch bulk get
// their own classifiers): a server that accepted some events of a batch and not others answers
// 207 Multi-Status with a JSON body
//     {"errors":[{"id":"<event id>","status":400,"reason":"why"}, ...]}
// listing only the failed events by the envelope `id` it received. Every event of the batch not listed is
// delivered. A listed event whose status is 408, 429 or 5xx is retried; any other 4xx is rejected
// (dead-lettered) with its reason. If an id is listed twice with different verdicts, retry wins (never
// dead-letter on doubt). A 207 body that does not follow this shape exactly (not JSON, no `errors` array,
// an entry without a string id of this batch or without an integer 4xx/5xx status, or a body cut off at the
// read limit) proves nothing was delivered, so the whole batch is retried.
import type { SinkOutcome } from '../types.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export interface ClassifyOptions {
  /**
   * Ids of the batch that was sent, to check a 207 body against. Called only for a 207 (at most once):
   * getting ids may mean decoding the batch, which no other answer needs.
   */
  readonly batchIds: () => readonly string[];
  /** Current time for HTTP-date Retry-After values. */
  readonly now?: number;
  /** Secret values (auth header values) to scrub from anything a server sent back. */
  readonly secrets?: readonly string[];
  readonly maxRetryAfterMs?: number;
}

type Partial207 = Extract<SinkOutcome, { kind: 'partial' }>;

/** Parses a 207 body of the generic protocol above; a string is the reason it is malformed. */
export function parseMultiStatus(
  body: Buffer,
  batchIds: readonly string[],
  secrets: readonly string[] = [],
): Omit<Partial207, 'retryAfterMs'> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const errors = (doc as { errors?: unknown } | null)?.errors;
  if (typeof doc !== 'object' || Array.isArray(doc) || !Array.isArray(errors))
    return 'body has no "errors" array';
  const inBatch = new Set(batchIds);
  const retry = new Set<string>();
  const rejected = new Map<string, { id: string; status: number; reason: string }>();
  for (const entry of errors as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return 'an errors entry is not an object';
    const { id, status, reason } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !inBatch.has(id)) return 'an errors entry has no id of this batch';
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      return 'an errors entry has no 4xx/5xx status';
    }
    if (isRetryableStatus(status)) {
      retry.add(id);
      rejected.delete(id);
    } else if (!retry.has(id) && !rejected.has(id)) {
      const why = typeof reason === 'string' ? sanitizeReason(reason, secrets) : '';
      rejected.set(id, { id, status, reason: why || `HTTP ${status}` });
    }
  }
  return { kind: 'partial', retry: [...retry], rejected: [...rejected.values()] };
}

/** Maps one HTTP response to what delivery should do with the batch. */
export function classifyResponse(res: HttpResponseInfo, opts: ClassifyOptions): SinkOutcome {
  const { status } = res;
  const secrets = opts.secrets ?? [];
  const retryAfterMs = (): number | undefined =>
    parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now(), opts.maxRetryAfterMs);

  if (status === 207) {
    if (res.bodyTruncated) return { kind: 'retry', status, reason: 'HTTP 207 with a body too large to read' };
    const parsed = parseMultiStatus(res.body, opts.batchIds(), secrets);
    if (typeof parsed === 'string')
      return { kind: 'retry', status, reason: `HTTP 207 not understood: ${parsed}` };
    if (parsed.retry.length === 0 && parsed.rejected.length === 0) return { kind: 'delivered' };
    const after = retryAfterMs();
    return after === undefined ? parsed : { ...parsed, retryAfterMs: after };
  }
  if (status >= 200 && status <= 299) return { kind: 'delivered' };
  // Refused credentials are the sink's configuration, not the events: delivery applies onAuthFailure.
  if (status === 401 || status === 403) {
    return { kind: 'auth_failed', status, reason: statusReason(status, res.body, secrets) };
  }
  if (isRetryableStatus(status)) {
    const after = retryAfterMs();
    const reason = statusReason(status, res.body, secrets);
    return after === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs: after };
  }
  if (status >= 400 && status <= 499) {
    return { kind: 'rejected', status, reason: statusReason(status, res.body, secrets) };
  }
  // A redirect is not followed (credentials must not go to another origin): the sink's url is wrong, so the
  // tenant is held until its config changes (never dead-lettered, never split).
  if (status >= 300 && status <= 399) {
    return { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true };
  }
  // 1xx as a final answer or a status outside HTTP's range: nothing is known to be stored, so the batch is
  // tried again.
  return { kind: 'retry', status, reason: `unexpected HTTP ${status}` };
}
