// The datadog sink's config schema, and the frozen settings it resolves to (intake URL, entry metadata, limits).
// Reference (intake hosts per site, limits per request):
//   https://docs.datadoghq.com/api/latest/logs/send-logs/
import { z } from 'zod';
import { clientTls, onAuthFailure, payloadBytes, positiveInt, secret } from '../../config/fields.js';
import type { Secret } from '../../config/secret.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { PayloadLimits } from '../types.js';
import { entryMetaOf, type DatadogEncodeOptions } from './encode.js';

/**
 * The intake's documented limits: 5 MB per request before compression, 1 MB per log, 1000 logs per array.
 * Decimal megabytes: the reference does not say which "MB", so the smaller reading is the safe one.
 */
export const DATADOG_LIMITS: PayloadLimits = Object.freeze({
  maxRequestBytes: 5_000_000,
  maxEvents: 1000,
  maxEventBytes: 1_000_000,
});

/** The Datadog sites whose logs intake is `https://http-intake.logs.<site>`. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
  'us2.ddog-gov.com',
] as const;
export type DatadogSite = (typeof DATADOG_SITES)[number];

/** The logs intake origin of a site. */
export function intakeUrlOf(site: DatadogSite): string {
  return `https://http-intake.logs.${site}`;
}

export const datadogSinkSchema = z.strictObject({
  type: z.literal('datadog'),
  /** The API key, sent as `DD-API-KEY`. */
  apiKey: secret,
  /** The Datadog site: selects the intake host https://http-intake.logs.<site>. */
  site: z.enum(DATADOG_SITES).default('datadoghq.com'),
  /** Overrides the intake base URL the site gives (a proxy, a private link; a loopback fake in tests). */
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** Entry `ddsource`. */
  source: z.string().min(1).default('logdriver'),
  /** Entry `service`. */
  service: z.string().min(1).default('logdriver'),
  /** Entry `hostname`; left out when unset. */
  hostname: z.string().min(1).optional(),
  /** Tags on every entry (`key:value` or `value`), made safe by Datadog's tag rules; `tenant:<id>` is added. */
  tags: z.array(z.string().min(1)).default([]),
  gzip: z.boolean().default(true),
  /** Larger batches are split; a config may lower the intake's limits, never raise them. */
  maxRequestBytes: payloadBytes
    .refine((n) => n <= DATADOG_LIMITS.maxRequestBytes, 'must be at most 5000000 (the intake limit)')
    .prefault(DATADOG_LIMITS.maxRequestBytes),
  /** A larger event is dead-lettered (Datadog would truncate it). */
  maxEventBytes: payloadBytes
    .refine((n) => n <= DATADOG_LIMITS.maxEventBytes, 'must be at most 1000000 (the intake limit)')
    .prefault(DATADOG_LIMITS.maxEventBytes),
  maxEvents: positiveInt
    .max(DATADOG_LIMITS.maxEvents, 'must be at most 1000 (the intake limit)')
    .default(DATADOG_LIMITS.maxEvents),
  timeoutMs: positiveInt.default(30_000),
  maxConnections: positiveInt.default(4),
  tls: clientTls,
  onAuthFailure,
});

export type DatadogSinkConfig = z.output<typeof datadogSinkSchema>;

export interface DatadogSettings {
  /** The intake base URL without credentials, for logs and the transport. */
  readonly url: string;
  /** Path of POST …/api/v2/logs (after any path prefix of `url`). */
  readonly path: string;
  readonly apiKey: Secret;
  readonly encode: DatadogEncodeOptions;
  readonly gzip: boolean;
  readonly limits: PayloadLimits;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
}

function configError(message: string): LogdriverError {
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `datadog sink: ${message}`);
}

/** Validates what the schema cannot (URL shape, the key's characters) and freezes the result. */
export function resolveDatadogSettings(cfg: DatadogSinkConfig): DatadogSettings {
  const url = new URL(cfg.url ?? intakeUrlOf(cfg.site));
  if (url.username !== '' || url.password !== '' || url.search !== '') {
    throw configError(
      'url must be the intake base URL without credentials or query (the key goes in apiKey)',
    );
  }
  if (/[\r\n\0]/.test(cfg.apiKey.reveal())) throw configError('apiKey contains CR, LF or NUL');
  // The base URL, even when given as the endpoint itself (".../api/v2/logs"): the sink adds that.
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/api\/v2\/logs$/, '');
  return Object.freeze({
    url: `${url.origin}${prefix}`,
    path: `${prefix}/api/v2/logs`,
    apiKey: cfg.apiKey,
    encode: entryMetaOf({
      source: cfg.source,
      service: cfg.service,
      ...(cfg.hostname !== undefined ? { hostname: cfg.hostname } : {}),
      tags: cfg.tags,
    }),
    gzip: cfg.gzip,
    limits: Object.freeze({
      maxRequestBytes: cfg.maxRequestBytes,
      maxEvents: cfg.maxEvents,
      maxEventBytes: cfg.maxEventBytes,
    }),
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
  });
}
