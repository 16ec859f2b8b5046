// The mock sink's protocol modes besides logdriver's own envelopes: Splunk HEC and Cloud Logging entries:write.
// Enough of each protocol for logdriver's sinks to deliver into it on loopback, and for the ledger to count
// every event by its id, so the usual report (unique, duplicates, order, latency) works for them too.
//
// splunk_hec (https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/):
// - POST /services/collector/event (also /services/collector): `Authorization: Splunk <token>` (the token
//   checked when one is configured), a body of HEC event envelopes one after another (gzip allowed), each
//   with fields.event_id and fields.tenant (what logdriver's encoder writes; an envelope without them is
//   refused as code 6 naming it). Success: {"text":"Success","code":0}.
// - Indexer acknowledgement: a request that carries `X-Splunk-Request-Channel` gets an ackId, numbered per
//   channel from 0; POST /services/collector/ack with {"acks":[ids]} on that channel answers
//   {"acks":{"id":true|false}}, true once `ackDelayMs` has passed since the request was answered. An id is
//   reported true once, then forgotten (as Splunk does). Events of a request with a channel are recorded in
//   the ledger when their ackId is first reported true (latency therefore includes the acknowledgement).
//   Requests without a channel are recorded at once (a token without indexer acknowledgement).
// - Latency origin: the envelope's `time` (epoch seconds), i.e. the event's own timestamp, not logdriver's
//   receipt time, which HEC envelopes do not carry.
//
// gcp_logging (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write):
// - POST /token: the OAuth 2.0 JWT bearer grant (RFC 7523). The mock checks the grant type and that the
//   assertion is a JWT whose claims name an issuer and the scope, but it does NOT verify the signature (the
//   bench does not hand the mock the public key); the tests' fake (test/support/fakes/gcp-logging.ts) does.
//   It issues an opaque token valid for an hour: {"access_token","expires_in":3600,"token_type":"Bearer"}.
// - POST /v2/entries:write: `Authorization: Bearer <token issued by /token>` (else 401 UNAUTHENTICATED),
//   a JSON body {entries:[LogEntry…]} (gzip allowed), every entry with insertId (the event id) and
//   labels.tenant (entry or request labels). Success: {}.
// - Latency origin: the entry's `timestamp` (the event's own timestamp), as for HEC.
//
// elasticsearch (https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk):
// - POST /_bulk (also /<index>/_bulk): an NDJSON body ending in "\n" (gzip allowed) of `create` (or `index`)
//   action lines, each followed by its document; `_id` is the event id and the document's
//   logdriver.event_id / logdriver.tenant name it (what logdriver's encoder writes; a pair without them is
//   refused whole, 400 illegal_argument_exception). `Authorization: ApiKey <token>` (or the basic
//   credentials) checked when configured, else 401 security_exception.
// - Success: {"took","errors","items":[{"create":{"_index","_id","status":201,"result":"created"}}]}, an
//   item per action in order; an `_id` already recorded answers its item 409
//   version_conflict_engine_exception (and `errors: true`), as `create` does. The items are decided when
//   the batch is recorded (same tick as the answer); the ledger counts such a redelivery as a duplicate.
// - Latency origin: the document's logdriver.received_at (logdriver's receipt, millisecond precision).
//
// datadog (https://docs.datadoghq.com/api/latest/logs/send-logs/):
// - POST /api/v2/logs: `DD-API-KEY: <token>` checked when a token is configured (else 403
//   {"errors":[{"status":"403","title":"Forbidden",…}]}), a JSON array of log entries (gzip allowed), each
//   with `event_id` and a `tenant:<t>` tag in `ddtags` (the tag as the sink made it safe: lowercased, so the
//   ledger's tenant is the tag's value). Success: 202 {}.
// - Latency origin: `timestampMillis` of the event in `message` (the event's own timestamp; the entry
//   carries no time of its own), so every entry's message is parsed.
//
// otlp (https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#otlphttp):
// - POST /v1/logs, JSON encoding only (other content types 415): an ExportLogsServiceRequest (gzip
//   allowed) whose every LogRecord has the attributes logdriver.event_id and logdriver.tenant. The bearer
//   token checked when configured (401 google.rpc.Status). Success: 200 {} (a full success).
// - Latency origin: the record's observedTimeUnixNano, which logdriver sets to its receipt time.
//
// syslog: a TCP receiver, in syslog.ts.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BodyResult } from './body.js';
import type { Envelope } from './ledger.js';
import type { SinkProtocol } from './options.js';

