// What every HTTP-based sink's classifier shares: the response as read, Retry-After, retryable statuses,
// and reasons made safe (no control characters, no credentials, bounded) from text a server sent back.
import { STATUS_CODES } from 'node:http';

export interface HttpResponseInfo {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The response body, or its first bytes when `bodyTruncated`. */
  readonly body: Buffer;
  readonly bodyTruncated?: boolean;
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
export function bodyText(body: Buffer): string {
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

export function statusReason(status: number, body: Buffer, secrets: readonly string[]): string {
  const head = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  const detail = sanitizeReason(bodyText(body), secrets);
  return detail ? `${head}: ${detail}` : head;
}
