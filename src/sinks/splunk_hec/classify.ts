// Pure classification of Splunk HEC answers: an event POST into a SinkOutcome, an ack query into the set
// of confirmed ackIds.
//
// HEC answers with a JSON body {"text": "...", "code": n, "ackId"?: n, "invalid-event-number"?: n}; the
// codes and their HTTP statuses are listed under "Possible error codes" in
//   https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector
// and indexer acknowledgement (ackId, POST /services/collector/ack) in
//   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/about-http-event-collector-indexer-acknowledgment
//
// Mapping (first match wins; "retry" always honours Retry-After):
//   2xx + code 0          → delivered; with useAck → accepted {token: String(ackId)}; no ackId at all →
//                           delivered (the token has acknowledgement off: HEC indexed it as without acks);
//                           a malformed ackId → retry
//   2xx, anything else    → retry (an empty or foreign 200 — a proxy, a wrong URL — proves nothing indexed;
//                           real HEC always answers {"text":"Success","code":0})
//   401/403, codes 1-4, 16 → auth_failed (token disabled/required/invalid, query-string auth off)
//   408, 429, 5xx, codes 8, 9, 18-20 → retry (internal error, server busy, unhealthy queues/ack service)
//   codes 6, 12, 13, 15 with invalid-event-number n of this request → partial: sentIds[n] rejected, every
//                           other event retried (see "Events before n" below)
//   the same codes without a usable n → retry the whole request (nothing names the bad event, and a body
//                           HEC cannot read as a whole is more likely mangled in transit than bad data)
//   codes 5, 7, 10, 11, 14, other 4xx → retry, the reason naming the configuration problem (no data, index
//                           not allowed for the token, channel missing/invalid, ack disabled, wrong URL,
//                           body too large): a sink's configuration must never dead-letter security events
//   anything else (1xx, 3xx) → retry
//
// Events before n: the reference does not say whether HEC indexed the events that precede the invalid one,
// and a 400 carries no ackId to confirm them with. They are retried: at-least-once delivery accepts
// duplicates, never losses. Events after n were not read by HEC at all.
//
// useAck on a token whose useACK is off makes HEC index every request and answer without an ackId; retrying
// would index each batch again forever, so that answer counts as delivered (the guarantee without acks).
import type { SinkOutcome } from '../types.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export interface HecClassifyOptions {
  /** The token uses indexer acknowledgement: a success must carry an ackId, answered as `accepted`. */
  readonly useAck: boolean;
  /** Current time for HTTP-date Retry-After values. */
  readonly now?: number;
  /** Secret values (the HEC token) to scrub from anything the server sent back. */
  readonly secrets?: readonly string[];
}

/** A HEC JSON answer as far as it could be read. */
interface HecAnswer {
  readonly code: number;
  readonly text?: string;
  readonly ackId?: unknown;
  readonly invalidEventNumber?: unknown;
}

const AUTH_CODES = new Set([1, 2, 3, 4, 16]);
const BUSY_CODES = new Set([8, 9, 18, 19, 20]);
/** Codes HEC reports about one event of the request (named by invalid-event-number). */
const EVENT_CODES = new Set([6, 12, 13, 15]);
/** What an operator should change for codes that mean the sink's configuration is wrong. */
const CONFIG_HINTS: Readonly<Record<number, string>> = {
  5: 'HEC received no data (a proxy or wrong Content-Encoding may have emptied the body)',
  7: 'HEC refused the index: set an index the token allows',
  10: 'HEC requires a request channel (X-Splunk-Request-Channel) for this token',
  11: 'HEC rejected the request channel',
  14: 'indexer acknowledgement is disabled for this token: set useAck to match the token',
};

/** Reads a HEC JSON answer; undefined when the body is not one (not JSON, no integer `code`). */
function readAnswer(body: Buffer): HecAnswer | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const o = doc as Record<string, unknown>;
  if (typeof o.code !== 'number' || !Number.isInteger(o.code)) return undefined;
  return {
    code: o.code,
    ...(typeof o.text === 'string' ? { text: o.text } : {}),
    ackId: o.ackId,
    invalidEventNumber: o['invalid-event-number'],
  };
}

function isIndex(v: unknown, length: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < length;
}

/** "HTTP 400 Bad Request: HEC code 7 Incorrect index", made safe for a log line. */
function hecReason(status: number, answer: HecAnswer, secrets: readonly string[]): string {
  const head = statusReason(status, Buffer.alloc(0), secrets);
  const text = answer.text === undefined ? '' : sanitizeReason(answer.text, secrets);
  return `${head}: HEC code ${answer.code}${text ? ` ${text}` : ''}`;
}

