// The generic http sink's config: its schema, and the frozen request settings it resolves to (secret header
// values stay wrapped in Secret).
import { z } from 'zod';
import { clientTls, onAuthFailure, payloadBytes, positiveInt, secret } from '../../config/fields.js';
import { Secret } from '../../config/secret.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { UNBOUNDED_LIMITS } from '../descriptor.js';
import { FORBIDDEN_IN_HEADER_VALUE, resolveExtraHeaders } from '../transport/headers.js';
import type { PayloadLimits } from '../types.js';

// Both forms at once would fail each union branch with "unknown key": say what is wrong before the union runs.
const oneAuthForm = z.custom<unknown>(
  (v) => !(typeof v === 'object' && v !== null && 'bearer' in v && 'basic' in v),
  'set either bearer or basic, not both',
);
const httpAuth = oneAuthForm.pipe(
  z.union([
    z.strictObject({ bearer: secret }),
    z.strictObject({ basic: z.strictObject({ username: z.string().min(1), password: secret }) }),
  ]),
);

export const httpSinkSchema = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  /** ndjson: one envelope per line; json_array: one JSON array of envelopes. */
  format: z.enum(['ndjson', 'json_array']).default('ndjson'),
  headers: z.record(z.string(), secret).default({}),
  auth: httpAuth.optional(),
  gzip: z.boolean().default(false),
  timeoutMs: positiveInt.default(30_000),
  /** Extra CA bundle (PEM file) to trust; TLS verification itself cannot be turned off. */
  tls: clientTls,
  maxConnections: positiveInt.default(4),
  /** What the endpoint accepts per request; unset: no bound beyond delivery.batchSize/maxBatchBytes. */
  limits: z
    .strictObject({
      maxRequestBytes: payloadBytes.optional(),
      maxEvents: positiveInt.optional(),
      maxEventBytes: payloadBytes.optional(),
    })
    .prefault({}),
  /** 401/403: hold the tenant's lane and retry (default), or dead-letter the batch. */
  onAuthFailure,
});

export type HttpSinkConfig = z.output<typeof httpSinkSchema>;
export type HttpFormat = HttpSinkConfig['format'];

/** A header as the sink sends it: names lower-case; secret values are revealed only by `renderHeaders`. */
export interface HeaderSetting {
  readonly name: string;
  readonly value: string | Secret;
}

export interface HttpSinkSettings {
  /** scheme://host:port — one connection pool per origin. */
  readonly origin: string;
  /** Path and query sent in the request line. */
  readonly path: string;
  /** The URL without credentials, for logs and reasons. */
  readonly url: string;
  readonly format: HttpFormat;
  readonly gzip: boolean;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
  readonly headers: readonly HeaderSetting[];
  readonly limits: PayloadLimits;
}

export const CONTENT_TYPES: Readonly<Record<HttpFormat, string>> = {
  ndjson: 'application/x-ndjson',
  json_array: 'application/json',
};

function configError(message: string): LogdriverError {
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `http sink: ${message}`);
}

function authorization(auth: NonNullable<HttpSinkConfig['auth']>): Secret {
  if ('bearer' in auth) return new Secret(`Bearer ${auth.bearer.reveal()}`);
  const { username, password } = auth.basic;
  if (username.includes(':')) throw configError('auth.basic.username must not contain ":"');
  const pair = Buffer.from(`${username}:${password.reveal()}`, 'utf8').toString('base64');
  return new Secret(`Basic ${pair}`);
}

/** Validates what the schema cannot (URL credentials, reserved or malformed headers) and freezes the result. */
export function resolveHttpSettings(cfg: HttpSinkConfig): HttpSinkSettings {
  let url: URL;
  try {
    url = new URL(cfg.url);
  } catch (err) {
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, 'http sink: url is not a valid URL', { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError('url must be http or https');
  // Credentials in a URL end up in logs; they belong in auth.basic, where they stay a Secret.
  if (url.username !== '' || url.password !== '') {
    throw configError('url must not contain credentials; use auth.basic');
  }
  url.hash = '';

  const headers: Map<string, HeaderSetting> = resolveExtraHeaders(cfg.headers, configError);
  if (cfg.auth) {
    if (headers.has('authorization'))
      throw configError('set either auth or an Authorization header, not both');
    const value = authorization(cfg.auth);
    if (FORBIDDEN_IN_HEADER_VALUE.test(value.reveal()))
      throw configError('auth: the credential contains CR, LF or NUL');
    headers.set('authorization', { name: 'authorization', value });
  }
  // A configured Content-Type (e.g. with a charset) wins over the format's default.
  if (!headers.has('content-type')) {
    headers.set('content-type', { name: 'content-type', value: CONTENT_TYPES[cfg.format] });
  }

  return Object.freeze({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    url: url.href,
    format: cfg.format,
    gzip: cfg.gzip,
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
    headers: Object.freeze([...headers.values()].map((h) => Object.freeze(h))),
    limits: Object.freeze({
      maxRequestBytes: cfg.limits.maxRequestBytes ?? UNBOUNDED_LIMITS.maxRequestBytes,
      maxEvents: cfg.limits.maxEvents ?? UNBOUNDED_LIMITS.maxEvents,
      maxEventBytes: cfg.limits.maxEventBytes ?? UNBOUNDED_LIMITS.maxEventBytes,
    }),
  });
}

/** The request headers with secrets revealed: call once per request, never store or log the result. */
export function renderHeaders(settings: HttpSinkSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of settings.headers) out[h.name] = typeof h.value === 'string' ? h.value : h.value.reveal();
  return out;
}

/** The revealed secret header values, for scrubbing them out of text a server sent back. */
export function secretValues(settings: HttpSinkSettings): string[] {
  const out: string[] = [];
  for (const h of settings.headers) {
    if (typeof h.value === 'string') continue;
    const v = h.value.reveal();
    out.push(v);
    // Also the bare credential after a scheme word ("Bearer xyz" -> "xyz"), which servers often echo alone.
    const space = v.indexOf(' ');
    if (space > 0 && space < v.length - 1) out.push(v.slice(space + 1));
    // And for Basic, what it encodes: a server may echo the decoded "user:password" or the password alone.
    if (h.name === 'authorization' && /^basic /i.test(v)) {
      const pair = Buffer.from(v.slice(6), 'base64').toString('utf8');
      out.push(pair, pair.slice(pair.indexOf(':') + 1));
    }
  }
  // Longest first, so a value containing another is scrubbed whole.
  return out.filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
}
