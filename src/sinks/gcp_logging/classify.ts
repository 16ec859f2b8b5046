// Pure classification of a Cloud Logging entries:write response into a SinkOutcome, per-entry verdicts
// included.
//
// References:
// - entries.write, partialSuccess: "If any entry failed, then the response status is the response status of
//   one of the failed entries. The response will include error details in WriteLogEntriesPartialErrors
//   .logEntryErrors keyed by the entries' zero-based index":
//   https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write
// - WriteLogEntriesPartialErrors (only entries that failed with a permanent error are listed; "Failed
//   requests for which no entries are written will not include per-entry errors"):
//   https://cloud.google.com/logging/docs/reference/rpc/google.logging.v2#writelogentriespartialerrors
// - Error body `{"error":{"code","message","status","details":[{"@type",…}]}}` and google.rpc.Code ↔ HTTP:
//   https://cloud.google.com/apis/design/errors and
//   https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto
// - RetryInfo detail (`retryDelay`): https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto
//
// Decisions (never dead-letter a security event on doubt; the API dedupes a resent entry by insertId and
// timestamp, so resending is cheap):
// - 2xx: delivered.
// - per-entry details present and well-formed: listed entries with UNAVAILABLE, RESOURCE_EXHAUSTED,
//   DEADLINE_EXCEEDED, INTERNAL, ABORTED, CANCELLED, UNKNOWN, DATA_LOSS or NOT_FOUND are retried, with
//   ALREADY_EXISTS counted delivered, any other code rejected with its message; unlisted entries delivered,
//   except when the response status is itself transient (429/5xx) and no listed entry explains it: then some
//   entry failed transiently without being listed, so the unlisted ones are retried too. A listed
//   PERMISSION_DENIED/UNAUTHENTICATED means the sink's identity or IAM is wrong: auth_failed for the batch.
// - details malformed (an index not of this request, a code that is not a number): retry the batch.
// - 401 / 403 / UNAUTHENTICATED / PERMISSION_DENIED: auth_failed (delivery applies onAuthFailure).
// - 404 / NOT_FOUND (project or log missing): a configuration problem, not a bad event; retried with a
//   reason saying so rather than dead-lettering every event until the config is fixed.
// - 408, 409 (ABORTED), 429, 499 (CANCELLED), 5xx, or a transient rpc status: retry, honouring Retry-After,
//   else a RetryInfo detail.
// - other 4xx with a google.rpc.Status body and no per-entry details: the request as a whole was refused
//   (e.g. a bad resource type): rejected. Without a readable google.rpc.Status body (truncated, not JSON, not
//   JSON content) a 4xx may hide per-entry verdicts we cannot see, so the batch is retried.
import type { SinkOutcome } from '../types.js';
import {
  MAX_RETRY_AFTER_MS,
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export const PARTIAL_ERRORS_TYPE = 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors';
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** google.rpc.Code: name and the HTTP status it maps to. */
export const RPC_CODES: Readonly<Record<number, { readonly name: string; readonly http: number }>> = {
  0: { name: 'OK', http: 200 },
  1: { name: 'CANCELLED', http: 499 },
  2: { name: 'UNKNOWN', http: 500 },
  3: { name: 'INVALID_ARGUMENT', http: 400 },
  4: { name: 'DEADLINE_EXCEEDED', http: 504 },
  5: { name: 'NOT_FOUND', http: 404 },
  6: { name: 'ALREADY_EXISTS', http: 409 },
  7: { name: 'PERMISSION_DENIED', http: 403 },
  8: { name: 'RESOURCE_EXHAUSTED', http: 429 },
  9: { name: 'FAILED_PRECONDITION', http: 400 },
  10: { name: 'ABORTED', http: 409 },
  11: { name: 'OUT_OF_RANGE', http: 400 },
  12: { name: 'UNIMPLEMENTED', http: 501 },
  13: { name: 'INTERNAL', http: 500 },
  14: { name: 'UNAVAILABLE', http: 503 },
  15: { name: 'DATA_LOSS', http: 500 },
  16: { name: 'UNAUTHENTICATED', http: 401 },
};

const RETRY_CODES = new Set([1, 2, 4, 5, 8, 10, 13, 14, 15]);
const AUTH_CODES = new Set([7, 16]);
const ALREADY_EXISTS = 6;
const RETRY_NAMES = new Set([...RETRY_CODES].map((c) => RPC_CODES[c]!.name));

interface RpcStatus {
  readonly status?: string;
  readonly details: readonly unknown[];
}

type PartialOutcome = Extract<SinkOutcome, { kind: 'partial' }>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body as a google.rpc.Status error, or undefined when it is not one (or not readable as one). */
function parseRpcStatus(res: HttpResponseInfo): RpcStatus | undefined {
  if (res.bodyTruncated) return undefined;
  const ct = res.headers['content-type'];
  const type = (typeof ct === 'string' ? ct : ct?.[0])?.toLowerCase();
  if (type !== undefined && !type.includes('json')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    return undefined;
  }
  const error = isObject(doc) ? doc.error : undefined;
  if (!isObject(error)) return undefined;
  return {
    ...(typeof error.status === 'string' ? { status: error.status } : {}),
    details: Array.isArray(error.details) ? (error.details as unknown[]) : [],
  };
}

/** RetryInfo.retryDelay ("1.5s", a protobuf Duration in JSON) in ms, capped. */
function retryInfoMs(details: readonly unknown[]): number | undefined {
  for (const d of details) {
    if (!isObject(d) || d['@type'] !== RETRY_INFO_TYPE || typeof d.retryDelay !== 'string') continue;
    const m = /^(\d{1,9})(?:\.(\d{1,9}))?s$/.exec(d.retryDelay);
    if (!m) return undefined;
    const ms = Number(m[1]) * 1000 + Math.floor(Number(`0.${m[2] ?? '0'}`) * 1000);
    return Math.min(ms, MAX_RETRY_AFTER_MS);
  }
  return undefined;
}

type EntryErrors = Map<number, { code: number; message: string }>;

/** logEntryErrors of a WriteLogEntriesPartialErrors detail; undefined if none; a string when malformed. */
function entryErrors(details: readonly unknown[], count: number): EntryErrors | string | undefined {
  const detail = details.find((d) => isObject(d) && d['@type'] === PARTIAL_ERRORS_TYPE);
  if (!isObject(detail)) return undefined;
  const map = detail.logEntryErrors;
  if (map === undefined) return undefined;
  if (!isObject(map)) return 'logEntryErrors is not an object';
  const out: EntryErrors = new Map();
  for (const [key, value] of Object.entries(map)) {
    const index = /^\d{1,9}$/.test(key) ? Number(key) : NaN;
    if (!(index < count)) return 'an entry index is not one of this request';
    if (!isObject(value)) return 'an entry error is not an object';
    const code = value.code ?? 2; // proto3 JSON omits a zero/default; a missing code is not OK here
    if (typeof code !== 'number' || !Number.isInteger(code) || code <= 0 || code > 16) {
      return 'an entry error has no google.rpc.Code';
    }
    out.set(index, { code, message: typeof value.message === 'string' ? value.message : '' });
  }
  return out;
}

function codeName(code: number): string {
  return RPC_CODES[code]?.name ?? `code ${code}`;
}

/** Maps one entries:write response to what delivery should do with the request's entries (`sentIds`, in order). */
export function classifyEntriesWrite(
  res: HttpResponseInfo,
  sentIds: readonly string[],
  opts: { now?: number; secrets?: readonly string[] } = {},
): SinkOutcome {
  const { status } = res;
  if (status >= 200 && status <= 299) return { kind: 'delivered' };
  const secrets = opts.secrets ?? [];
  const rpc = parseRpcStatus(res);
  const reason = (): string => {
    const r = statusReason(status, res.body, secrets);
    return res.bodyTruncated ? `${r} (body truncated)` : r;
  };
  const retryAfterMs = (): number | undefined =>
    parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now()) ??
    (rpc ? retryInfoMs(rpc.details) : undefined);
  const retry = (why: string): SinkOutcome => {
    const after = retryAfterMs();
    return after === undefined
      ? { kind: 'retry', status, reason: why }
      : { kind: 'retry', status, reason: why, retryAfterMs: after };
  };
  const name = rpc?.status;
  const transient =
    isRetryableStatus(status) ||
    status === 499 ||
    (status === 409 && name !== 'ALREADY_EXISTS') ||
    RETRY_NAMES.has(name ?? '');

  if (rpc) {
    const errors = entryErrors(rpc.details, sentIds.length);
    if (typeof errors === 'string') return retry(`${reason()}; per-entry errors not understood: ${errors}`);
    if (errors && errors.size > 0) {
      const codes = [...errors.values()].map((e) => e.code);
      if (codes.some((c) => AUTH_CODES.has(c))) return { kind: 'auth_failed', status, reason: reason() };
      const unlistedUncertain = transient && !codes.some((c) => RETRY_CODES.has(c));
      const retryIds: string[] = [];
      const rejected: { id: string; status: number; reason: string }[] = [];
      sentIds.forEach((id, i) => {
        const e = errors.get(i);
        if (e === undefined) {
          if (unlistedUncertain) retryIds.push(id);
        } else if (RETRY_CODES.has(e.code)) {
          retryIds.push(id);
        } else if (e.code !== ALREADY_EXISTS) {
          const msg = sanitizeReason(e.message, secrets);
          const name = codeName(e.code);
          rejected.push({ id, status: RPC_CODES[e.code]!.http, reason: msg ? `${name}: ${msg}` : name });
        }
      });
      if (retryIds.length === 0 && rejected.length === 0) return { kind: 'delivered' };
      const outcome: PartialOutcome = { kind: 'partial', retry: retryIds, rejected };
      const after = retryIds.length > 0 ? retryAfterMs() : undefined;
      return after === undefined ? outcome : { ...outcome, retryAfterMs: after };
    }
  }

  if (status === 401 || status === 403 || name === 'UNAUTHENTICATED' || name === 'PERMISSION_DENIED') {
    return { kind: 'auth_failed', status, reason: reason() };
  }
  if (status === 404 || name === 'NOT_FOUND') {
    return retry(`${reason()}; the project or log was not found: check the sink's projectId/logId`);
  }
  if (transient) return retry(reason());
  if (status >= 400 && status <= 499) {
    if (!rpc) return retry(`${reason()}; no google.rpc.Status body, per-entry verdicts unknown`);
    // With partialSuccess a bad entry is reported per entry: a request-level 4xx without per-entry details
    // is about the request itself (a mistyped resource type, labels, logName), so it holds the tenant as
    // misconfigured instead of dead-lettering every batch until the config is fixed.
    return {
      kind: 'retry',
      status,
      reason: `${reason()}; the request itself was refused: check the sink's resource, labels and logId`,
      misconfigured: true,
    };
  }
  // A redirect is not followed: a configuration error of the sink, which holds the tenant.
  if (status >= 300 && status <= 399) {
    return { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true };
  }
  // 1xx as a final answer or a status outside HTTP's range: nothing is known to be stored.
  return retry(`unexpected HTTP ${status}`);
}
