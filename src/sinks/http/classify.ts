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
import { STATUS_CODES } from 'node:http';
import type { SinkOutcome } from '../types.js';

export interface HttpResponseInfo {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The response body, or its first bytes when `bodyTruncated`. */
  readonly body: Buffer;
  readonly bodyTruncated?: boolean;
}

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

/** Retry-After beyond this is clamped: a sink must not park a tenant's lane for hours on one header. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;
/** Longest reason kept from a response body. */
export const MAX_REASON_CHARS = 200;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
// The three HTTP-date forms of RFC 9110 §5.6.7 (IMF-fixdate, obsolete RFC 850, asctime). Date.parse alone
// is far too lenient ("7" parses as a date), so the shape is checked first.
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/**
 * Parses Retry-After: delta-seconds or an HTTP-date, in ms from `now`, clamped to [0, cap].
 * Anything else (negative, fractional, garbage) is undefined: the caller's own backoff applies.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number = Date.now(),
  capMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  const v = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, capMs);
  let at: number;
  if (IMF_FIXDATE.test(v) || RFC850.test(v)) at = Date.parse(v);
  else if (ASCTIME.test(v))
    at = Date.parse(`${v} GMT`); // asctime has no zone; HTTP dates are always GMT
  else return undefined;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), capMs);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

// Credentials a server might echo back (e.g. a debug endpoint reflecting the request).
const CREDENTIAL_PATTERNS = [
  /\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)[^"',}\s][^"',}]*/gi,
  /\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*/gi,
];

// Control characters from a hostile or binary body must not reach a log line (terminal escapes, fake lines).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/g;

/** Makes text from a server safe and short for a reason: no control chars, no credentials, bounded. */
export function sanitizeReason(text: string, secrets: readonly string[] = []): string {
  let t = text;
  for (const s of secrets) if (s.length > 0) t = t.split(s).join('[redacted]');
  for (const p of CREDENTIAL_PATTERNS) t = t.replace(p, '$1$2[redacted]');
  t = t.replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim();
  return t.length > MAX_REASON_CHARS ? `${t.slice(0, MAX_REASON_CHARS)}…` : t;
}

/** The most telling text of an error body: a JSON `error`/`message`/`reason` string if there is one, else the text. */
function bodyText(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      for (const k of ['error', 'message', 'reason', 'detail']) {
        const f = o[k];
        if (typeof f === 'string') return f;
        if (typeof f === 'object' && f !== null) {
          const m = (f as Record<string, unknown>).message ?? (f as Record<string, unknown>).reason;
          if (typeof m === 'string') return m;
        }
      }
    }
  } catch {
    // Not JSON: the raw text is the reason.
  }
  return text;
}

function statusReason(status: number, body: Buffer, secrets: readonly string[]): string {
  const head = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  const detail = sanitizeReason(bodyText(body), secrets);
  return detail ? `${head}: ${detail}` : head;
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
  // 1xx as a final answer, 3xx (redirects are not followed: credentials must not go to another origin),
  // or a status outside HTTP's range: nothing is known to be stored, so the batch is tried again.
  return { kind: 'retry', status, reason: `unexpected HTTP ${status}` };
}
