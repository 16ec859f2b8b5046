// One ingest exchange of the mock sink: read the body, decide the answer from the options, write it.
//
// The decision order is part of the contract: 401 (auth), 413 (size), 503 (outage window), the mode
// (down 503 / reject 400 / throttle 429), a hang (timeoutRate), an injected failure (failRate),
// 400/415 (unreadable body), then 200 with the envelopes to record. With another protocol than http
// (splunk_hec, gcp_logging, elasticsearch, datadog, otlp) the auth check, the body format, the success status
// and the answers' bodies are that protocol's (protocols.ts). syslog is not HTTP (syslog.ts).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { decodeBody, parseEnvelopes } from './body.js';
import type { Envelope } from './ledger.js';
import type { MockSinkOptions } from './options.js';
import {
  bulkAnswer,
  errorBody,
  esAuthorized,
  hecAuthProblem,
  hecChannel,
  parseBulkBody,
  parseDatadogBody,
  parseGcpBody,
  parseHecBody,
  parseOtlpBody,
  type GcpTokens,
} from './protocols.js';

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Envelopes to record when (and only if) this 2xx reaches a connected client. */
  record?: Envelope[];
  /** The body was refused as unreadable (counted in badRequests). */
  bad?: boolean;
  /** splunk_hec: the request channel; the server issues an ackId and records `record` once it is acked. */
  ackChannel?: string;
  /** elasticsearch: the body, made when `record` is recorded from which of its ids were new (409 items). */
  bodyOnRecord?: (fresh: readonly boolean[]) => unknown;
}

export const CONTROL_BODY_LIMIT = 1024 * 1024;

/** Reads the whole body; `tooLarge` once it passes `limit` (the rest is drained, not kept); null if the client left. */
export function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ body: Buffer; tooLarge: boolean } | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks, tooLarge ? 0 : size), tooLarge }));
    req.on('error', () => resolve(null));
    // A close before 'end' means the client went away mid-body (a second resolve is a no-op).
    req.on('close', () => {
      if (!req.complete) resolve(null);
    });
  });
}

/** True when no credentials are configured, or the header carries the bearer token or the basic pair. */
export function matchesAuth(header: string | undefined, o: MockSinkOptions): boolean {
  if (o.token === undefined && o.basic === undefined) return true;
  if (header === undefined) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && o.token !== undefined) return value === o.token;
  if (scheme === 'basic' && o.basic !== undefined) {
    return Buffer.from(value, 'base64').toString('utf8') === `${o.basic.username}:${o.basic.password}`;
  }
  return false;
}

export function sendAnswer(res: ServerResponse, a: Answer): void {
  const payload = a.body === undefined ? '' : JSON.stringify(a.body);
  res.writeHead(a.status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(payload),
    ...a.headers,
  });
  res.end(payload);
}

export interface ExchangeInput {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  tooLarge: boolean;
  /** ms since the server started, for outage windows. */
  sinceStartMs: number;
  /** Uniform draws in [0, 1) for the hang and failure decisions. */
  timeoutRoll: number;
  failRoll: number;
  /** The request path without the query (elasticsearch: `/<index>/_bulk` names a default index). */
  path?: string;
}

/** The refusal of the request's credentials under the protocol, or undefined when they pass. */
function authProblem(
  o: MockSinkOptions,
  x: ExchangeInput,
  tokens: GcpTokens | undefined,
): Answer | undefined {
  const header = x.headers.authorization;
  switch (o.protocol) {
    case 'splunk_hec':
      return hecAuthProblem(header, o.token);
    case 'gcp_logging':
      if (tokens?.valid(header, Date.now())) return undefined;
      return {
        status: 401,
        body: errorBody('gcp_logging', 401, 'Request had invalid authentication credentials.'),
        headers: { 'www-authenticate': 'Bearer realm="mock-sink"' },
      };
    case 'elasticsearch':
      if (esAuthorized(header, o.token, o.basic)) return undefined;
      return {
        status: 401,
        body: errorBody('elasticsearch', 401, 'unable to authenticate with provided credentials'),
        headers: { 'www-authenticate': 'ApiKey' },
      };
    case 'datadog': {
      const h = x.headers['dd-api-key'];
      const key = Array.isArray(h) ? h[0] : h;
      if (o.token === undefined || key === o.token) return undefined;
      return { status: 403, body: errorBody('datadog', 403, 'Forbidden') };
    }
    case 'syslog':
      return undefined;
    case 'otlp':
    case 'http':
      if (matchesAuth(header, o)) return undefined;
      return {
        status: 401,
        body: { error: 'unauthorized' },
        headers: { 'www-authenticate': o.token !== undefined ? 'Bearer' : 'Basic realm="mock-sink"' },
      };
  }
}

