// The splunk_hec sink's config schema and the frozen settings it resolves to.
import { z } from 'zod';
import { clientTls, onAuthFailure, payloadBytes, positiveInt, secret } from '../../config/fields.js';
import type { Secret } from '../../config/secret.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { DeferredAckSettings, PayloadLimits } from '../types.js';
import type { HecEncodeOptions } from './encode.js';

/** A conservative request size: older Splunk releases cap HEC bodies at 1 MB (limits.conf max_content_length). */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

export const splunkHecSinkSchema = z.strictObject({
  type: z.literal('splunk_hec'),
  /** The HEC base URL, e.g. https://splunk.example:8088 (the sink adds /services/collector/event). */
  url: z.url({ protocol: /^https?$/ }),
  /** The HEC token, sent as `Authorization: Splunk <token>`. */
  token: secret,
  sourcetype: z.string().min(1).default('logdriver:security_event'),
  source: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  index: z.string().min(1).optional(),
  gzip: z.boolean().default(false),
  /** Indexer acknowledgement: delete a batch only once Splunk says it is indexed. */
  useAck: z.boolean().default(false),
  /** An acknowledgement not received within this is taken as lost: the batch is sent again. */
  ackTimeoutMs: positiveInt.default(300_000),
  ackPollIntervalMs: positiveInt.default(1000),
  /** Most unconfirmed batches per tenant; past it the tenant's lane waits for acknowledgements. */
  maxPendingAcks: positiveInt.default(64),
  maxRequestBytes: payloadBytes.prefault(DEFAULT_MAX_REQUEST_BYTES),
  timeoutMs: positiveInt.default(30_000),
  maxConnections: positiveInt.default(4),
  tls: clientTls,
  onAuthFailure,
});

export type SplunkHecSinkConfig = z.output<typeof splunkHecSinkSchema>;

export interface SplunkHecSettings {
  readonly origin: string;
  /** Path prefix of the URL (for HEC behind a proxy path), without a trailing slash. */
  readonly eventPath: string;
  readonly ackPath: string;
  /** The URL without credentials, for logs. */
  readonly url: string;
  readonly token: Secret;
  readonly encode: HecEncodeOptions;
  readonly gzip: boolean;
  readonly useAck: boolean;
  readonly deferred: DeferredAckSettings | undefined;
  readonly limits: PayloadLimits;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
}

export function resolveSplunkHecSettings(cfg: SplunkHecSinkConfig): SplunkHecSettings {
  const url = new URL(cfg.url);
  if (url.username !== '' || url.password !== '' || url.search !== '') {
    throw new LogdriverError(
      ErrorCodes.SINK_CONFIG,
      'splunk_hec sink: url must be the HEC base URL without credentials or query (the token goes in `token`)',
    );
  }
  if (/[\r\n\0]/.test(cfg.token.reveal())) {
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, 'splunk_hec sink: token contains CR, LF or NUL');
  }
  // The base URL, even when given as the endpoint itself (".../services/collector[/event]"): the sink adds that.
  const prefix = url.pathname
    .replace(/\/+$/, '')
    .replace(/\/services\/collector(\/event(\/1\.0)?|\/raw)?$/, '');
  const encode: HecEncodeOptions = Object.freeze({
    sourcetype: cfg.sourcetype,
    ...(cfg.source !== undefined ? { source: cfg.source } : {}),
    ...(cfg.host !== undefined ? { host: cfg.host } : {}),
    ...(cfg.index !== undefined ? { index: cfg.index } : {}),
  });
  return Object.freeze({
    origin: url.origin,
    eventPath: `${prefix}/services/collector/event`,
    ackPath: `${prefix}/services/collector/ack`,
    url: `${url.origin}${prefix}`,
    token: cfg.token,
    encode,
    gzip: cfg.gzip,
    useAck: cfg.useAck,
    deferred: cfg.useAck
      ? Object.freeze({
          pollIntervalMs: cfg.ackPollIntervalMs,
          timeoutMs: cfg.ackTimeoutMs,
          maxPending: cfg.maxPendingAcks,
        })
      : undefined,
    limits: Object.freeze({
      maxRequestBytes: cfg.maxRequestBytes,
      maxEvents: Number.MAX_SAFE_INTEGER,
      maxEventBytes: cfg.maxRequestBytes,
    }),
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
  });
}