export const HEC_EVENT_PATHS: ReadonlySet<string> = new Set([
  '/services/collector',
  '/services/collector/event',
]);
export const HEC_ACK_PATH = '/services/collector/ack';
export const GCP_WRITE_PATH = '/v2/entries:write';
export const GCP_TOKEN_PATH = '/token';
export const DATADOG_LOGS_PATH = '/api/v2/logs';
export const OTLP_LOGS_PATH = '/v1/logs';
/** `/_bulk` or `/<index>/_bulk`. */
export const ES_BULK_PATH = /^(?:\/[^/]+)?\/_bulk$/;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_LIFETIME_S = 3600;

/** An error body in the protocol's own shape (HEC {"text","code"}, google.rpc.Status, or logdriver's). */
export function errorBody(protocol: SinkProtocol, status: number, message: string, hecCode = 9): unknown {
  switch (protocol) {
    case 'splunk_hec':
      return { text: message, code: hecCode };
    case 'gcp_logging': {
      const name =
        status === 401
          ? 'UNAUTHENTICATED'
          : status === 429
            ? 'RESOURCE_EXHAUSTED'
            : status === 400
              ? 'INVALID_ARGUMENT'
              : status === 404
                ? 'NOT_FOUND'
                : status === 503
                  ? 'UNAVAILABLE'
                  : 'INTERNAL';
      return { error: { code: status, message, status: name } };
    }
    case 'elasticsearch': {
      const type =
        status === 401
          ? 'security_exception'
          : status === 429
            ? 'es_rejected_execution_exception'
            : status === 413
              ? 'content_too_long_exception'
              : status === 400
                ? 'illegal_argument_exception'
                : status === 404
                  ? 'no_handler_found_exception'
                  : 'mock_sink_exception';
      return { error: { root_cause: [{ type, reason: message }], type, reason: message }, status };
    }
    case 'datadog':
      return {
        errors: [{ status: String(status), title: STATUS_TITLES[status] ?? 'Error', detail: message }],
      };
    case 'otlp':
      return { code: GRPC_CODES[status] ?? 13, message };
    case 'http':
    case 'syslog':
      return { error: message };
  }
}

const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** google.rpc.Code of an HTTP status (the HTTP mapping of google.rpc.Code, read backwards). */
const GRPC_CODES: Readonly<Record<number, number>> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  413: 8,
  415: 3,
  429: 8,
  500: 13,
  503: 14,
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Splits concatenated JSON values (HEC's body: values one after another, any whitespace between) into
 * their texts, tracking strings and nesting only. Used when the body is not one envelope per line.
 */
export function splitConcatenatedJson(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t';
  while (i < text.length) {
    while (i < text.length && isSpace(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (--depth <= 0) {
          i++;
          break;
        }
      } else if (depth === 0 && isSpace(c)) break;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

/** The parsed envelopes of a HEC body: one per line (what logdriver sends), else any concatenation. */
function hecValues(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  try {
    for (const line of text.split('\n')) if (line.trim() !== '') values.push(JSON.parse(line));
    return values;
  } catch {
    // Not one envelope per line: fall back to the general splitter below.
  }
  try {
    return splitConcatenatedJson(text).map((t) => JSON.parse(t) as unknown);
  } catch {
    return undefined;
  }
}

/** HEC event envelopes as ledger envelopes; a refusal names the envelope (HEC's invalid-event-number). */
export function parseHecBody(
  body: Buffer,
): { ok: true; envelopes: Envelope[] } | { ok: false; status: 400; body: unknown } {
  const values = hecValues(body.toString('utf8'));
  if (values === undefined) return { ok: false, status: 400, body: { text: 'Invalid data format', code: 6 } };
  if (values.length === 0) return { ok: false, status: 400, body: { text: 'No data', code: 5 } };
  const envelopes: Envelope[] = [];
  for (let n = 0; n < values.length; n++) {
    const env = values[n];
    const refuse = (code: number, text: string) =>
      ({ ok: false, status: 400, body: { text, code, 'invalid-event-number': n } }) as const;
    if (!isObject(env)) return refuse(6, 'Invalid data format');
    if (!('event' in env)) return refuse(12, 'Event field is required');
    if (env.event === '' || env.event === null) return refuse(13, 'Event field cannot be blank');
    const fields = env.fields;
    if (!isObject(fields) || typeof fields.event_id !== 'string' || fields.event_id === '') {
      return refuse(6, 'Invalid data format (mock sink: fields.event_id is required to count events)');
    }
    if (typeof fields.tenant !== 'string' || fields.tenant === '') {
      return refuse(6, 'Invalid data format (mock sink: fields.tenant is required to count events)');
    }
    const time = typeof env.time === 'number' ? env.time * 1000 : Number(env.time) * 1000;
    envelopes.push({
      id: fields.event_id,
      tenantId: fields.tenant,
      receivedAt: Number.isFinite(time) ? time : undefined,
      event: env.event,
    });
  }
  return { ok: true, envelopes };
}

/** entries:write LogEntries as ledger envelopes; a refusal is a google.rpc.Status. */
export function parseGcpBody(body: Buffer): BodyResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, message: 'Invalid JSON payload received.' };
  }
  if (!isObject(doc) || !Array.isArray(doc.entries) || doc.entries.length === 0) {
    return { ok: false, status: 400, message: 'entries: at least one log entry is required' };
  }
  const requestLabels = isObject(doc.labels) ? doc.labels : {};
  const envelopes: Envelope[] = [];
  const entries = doc.entries as unknown[];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!isObject(e)) return { ok: false, status: 400, message: `entries[${i}]: not an object` };
    const labels = isObject(e.labels) ? e.labels : {};
    const tenant = labels.tenant ?? requestLabels.tenant;
    if (typeof e.insertId !== 'string' || e.insertId === '' || typeof tenant !== 'string' || tenant === '') {
      return {
        ok: false,
        status: 400,
        message: `entries[${i}]: mock sink needs insertId and labels.tenant to count events`,
      };
    }
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    envelopes.push({
      id: e.insertId,
      tenantId: tenant,
      receivedAt: Number.isFinite(ts) ? ts : undefined,
      event: e.jsonPayload ?? e.textPayload,
    });
  }
  return { ok: true, envelopes };
}