/** Maps one answer to POST /services/collector/event (sentIds: the request's event ids in body order). */
export function classifyHecResponse(
  res: HttpResponseInfo,
  sentIds: readonly string[],
  opts: HecClassifyOptions,
): SinkOutcome {
  const { status } = res;
  const secrets = opts.secrets ?? [];
  const after = parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now());
  const retry = (reason: string): SinkOutcome =>
    after === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs: after };
  // A cut-off body is never trusted to say "success" or to name an event.
  const answer = res.bodyTruncated ? undefined : readAnswer(res.body);

  if (status >= 200 && status <= 299) {
    if (answer?.code !== 0) {
      const why = res.body.length === 0 ? 'an empty body' : 'a body that is not a HEC success answer';
      return retry(
        `HTTP ${status} with ${why}: ${sanitizeReason(res.body.toString('utf8'), secrets) || '-'}`,
      );
    }
    if (!opts.useAck) return { kind: 'delivered' };
    const { ackId } = answer;
    if (typeof ackId === 'number' && Number.isSafeInteger(ackId) && ackId >= 0) {
      return { kind: 'accepted', token: String(ackId) };
    }
    // No ackId at all: the token has indexer acknowledgement off, and HEC indexed the request as it does
    // without acks. Retrying would index it again on every attempt, forever; the batch is delivered at the
    // guarantee the token offers (the README says to match useAck to the token).
    if (ackId === undefined) return { kind: 'delivered' };
    return retry(
      `HTTP ${status} success without a valid ackId: indexer acknowledgement is configured but the token ` +
        'does not use it (HEC may have indexed this request; fix useAck to stop duplicates)',
    );
  }

  if (status === 401 || status === 403 || (answer !== undefined && AUTH_CODES.has(answer.code))) {
    const reason = answer ? hecReason(status, answer, secrets) : statusReason(status, res.body, secrets);
    return { kind: 'auth_failed', status, reason };
  }

  if (isRetryableStatus(status) || (answer !== undefined && BUSY_CODES.has(answer.code))) {
    return retry(answer ? hecReason(status, answer, secrets) : statusReason(status, res.body, secrets));
  }

  if (answer !== undefined && EVENT_CODES.has(answer.code)) {
    const reason = hecReason(status, answer, secrets);
    const n = answer.invalidEventNumber;
    if (!isIndex(n, sentIds.length)) {
      return retry(`${reason} (no invalid-event-number of this request of ${sentIds.length} events)`);
    }
    const bad = sentIds[n] as string;
    const partial: SinkOutcome = {
      kind: 'partial',
      retry: sentIds.filter((id, i) => i !== n && id !== bad),
      rejected: [{ id: bad, status, reason }],
    };
    return after === undefined ? partial : { ...partial, retryAfterMs: after };
  }

  if (answer !== undefined) {
    const hint = CONFIG_HINTS[answer.code];
    const reason = hecReason(status, answer, secrets);
    return retry(hint ? `${reason} — ${hint}` : reason);
  }
  if (status >= 400 && status <= 499) {
    const hint =
      status === 404
        ? ' — no HEC endpoint at this URL'
        : status === 413
          ? ' — request larger than HEC accepts: lower maxRequestBytes'
          : '';
    return retry(`${statusReason(status, res.body, secrets)}${hint}`);
  }
  // A redirect is not followed: a configuration error of the sink, which holds the tenant.
  if (status >= 300 && status <= 399) {
    return { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true };
  }
  // 1xx as a final answer or a status outside HTTP's range.
  return retry(`unexpected HTTP ${status}`);
}

/**
 * Reads the answer to POST /services/collector/ack, `{"acks":{"0":true,"1":false}}`: the ackIds HEC
 * confirms as indexed. A string is why the answer was not understood (the caller asks again later).
 */
export function parseAckResponse(res: HttpResponseInfo): ReadonlySet<string> | string {
  if (res.status !== 200) return `ack query answered HTTP ${res.status}`;
  if (res.bodyTruncated) return 'ack answer too large to read';
  let doc: unknown;
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    return 'ack answer is not JSON';
  }
  const acks = (doc as { acks?: unknown } | null)?.acks;
  if (typeof doc !== 'object' || Array.isArray(doc) || typeof acks !== 'object' || acks === null) {
    return 'ack answer has no "acks" object';
  }
  if (Array.isArray(acks)) return 'ack answer has no "acks" object';
  const confirmed = new Set<string>();
  for (const [id, done] of Object.entries(acks as Record<string, unknown>)) {
    if (!/^(0|[1-9]\d*)$/.test(id))
      return `ack answer has a non-numeric ackId ${JSON.stringify(id.slice(0, 20))}`;
    if (typeof done !== 'boolean') return `ack answer has a non-boolean status for ackId ${id}`;
    if (done) confirmed.add(id);
  }
  return confirmed;
}
