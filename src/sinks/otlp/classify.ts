// Pure classification of an OTLP/HTTP export answer (POST /v1/logs, JSON) into a SinkOutcome, with the
// partialSuccess the receiver reported.
//
// Reference: https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#otlphttp-response
// (Full Success, Partial Success, Failures, Retryable Response Codes, Bad Data, Throttling) and google.rpc.Status /
// BadRequest: https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto
//
// Mapping (first match wins; every retry honours Retry-After):
//   2xx, empty body or an ExportLogsServiceResponse → delivered. partialSuccess.rejectedLogRecords > 0 is
//       still delivered: the spec says the client MUST NOT retry it, and it names no record, so no event can be
//       dead-lettered without guessing. The count and errorMessage go back beside the outcome (`partialSuccess`)
//       for the sink to count; the records are gone at the receiver.
//   2xx with a body that is not one (not JSON, HTML from a proxy, cut off) → retry: nothing shows an OTLP
//       receiver took the data (a resend is a duplicate at worst, which OTLP accepts).
//   401/403 → auth_failed.
//   429, 502, 503, 504 → retry (the spec's retryable codes). Other 5xx and 408 → retry too: the spec says not
//       to, but logdriver's contract never dead-letters on a server's own failure, and a resend is harmless.
//   404, 405, 415 → retry naming the config (no OTLP logs endpoint at this URL / it refuses JSON).
//   413 → retry naming maxRequestBytes: the request, not an event, is too large. Delivery's poison isolation
//       then sends smaller parts; an event too large alone is dead-lettered by its policy.
//   400 with a google.rpc.BadRequest whose fieldViolations all name logRecords[i] of this request → partial:
//       those records rejected, the rest retried (a 400 accepts nothing). Violations naming the resource or
//       scope → retry held as misconfigured (the sink's settings, not the events). Otherwise 400 and any
//       other 4xx → rejected with the Status message (the spec: permanent, MUST NOT retry).
//   3xx → retry held as misconfigured (redirects are never followed); anything else → retry.
import type { SinkOutcome } from '../types.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** What a receiver said about records it refused while accepting the request. */
export interface PartialSuccess {
  readonly rejectedLogRecords: number;
  readonly errorMessage: string;
}

export interface OtlpVerdict {
  readonly outcome: SinkOutcome;
  /** Present when a 2xx answer carried a partialSuccess (rejections, or only a warning message). */
  readonly partialSuccess?: PartialSuccess;
}

