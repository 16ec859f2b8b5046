// The otlp sink's config schema, and the frozen settings it resolves to (headers checked, resource built once).
import { hostname } from 'node:os';
import { z } from 'zod';
import { clientTls, onAuthFailure, payloadBytes, positiveInt, secret } from '../../config/fields.js';
import { Secret } from '../../config/secret.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { FORBIDDEN_IN_HEADER_VALUE, resolveExtraHeaders } from '../transport/headers.js';
import type { PayloadLimits } from '../types.js';
import { stringAttr, type KeyValue } from './any-value.js';
import { DEFAULT_SEVERITY_RULES, OTLP_LIMITS, OTLP_SEVERITIES, type OtlpEncodeOptions } from './encode.js';

/** The instrumentation scope of every record: logdriver itself. */
export const SCOPE_NAME = 'logdriver';
export const SCOPE_VERSION = '0.1.0';
/** A conservative default request: well under OTLP's recommended 20 MiB receiver limit. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const LOGS_PATH = '/v1/logs';

const severity = z
  .string()
  .refine((s) => OTLP_SEVERITIES.includes(s), `one of ${OTLP_SEVERITIES.join(', ')}`);

export const otlpSinkSchema = z.strictObject({
  type: z.literal('otlp'),
  /** The receiver's base URL (the sink adds /v1/logs) or the full logs endpoint (a path ending in /v1/logs). */
  url: z.url({ protocol: /^https?$/ }),
  /** Extra request headers (e.g. an API key); values are secrets. */
  headers: z.record(z.string(), secret).default({}),
  /** Sent as `Authorization: Bearer <token>`. */
  bearer: secret.optional(),
  /** Resource attribute service.name. */
  serviceName: z.string().min(1).default('logdriver'),
  /** Resource attribute host.name; this machine's hostname when unset. */
  hostName: z.string().min(1).optional(),
  /** More resource attributes (string values), after service.name and host.name. */
  resourceAttributes: z.record(z.string().min(1), z.string()).default({}),
  severity: z
    .strictObject({
      /** First match wins; `*` matches any run of characters in the event name (iclFields.event). */
      rules: z
        .array(z.strictObject({ match: z.string().min(1), severity }))
        .default(() => DEFAULT_SEVERITY_RULES.map((r) => ({ ...r }))),
      default: severity.default('INFO'),
    })
    .prefault({}),
  gzip: z.boolean().default(false),
  maxRequestBytes: payloadBytes
    .refine((n) => n <= OTLP_LIMITS.maxRequestBytes, 'must be at most 20MiB (OTLP/HTTP recommended limit)')
    .prefault(DEFAULT_MAX_REQUEST_BYTES),
  maxEvents: positiveInt.max(OTLP_LIMITS.maxEvents).default(OTLP_LIMITS.maxEvents),
  timeoutMs: positiveInt.default(30_000),
  maxConnections: positiveInt.default(4),
  tls: clientTls,
  onAuthFailure,
});

export type OtlpSinkConfig = z.output<typeof otlpSinkSchema>;

export interface OtlpHeader {
  readonly name: string;
  readonly value: Secret;
}

export interface OtlpSettings {
  /** The URL without credentials, for logs. */
  readonly url: string;
  /** Path and query of the logs endpoint. */
  readonly path: string;
  readonly headers: readonly OtlpHeader[];
  readonly encode: OtlpEncodeOptions;
  readonly gzip: boolean;
  readonly limits: PayloadLimits;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
}

function configError(message: string): LogdriverError {
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `otlp sink: ${message}`);
}

export function resolveOtlpSettings(cfg: OtlpSinkConfig, host: () => string = hostname): OtlpSettings {
  const url = new URL(cfg.url);
  if (url.username !== '' || url.password !== '') {
    throw configError('url must not contain credentials; use bearer or headers');
  }
  url.hash = '';
  // The base URL or the endpoint itself: /v1/logs is added unless the path already ends with it.
  const base = url.pathname.replace(/\/+$/, '');
  const path = `${base.endsWith(LOGS_PATH) ? base : `${base}${LOGS_PATH}`}${url.search}`;

  const headers: Map<string, OtlpHeader> = resolveExtraHeaders(cfg.headers, configError, ['content-type']);
  if (cfg.bearer !== undefined) {
    if (headers.has('authorization'))
      throw configError('set either bearer or an Authorization header, not both');
    if (FORBIDDEN_IN_HEADER_VALUE.test(cfg.bearer.reveal()))
      throw configError('bearer contains CR, LF or NUL');
    headers.set('authorization', {
      name: 'authorization',
      value: new Secret(`Bearer ${cfg.bearer.reveal()}`),
    });
  }

  const reserved = new Set(['service.name', 'host.name']);
  const resource: KeyValue[] = [
    stringAttr('service.name', cfg.serviceName),
    stringAttr('host.name', cfg.hostName ?? host()),
  ];
  for (const [key, value] of Object.entries(cfg.resourceAttributes)) {
    if (reserved.has(key)) {
      throw configError(
        `resourceAttributes: "${key}" is set by ${key === 'service.name' ? 'serviceName' : 'hostName'}`,
      );
    }
    resource.push(stringAttr(key, value));
  }

  return Object.freeze({
    url: `${url.origin}${path}`,
    path,
    headers: Object.freeze([...headers.values()].map((h) => Object.freeze(h))),
    encode: Object.freeze({
      resource: Object.freeze(resource),
      scopeName: SCOPE_NAME,
      scopeVersion: SCOPE_VERSION,
      severityRules: Object.freeze(cfg.severity.rules.map((r) => Object.freeze({ ...r }))),
      defaultSeverity: cfg.severity.default,
    }),
    gzip: cfg.gzip,
    limits: Object.freeze({
      maxRequestBytes: cfg.maxRequestBytes,
      maxEvents: cfg.maxEvents,
      maxEventBytes: cfg.maxRequestBytes,
    }),
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
  });
}

/** Header values with secrets revealed: call once per request, never store or log the result. */
export function renderOtlpHeaders(settings: OtlpSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of settings.headers) out[h.name] = h.value.reveal();
  return out;
}

/** Secret values (and a bearer token alone) to scrub from anything a receiver sent back. */
export function otlpSecrets(settings: OtlpSettings): string[] {
  const out: string[] = [];
  for (const h of settings.headers) {
    const v = h.value.reveal();
    out.push(v);
    const space = v.indexOf(' ');
    if (space > 0 && space < v.length - 1) out.push(v.slice(space + 1));
  }
  return out;
}
