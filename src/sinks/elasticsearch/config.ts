// The elasticsearch sink's config schema and the frozen settings it resolves to (works with OpenSearch too).
// References: authentication (`Authorization: Basic …` / `Authorization: ApiKey <encoded>`, the encoded key
// being base64 of "<id>:<api_key>"): https://www.elastic.co/docs/api/doc/elasticsearch/authentication
// Request size (http.max_content_length, default 100mb):
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/modules-network.html#http-settings
import { z } from 'zod';
import { clientTls, onAuthFailure, payloadBytes, positiveInt, secret } from '../../config/fields.js';
import { Secret } from '../../config/secret.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { PayloadLimits } from '../types.js';
import { DEFAULT_INDEX_TEMPLATE, parseIndexTemplate, type IndexTemplate } from './index-name.js';

/** Elasticsearch's default http.max_content_length (100mb, binary units): no request may be larger. */
export const MAX_CONTENT_LENGTH = 100 * 1024 * 1024;
/** Conservative: well under the server's limit and a common proxy limit, and the bulk size Elastic advises. */
export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_EVENTS = 1000;
/** Items per request: bounds the answer the sink must read whole. */
export const MAX_EVENTS_LIMIT = 10_000;

// Both forms at once would fail each union branch with "unknown key": say what is wrong before the union runs.
const oneAuthForm = z.custom<unknown>(
  (v) => !(typeof v === 'object' && v !== null && 'basic' in v && 'apiKey' in v),
  'set either basic or apiKey, not both',
);
const esAuth = oneAuthForm.pipe(
  z.union([
    z.strictObject({ basic: z.strictObject({ username: z.string().min(1), password: secret }) }),
    /** The encoded API key as Elasticsearch shows it, or "<id>:<api_key>" (encoded by the sink). */
    z.strictObject({ apiKey: secret }),
  ]),
);

const indexTemplate = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    const t = parseIndexTemplate(v);
    if (typeof t === 'string') ctx.addIssue({ code: 'custom', message: `index template ${t}` });
  });

export const elasticsearchSinkSchema = z.strictObject({
  type: z.literal('elasticsearch'),
  /** The cluster's base URL, e.g. https://es.example:9200 (the sink adds /_bulk). */
  url: z.url({ protocol: /^https?$/ }),
  /** The index (or data stream) per tenant; `{tenant}` is replaced by the tenant made safe. */
  index: indexTemplate.default(DEFAULT_INDEX_TEMPLATE),
  auth: esAuth.optional(),
  /** An ingest pipeline every document goes through (the `pipeline` query parameter). */
  pipeline: z.string().min(1).optional(),
  gzip: z.boolean().default(false),
  /** Larger batches are split; an event larger than this alone is dead-lettered. */
  maxRequestBytes: payloadBytes
    .refine((n) => n <= MAX_CONTENT_LENGTH, `must be at most ${MAX_CONTENT_LENGTH} (http.max_content_length)`)
    .prefault(DEFAULT_MAX_REQUEST_BYTES),
  maxEvents: positiveInt
    .max(MAX_EVENTS_LIMIT, `must be at most ${MAX_EVENTS_LIMIT}`)
    .default(DEFAULT_MAX_EVENTS),
  timeoutMs: positiveInt.default(30_000),
  maxConnections: positiveInt.default(4),
  tls: clientTls,
  onAuthFailure,
});

export type ElasticsearchSinkConfig = z.output<typeof elasticsearchSinkSchema>;

export interface ElasticsearchSettings {
  /** The base URL without credentials, for logs and the transport. */
  readonly url: string;
  /** Path and query of POST …/_bulk[?pipeline=…]. */
  readonly bulkPath: string;
  readonly index: IndexTemplate;
  /** The Authorization header value, when the cluster needs credentials. */
  readonly authorization: Secret | undefined;
  /** Every form of the credentials a server might echo back, longest first. */
  readonly secrets: readonly string[];
  readonly gzip: boolean;
  readonly limits: PayloadLimits;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
}

function configError(message: string): LogdriverError {
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `elasticsearch sink: ${message}`);
}

const BAD_VALUE = /[\r\n\0]/;

function credentials(auth: ElasticsearchSinkConfig['auth']): { header?: Secret; secrets: string[] } {
  if (auth === undefined) return { secrets: [] };
  if ('basic' in auth) {
    const { username, password } = auth.basic;
    if (username.includes(':')) throw configError('auth.basic.username must not contain ":"');
    const pair = `${username}:${password.reveal()}`;
    const encoded = Buffer.from(pair, 'utf8').toString('base64');
    return { header: new Secret(`Basic ${encoded}`), secrets: [encoded, pair, password.reveal()] };
  }
  const key = auth.apiKey.reveal();
  // A base64 encoded key never holds ":"; "<id>:<api_key>" is encoded here, as the reference describes.
  const encoded = key.includes(':') ? Buffer.from(key, 'utf8').toString('base64') : key;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  // What the key encodes, only when it really is base64 of "<id>:<api_key>" (else the decoding is noise that
  // would redact unrelated text).
  const real = Buffer.from(decoded, 'utf8').toString('base64') === encoded && decoded.includes(':');
  const parts = real ? [decoded, decoded.slice(decoded.indexOf(':') + 1)] : [];
  return { header: new Secret(`ApiKey ${encoded}`), secrets: [encoded, key, ...parts] };
}

/** Validates what the schema cannot (URL credentials, header-breaking secrets) and freezes the result. */
export function resolveElasticsearchSettings(cfg: ElasticsearchSinkConfig): ElasticsearchSettings {
  const url = new URL(cfg.url);
  if (url.username !== '' || url.password !== '' || url.search !== '') {
    throw configError('url must be the base URL without credentials or query (credentials go in `auth`)');
  }
  const index = parseIndexTemplate(cfg.index);
  if (typeof index === 'string') throw configError(`index template ${index}`);
  const auth = credentials(cfg.auth);
  if (auth.header !== undefined && BAD_VALUE.test(auth.header.reveal())) {
    throw configError('auth: the credential contains CR, LF or NUL');
  }
  // The base URL, even when given as the endpoint itself (".../_bulk"): the sink adds that.
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/_bulk$/, '');
  const query = cfg.pipeline === undefined ? '' : `?pipeline=${encodeURIComponent(cfg.pipeline)}`;
  const limits: PayloadLimits = Object.freeze({
    maxRequestBytes: cfg.maxRequestBytes,
    maxEvents: cfg.maxEvents,
    maxEventBytes: cfg.maxRequestBytes,
  });
  return Object.freeze({
    url: `${url.origin}${prefix}`,
    bulkPath: `${prefix}/_bulk${query}`,
    index: Object.freeze(index),
    authorization: auth.header,
    secrets: Object.freeze(auth.secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length)),
    gzip: cfg.gzip,
    limits,
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
  });
}