export interface OtlpClassifyOptions {
  readonly now?: number;
  readonly secrets?: readonly string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function contentType(res: HttpResponseInfo): string | undefined {
  const ct = res.headers['content-type'];
  return (typeof ct === 'string' ? ct : ct?.[0])?.toLowerCase();
}

function parseJsonBody(res: HttpResponseInfo): unknown {
  if (res.bodyTruncated) return undefined;
  const type = contentType(res);
  if (type !== undefined && !type.includes('json')) return undefined;
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** An int64 in the JSON mapping: a number or a decimal string. */
function int64(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return Number(v);
  return undefined;
}

/** The 2xx body as an ExportLogsServiceResponse: its partialSuccess, or a string saying why it is not one. */
function readExportResponse(
  res: HttpResponseInfo,
  secrets: readonly string[],
): PartialSuccess | null | string {
  if (res.bodyTruncated) return 'a body cut off';
  if (res.body.toString('utf8').trim() === '') return null;
  const type = contentType(res);
  // A receiver answering a JSON request in binary protobuf breaks the spec's same-Content-Type rule, but it did
  // take the request; its partialSuccess cannot be read here.
  if (type?.startsWith('application/x-protobuf')) return null;
  const doc = parseJsonBody(res);
  if (!isObject(doc)) return 'a body that is not an ExportLogsServiceResponse';
  const ps = doc.partialSuccess;
  if (ps === undefined || ps === null) return null;
  if (!isObject(ps)) return 'a malformed partialSuccess';
  const rejected = ps.rejectedLogRecords === undefined ? 0 : int64(ps.rejectedLogRecords);
  if (rejected === undefined || rejected < 0) return 'a malformed partialSuccess.rejectedLogRecords';
  const message = typeof ps.errorMessage === 'string' ? sanitizeReason(ps.errorMessage, secrets) : '';
  return { rejectedLogRecords: rejected, errorMessage: message };
}

interface RpcStatus {
  readonly message: string;
  readonly details: readonly unknown[];
}

function readStatus(res: HttpResponseInfo): RpcStatus | undefined {
  const doc = parseJsonBody(res);
  if (!isObject(doc)) return undefined;
  if (doc.message === undefined && doc.details === undefined && doc.code === undefined) return undefined;
  return {
    message: typeof doc.message === 'string' ? doc.message : '',
    details: Array.isArray(doc.details) ? (doc.details as unknown[]) : [],
  };
}

const RECORD_FIELD = /^resource_?logs\[0\]\.scope_?logs\[0\]\.log_?records\[(\d{1,9})\]/i;
const ENVELOPE_FIELD = /^resource_?logs\[0\]\.(resource\b|scope_?logs\[0\]\.scope\b)/i;

type Violations =
  | { readonly kind: 'records'; readonly byIndex: ReadonlyMap<number, string> }
  | { readonly kind: 'envelope'; readonly description: string };

/** BadRequest fieldViolations, when every one names a record of this request, or the resource/scope. */
function violations(details: readonly unknown[], count: number): Violations | undefined {
  const detail = details.find((d) => isObject(d) && d['@type'] === BAD_REQUEST_TYPE);
  if (!isObject(detail) || !Array.isArray(detail.fieldViolations)) return undefined;
  const byIndex = new Map<number, string>();
  for (const v of detail.fieldViolations as unknown[]) {
    if (!isObject(v) || typeof v.field !== 'string') return undefined;
    const description = typeof v.description === 'string' ? v.description : '';
    if (ENVELOPE_FIELD.test(v.field)) return { kind: 'envelope', description: `${v.field}: ${description}` };
    const m = RECORD_FIELD.exec(v.field);
    const index = m ? Number(m[1]) : NaN;
    if (!(index < count)) return undefined;
    byIndex.set(index, byIndex.has(index) ? `${byIndex.get(index)}; ${description}` : description);
  }
  return byIndex.size > 0 ? { kind: 'records', byIndex } : undefined;
}

const CONFIG_HINTS: Readonly<Record<number, string>> = {
  404: "no OTLP logs endpoint at this URL: check the sink's url (…/v1/logs)",
  405: "the URL does not take POST: check the sink's url (…/v1/logs)",
  415: 'the receiver does not take OTLP/JSON (application/json)',
  413: "request larger than the receiver accepts: lower the sink's maxRequestBytes",
};

/** Maps one answer to POST /v1/logs (sentIds: the request's event ids, in record order). */
export function classifyOtlpResponse(
  res: HttpResponseInfo,
  sentIds: readonly string[],
  opts: OtlpClassifyOptions = {},
): OtlpVerdict {
  const { status } = res;
  const secrets = opts.secrets ?? [];
  const after = parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now());
  const retry = (reason: string): OtlpVerdict => ({
    outcome:
      after === undefined
        ? { kind: 'retry', status, reason }
        : { kind: 'retry', status, reason, retryAfterMs: after },
  });
  const reason = (): string => {
    const rpc = readStatus(res);
    const head = statusReason(status, Buffer.alloc(0), secrets);
    const detail = rpc
      ? sanitizeReason(rpc.message, secrets)
      : sanitizeReason(res.body.toString('utf8'), secrets);
    const text = detail ? `${head}: ${detail}` : head;
    return res.bodyTruncated ? `${text} (body truncated)` : text;
  };

  if (status >= 200 && status <= 299) {
    const read = readExportResponse(res, secrets);
    if (typeof read === 'string') {
      const shown = sanitizeReason(res.body.toString('utf8'), secrets) || '-';
      return retry(`HTTP ${status} with ${read}, not an OTLP answer: ${shown}`);
    }
    return read === null
      ? { outcome: { kind: 'delivered' } }
      : { outcome: { kind: 'delivered' }, partialSuccess: read };
  }
  if (status === 401 || status === 403) return { outcome: { kind: 'auth_failed', status, reason: reason() } };
  if (isRetryableStatus(status)) return retry(reason());
  const hint = CONFIG_HINTS[status];
  if (hint !== undefined) return retry(`${reason()} — ${hint}`);
  if (status === 400) {
    const rpc = readStatus(res);
    const found = rpc ? violations(rpc.details, sentIds.length) : undefined;
    if (found?.kind === 'envelope') {
      return {
        outcome: {
          kind: 'retry',
          status,
          reason: `${reason()} (${sanitizeReason(found.description, secrets)}) — check the sink's serviceName, hostName and resourceAttributes`,
          misconfigured: true,
        },
      };
    }
    if (found?.kind === 'records') {
      const rejected = [...found.byIndex].map(([i, d]) => ({
        id: sentIds[i]!,
        status,
        reason: `HTTP 400 Bad Request: ${sanitizeReason(d, secrets) || 'invalid log record'}`,
      }));
      const bad = new Set(rejected.map((r) => r.id));
      return { outcome: { kind: 'partial', retry: sentIds.filter((id) => !bad.has(id)), rejected } };
    }
  }
  if (status >= 400 && status <= 499) return { outcome: { kind: 'rejected', status, reason: reason() } };
  if (status >= 300 && status <= 399) {
    return { outcome: { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true } };
  }
  return retry(`unexpected HTTP ${status}`);
}