/**
 * The answer to one ingest request under options `o`, or 'hang' to never answer it. `tokens`: the access
 * tokens the gcp_logging protocol's /token issued (required for that protocol).
 */
export async function decide(
  o: MockSinkOptions,
  x: ExchangeInput,
  tokens?: GcpTokens,
): Promise<Answer | 'hang'> {
  const p = o.protocol;
  const refused = authProblem(o, x, tokens);
  if (refused) return refused;
  if (x.tooLarge) {
    return { status: 413, body: errorBody(p, 413, `body exceeds ${o.maxBodyBytes} bytes`, 6), bad: true };
  }
  const outage = o.outages.find((w) => x.sinceStartMs >= w.startMs && x.sinceStartMs < w.endMs);
  if (outage) {
    const retry = outage.retryAfterSec;
    return {
      status: 503,
      body: errorBody(p, 503, p === 'splunk_hec' ? 'Server is busy' : 'outage'),
      headers: retry === undefined ? {} : { 'retry-after': `${retry}` },
    };
  }
  switch (o.mode) {
    case 'down':
      return { status: 503, body: errorBody(p, 503, p === 'splunk_hec' ? 'Server is busy' : 'down') };
    case 'reject':
      return { status: 400, body: errorBody(p, 400, 'rejected by mock sink (mode reject)', 6) };
    case 'throttle':
      return {
        status: 429,
        body: errorBody(p, 429, 'throttled'),
        headers: { 'retry-after': `${o.retryAfterSec}` },
      };
    case 'ok':
      break;
  }
  if (x.timeoutRoll < o.timeoutRate) return 'hang';
  if (x.failRoll < o.failRate) {
    return { status: o.failStatus, body: errorBody(p, o.failStatus, 'injected failure', 8) };
  }
  const decoded = await decodeBody(x.raw, x.headers['content-encoding'], o.maxBodyBytes);
  if (!decoded.ok)
    return { status: decoded.status, body: errorBody(p, decoded.status, decoded.message, 6), bad: true };
  switch (p) {
    case 'splunk_hec': {
      const parsed = parseHecBody(decoded.body);
      if (!parsed.ok) return { status: parsed.status, body: parsed.body, bad: true };
      const channel = hecChannel(x.headers);
      return {
        status: 200,
        body: { text: 'Success', code: 0 },
        record: parsed.envelopes,
        ...(channel === undefined ? {} : { ackChannel: channel }),
      };
    }
    case 'gcp_logging': {
      const parsed = parseGcpBody(decoded.body);
      if (!parsed.ok)
        return { status: parsed.status, body: errorBody(p, parsed.status, parsed.message), bad: true };
      return { status: 200, body: {}, record: parsed.envelopes };
    }
    case 'elasticsearch': {
      const type = (x.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-ndjson' && type !== 'application/json') {
        return {
          status: 406,
          body: errorBody(p, 406, `Content-Type header [${type}] is not supported`),
          bad: true,
        };
      }
      const pathIndex = /^\/([^/_][^/]*)\/_bulk$/.exec(x.path ?? '')?.[1];
      const parsed = parseBulkBody(
        decoded.body,
        pathIndex === undefined ? undefined : decodeURIComponent(pathIndex),
      );
      if (!parsed.ok)
        return { status: parsed.status, body: errorBody(p, parsed.status, parsed.message), bad: true };
      const started = Date.now();
      return {
        status: 200,
        record: parsed.envelopes,
        bodyOnRecord: (fresh) => bulkAnswer(parsed.actions, fresh, Date.now() - started),
      };
    }
    case 'datadog': {
      const parsed = parseDatadogBody(decoded.body);
      if (!parsed.ok)
        return { status: parsed.status, body: errorBody(p, parsed.status, parsed.message), bad: true };
      return { status: 202, body: {}, record: parsed.envelopes };
    }
    case 'otlp': {
      const type = (x.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        return {
          status: 415,
          body: errorBody(p, 415, `unsupported content type ${type} (JSON only)`),
          bad: true,
        };
      }
      const parsed = parseOtlpBody(decoded.body);
      if (!parsed.ok)
        return { status: parsed.status, body: errorBody(p, parsed.status, parsed.message), bad: true };
      return { status: 200, body: {}, record: parsed.envelopes };
    }
    case 'syslog':
      return { status: 404, body: errorBody(p, 404, 'syslog is received over TCP, not HTTP'), bad: true };
    case 'http': {
      const parsed = parseEnvelopes(decoded.body, x.headers['content-type']);
      if (!parsed.ok) return { status: parsed.status, body: { error: parsed.message }, bad: true };
      return { status: 200, body: { accepted: parsed.envelopes.length }, record: parsed.envelopes };
    }
  }
}
