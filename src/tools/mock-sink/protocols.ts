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
    case 'http':
      return { error: message };
  }
}

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