/** The HEC token of `Authorization: Splunk <token>`, or the HEC answer refusing the header. */
export function hecAuthProblem(
  header: string | undefined,
  token: string | undefined,
): { status: number; body: unknown } | undefined {
  if (header === undefined || header === '')
    return { status: 401, body: { text: 'Token is required', code: 2 } };
  const m = /^Splunk (\S+)$/.exec(header);
  if (!m) return { status: 401, body: { text: 'Invalid authorization', code: 3 } };
  if (token !== undefined && m[1] !== token) return { status: 403, body: { text: 'Invalid token', code: 4 } };
  return undefined;
}

/** The request channel header, if any. */
export function hecChannel(headers: IncomingHttpHeaders): string | undefined {
  const h = headers['x-splunk-request-channel'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined || v === '' ? undefined : v;
}

interface PendingAck {
  readonly at: number;
  readonly envelopes: readonly Envelope[];
}

/** HEC indexer acknowledgement state: ackIds per channel and the events waiting on each. */
export class HecAcks {
  #channels = new Map<string, { next: number; pending: Map<number, PendingAck> }>();
  queries = 0;

  /** A new ackId on `channel` for these (not yet recorded) envelopes. */
  issue(channel: string, envelopes: readonly Envelope[], now: number): number {
    let ch = this.#channels.get(channel);
    if (!ch) this.#channels.set(channel, (ch = { next: 0, pending: new Map() }));
    const id = ch.next++;
    ch.pending.set(id, { at: now, envelopes });
    return id;
  }

  /**
   * Answers an ack query: each id true when pending on the channel for at least `delayMs`; those are
   * forgotten and their envelopes handed to `record` (once, in ackId order of the query).
   */
  query(
    channel: string,
    ids: readonly number[],
    delayMs: number,
    now: number,
    record: (envelopes: readonly Envelope[]) => void,
  ): Record<string, boolean> {
    this.queries++;
    const ch = this.#channels.get(channel);
    const acks: Record<string, boolean> = {};
    for (const id of ids) {
      const p = ch?.pending.get(id);
      const done = p !== undefined && now - p.at >= delayMs;
      if (done) {
        ch!.pending.delete(id);
        record(p.envelopes);
      }
      acks[String(id)] = done;
    }
    return acks;
  }

  /** ackIds issued and not yet reported true. */
  get pending(): number {
    let n = 0;
    for (const ch of this.#channels.values()) n += ch.pending.size;
    return n;
  }

  reset(): void {
    this.#channels = new Map();
    this.queries = 0;
  }
}

/** Parses `{"acks":[0,1,2]}`; undefined when it is not that. */
export function parseAckQuery(body: Buffer): number[] | undefined {
  let ids: unknown;
  try {
    ids = (JSON.parse(body.toString('utf8')) as { acks?: unknown }).acks;
  } catch {
    return undefined;
  }
  return Array.isArray(ids) && ids.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)
    ? (ids as number[])
    : undefined;
}

/** Access tokens issued by the mock's /token, with their expiry. */
export class GcpTokens {
  readonly #tokens = new Map<string, number>();
  issued = 0;

  /**
   * Answers a token request (an x-www-form-urlencoded body). Checks the grant type and the assertion's
   * shape and claims (iss, scope); the RS256 signature is NOT verified (see the opening comment).
   */
  grant(form: string, now: number): { status: number; body: unknown } {
    const p = new URLSearchParams(form);
    if (p.get('grant_type') !== JWT_BEARER) {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' },
      };
    }
    const parts = (p.get('assertion') ?? '').split('.');
    let claims: unknown;
    try {
      if (parts.length !== 3 || parts[2] === '') throw new Error('not a JWT');
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: malformed' } };
    }
    if (!isObject(claims) || typeof claims.iss !== 'string' || typeof claims.scope !== 'string') {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: claims' } };
    }
    const token = `mock-${randomBytes(16).toString('hex')}`;
    this.#tokens.set(token, now + TOKEN_LIFETIME_S * 1000);
    this.issued++;
    return { status: 200, body: { access_token: token, expires_in: TOKEN_LIFETIME_S, token_type: 'Bearer' } };
  }

  /** True when `Authorization: Bearer <t>` carries an unexpired token of this mock. */
  valid(header: string | undefined, now: number): boolean {
    const m = /^Bearer (\S+)$/.exec(header ?? '');
    const expiresAt = m ? this.#tokens.get(m[1]!) : undefined;
    return expiresAt !== undefined && expiresAt > now;
  }
}

