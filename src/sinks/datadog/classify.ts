// Pure classification of a Datadog logs intake answer (POST /api/v2/logs) into a SinkOutcome.
//
// Reference, "Send logs" (status codes, limits): https://docs.datadoghq.com/api/latest/logs/send-logs/
//   202 accepted for processing · 400 bad request (payload formatting) · 401 unauthorized (missing API key) ·
//   403 permission issue (invalid API key) · 408 request timeout, retry · 413 payload too large (above 5 MB
//   uncompressed) · 429 too many requests, retry · 500 / 503 retry after some time.
// Error bodies are `{"errors":[…]}` (strings, or objects with status/title/detail).
//
// Mapping (first match wins; "retry" always honours Retry-After):
//   2xx with an empty body or a JSON object (`{}`) → delivered. The intake answers per request, never per log.
//   2xx, anything else (an HTML page, a truncated body) → retry: not the intake's answer (a proxy, a captive
//                           portal, a wrong URL), so nothing proves the logs arrived
//   401 / 403             → auth_failed (delivery applies onAuthFailure)
//   408, 429, 5xx         → retry
//   400                   → rejected: the intake refused the payload (the sink isolates the refused logs of a
//                           multi-log request by resending halves, see sink.ts, so only those are dead-lettered)
//   413                   → retry naming the limit, as splunk_hec does: the sink already splits within the
//                           documented 5 MB, so a 413 means a proxy or endpoint with a lower limit (lower
//                           maxRequestBytes), a configuration problem that must not dead-letter events
//   404, other 4xx        → retry, the reason naming the configuration problem (wrong url, a proxy)
//   3xx                   → retry as misconfigured (a redirect is never followed: the key must not go elsewhere)
//   anything else (1xx)   → retry
import type { SinkOutcome } from '../types.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export interface DatadogClassifyOptions {
  /** Current time for HTTP-date Retry-After values. */
  readonly now?: number;
  /** Secret values (the API key) to scrub from anything the server sent back. */
  readonly secrets?: readonly string[];
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The intake's own words from `{"errors":[…]}`, if the body is that; else undefined. */
function errorsText(body: Buffer): string | undefined {
  const doc = parse(body);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const errors = (doc as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const parts = errors.slice(0, 3).map((e: unknown) => {
    if (typeof e === 'string') return e;
    if (typeof e !== 'object' || e === null) return JSON.stringify(e);
    const o = e as Record<string, unknown>;
    return [o.title, o.detail].filter((x): x is string => typeof x === 'string').join(': ');
  });
  const text = parts.filter((p) => p.length > 0).join('; ');
  return text.length > 0 ? text : undefined;
}

/** "HTTP 400 Bad Request: <the intake's errors or body>", safe for a log line. */
export function datadogReason(status: number, body: Buffer, secrets: readonly string[]): string {
  const text = errorsText(body);
  if (text === undefined) return statusReason(status, body, secrets);
  return `${statusReason(status, Buffer.alloc(0), secrets)}: ${sanitizeReason(text, secrets)}`;
}

/** True for the intake's success body: nothing, or a JSON object (`{}`), read whole. */
function isSuccessBody(res: HttpResponseInfo): boolean {
  if (res.bodyTruncated) return false;
  if (res.body.toString('utf8').trim() === '') return true;
  const doc = parse(res.body);
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc);
}

/** Maps one answer to POST /api/v2/logs. */
export function classifyDatadogResponse(
  res: HttpResponseInfo,
  opts: DatadogClassifyOptions = {},
): SinkOutcome {
  const { status } = res;
  const secrets = opts.secrets ?? [];
  const after = parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now());
  const retry = (reason: string): SinkOutcome =>
    after === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs: after };

  if (status >= 200 && status <= 299) {
    if (isSuccessBody(res)) return { kind: 'delivered' };
    const why = res.bodyTruncated ? 'a body cut off' : "a body that is not the intake's answer";
    return retry(`HTTP ${status} with ${why}: ${sanitizeReason(res.body.toString('utf8'), secrets) || '-'}`);
  }
  const reason = datadogReason(status, res.body, secrets);
  if (status === 401 || status === 403) return { kind: 'auth_failed', status, reason };
  if (isRetryableStatus(status)) return retry(reason);
  if (status === 400) return { kind: 'rejected', status, reason };
  if (status === 413) {
    return retry(`${reason} — request larger than the endpoint accepts: lower maxRequestBytes`);
  }
  if (status === 404) return retry(`${reason} — no logs intake at this URL: check site or url`);
  if (status >= 400 && status <= 499) return retry(reason);
  if (status >= 300 && status <= 399) {
    return { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true };
  }
  return retry(`unexpected HTTP ${status}`);
}