/** One action of a bulk body, in order: what its answer item names. */
export interface BulkAction {
  readonly action: 'create' | 'index';
  readonly index: string;
  readonly id: string;
}

type Refusal = { ok: false; status: 400; message: string };

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A `_bulk` body's actions and their documents as ledger envelopes (see the opening comment). */
export function parseBulkBody(
  body: Buffer,
  pathIndex: string | undefined,
): { ok: true; envelopes: Envelope[]; actions: BulkAction[] } | Refusal {
  const text = body.toString('utf8');
  if (text.length === 0)
    return { ok: false, status: 400, message: 'Validation Failed: 1: no requests added;' };
  if (!text.endsWith('\n')) {
    return { ok: false, status: 400, message: 'The bulk request must be terminated by a newline [\\n]' };
  }
  const lines = text.slice(0, -1).split('\n');
  const envelopes: Envelope[] = [];
  const actions: BulkAction[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const meta = parseLine(lines[i]!);
    const name = meta ? Object.keys(meta)[0] : undefined;
    const target = name !== undefined ? meta![name] : undefined;
    if ((name !== 'create' && name !== 'index') || !isObject(target) || Object.keys(meta!).length !== 1) {
      return { ok: false, status: 400, message: `Malformed action/metadata line [${i + 1}]` };
    }
    const index = typeof target._index === 'string' ? target._index : pathIndex;
    const id = target._id;
    if (index === undefined || typeof id !== 'string' || id === '') {
      return {
        ok: false,
        status: 400,
        message: `line [${i + 1}]: mock sink needs _index and _id to count events`,
      };
    }
    const doc = i + 1 < lines.length ? parseLine(lines[i + 1]!) : undefined;
    const own = doc && isObject(doc.logdriver) ? doc.logdriver : undefined;
    if (!own || own.event_id !== id || typeof own.tenant !== 'string' || own.tenant === '') {
      return {
        ok: false,
        status: 400,
        message: `line [${i + 2}]: mock sink needs logdriver.event_id (= _id) and logdriver.tenant to count events`,
      };
    }
    const at = typeof own.received_at === 'string' ? Date.parse(own.received_at) : NaN;
    actions.push({ action: name, index, id });
    envelopes.push({
      id,
      tenantId: own.tenant,
      receivedAt: Number.isFinite(at) ? at : undefined,
      event: doc,
    });
  }
  return { ok: true, envelopes, actions };
}

/** The bulk answer, once `fresh` (per action, from the ledger) says which ids were new. */
export function bulkAnswer(
  actions: readonly BulkAction[],
  fresh: readonly boolean[],
  tookMs: number,
): unknown {
  let errors = false;
  const items = actions.map((a, i) => {
    const base = { _index: a.index, _id: a.id };
    if (fresh[i]) return { [a.action]: { ...base, _version: 1, result: 'created', status: 201 } };
    if (a.action === 'index') return { index: { ...base, _version: 2, result: 'updated', status: 200 } };
    errors = true;
    const reason = `[${a.id}]: version conflict, document already exists (current version [1])`;
    return {
      create: {
        ...base,
        status: 409,
        error: { type: 'version_conflict_engine_exception', reason, index: a.index },
      },
    };
  });
  return { took: tookMs, errors, items };
}

/** `Authorization: ApiKey <token>` or the basic pair, when either is configured. */
export function esAuthorized(
  header: string | undefined,
  token: string | undefined,
  basic: { username: string; password: string } | undefined,
): boolean {
  if (token === undefined && basic === undefined) return true;
  if (token !== undefined && header === `ApiKey ${token}`) return true;
  if (basic !== undefined) {
    const want = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
    if (header === want) return true;
  }
  return false;
}

/** The value of the first `tenant:` tag of a ddtags string. */
function tenantOfTags(tags: string): string | undefined {
  for (const tag of tags.split(',')) if (tag.startsWith('tenant:') && tag.length > 7) return tag.slice(7);
  return undefined;
}

/** The event's own `timestampMillis` from a Datadog entry's message (the event as a JSON string). */
function messageMillis(message: unknown): number | undefined {
  if (typeof message !== 'string') return undefined;
  try {
    const doc: unknown = JSON.parse(message);
    const ts = isObject(doc) ? doc.timestampMillis : undefined;
    return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
  } catch {
    return undefined;
  }
}

/** A logs intake v2 body (a JSON array of entries, or one entry) as ledger envelopes. */
export function parseDatadogBody(body: Buffer): BodyResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, message: 'Malformed JSON' };
  }
  const entries = Array.isArray(doc) ? (doc as unknown[]) : [doc];
  if (entries.length === 0) return { ok: false, status: 400, message: 'no logs in the request' };
  const envelopes: Envelope[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const tenant = isObject(e) && typeof e.ddtags === 'string' ? tenantOfTags(e.ddtags) : undefined;
    if (!isObject(e) || typeof e.event_id !== 'string' || e.event_id === '' || tenant === undefined) {
      return {
        ok: false,
        status: 400,
        message: `log ${i}: mock sink needs event_id and a tenant: tag to count events`,
      };
    }
    envelopes.push({
      id: e.event_id,
      tenantId: tenant,
      receivedAt: messageMillis(e.message),
      event: e.message,
    });
  }
  return { ok: true, envelopes };
}

/** The stringValue of attribute `key`, if any. */
function stringAttribute(attributes: unknown, key: string): string | undefined {
  if (!Array.isArray(attributes)) return undefined;
  for (const kv of attributes as unknown[]) {
    if (isObject(kv) && kv.key === key && isObject(kv.value) && typeof kv.value.stringValue === 'string') {
      return kv.value.stringValue;
    }
  }
  return undefined;
}

/** An ExportLogsServiceRequest (JSON) as ledger envelopes, one per LogRecord. */
export function parseOtlpBody(body: Buffer): BodyResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, status: 400, message: 'invalid JSON in ExportLogsServiceRequest' };
  }
  if (!isObject(doc) || !Array.isArray(doc.resourceLogs)) {
    return { ok: false, status: 400, message: 'resourceLogs is required' };
  }
  const envelopes: Envelope[] = [];
  for (const rl of doc.resourceLogs as unknown[]) {
    const scopes = isObject(rl) && Array.isArray(rl.scopeLogs) ? (rl.scopeLogs as unknown[]) : [];
    for (const sl of scopes) {
      const records = isObject(sl) && Array.isArray(sl.logRecords) ? (sl.logRecords as unknown[]) : [];
      for (const r of records) {
        const attrs = isObject(r) ? r.attributes : undefined;
        const id = stringAttribute(attrs, 'logdriver.event_id');
        const tenant = stringAttribute(attrs, 'logdriver.tenant');
        if (!isObject(r) || id === undefined || id === '' || tenant === undefined || tenant === '') {
          return {
            ok: false,
            status: 400,
            message: `logRecords[${envelopes.length}]: mock sink needs logdriver.event_id and logdriver.tenant`,
          };
        }
        const ns = typeof r.observedTimeUnixNano === 'string' ? Number(r.observedTimeUnixNano) : NaN;
        envelopes.push({
          id,
          tenantId: tenant,
          receivedAt: Number.isFinite(ns) ? ns / 1e6 : undefined,
          event: r.body,
        });
      }
    }
  }
  if (envelopes.length === 0) return { ok: false, status: 400, message: 'no log records in the request' };
  return { ok: true, envelopes };
}
