// The gcp_logging sink's config schema, and the frozen settings it resolves to (the service account key read
// and checked once, at build time).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { clientTls, onAuthFailure, positiveInt, secret } from '../../config/fields.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { parseServiceAccountKey, type ServiceAccountKey } from './auth.js';
import {
  DEFAULT_SEVERITY_RULES,
  GCP_LIMITS,
  GCP_SEVERITIES,
  logNameOf,
  type GcpEncodeOptions,
} from './encode.js';

const severity = z.enum(GCP_SEVERITIES);
const labels = z.record(z.string().min(1).max(63), z.string().max(63));

export const gcpLoggingSinkSchema = z.strictObject({
  type: z.literal('gcp_logging'),
  /** The project whose log receives the entries; defaults to the key's project_id. */
  projectId: z.string().min(1).optional(),
  logId: z.string().min(1).default('logdriver-security-events'),
  /** The monitored resource of every entry. */
  resource: z
    .strictObject({ type: z.string().min(1).default('global'), labels: labels.default({}) })
    .prefault({}),
  /** Labels on every entry (the tenant is always added as `tenant`). */
  labels: labels.default({}),
  severity: z
    .strictObject({
      /** First match wins; `*` matches any run of characters in the event name (iclFields.event). */
      rules: z
        .array(z.strictObject({ match: z.string().min(1), severity }))
        .default(() => DEFAULT_SEVERITY_RULES.map((r) => ({ ...r }))),
      default: severity.default('INFO'),
    })
    .prefault({}),
  /** The service account key: a file path, or the JSON itself (e.g. "${GCP_KEY_JSON}"). One of the two. */
  credentials: z.union([z.strictObject({ keyFile: z.string().min(1) }), z.strictObject({ keyJson: secret })]),
  /** The Cloud Logging API origin (a loopback fake in tests). */
  endpoint: z.url({ protocol: /^https?$/ }).default('https://logging.googleapis.com'),
  /** Overrides the key's token_uri (the OAuth 2.0 token endpoint). */
  tokenUri: z.url({ protocol: /^https?$/ }).optional(),
  gzip: z.boolean().default(false),
  timeoutMs: positiveInt.default(30_000),
  maxConnections: positiveInt.default(4),
  tls: clientTls,
  onAuthFailure,
});

export type GcpLoggingSinkConfig = z.output<typeof gcpLoggingSinkSchema>;

export interface GcpLoggingSettings {
  readonly writeUrl: string;
  readonly writePath: string;
  readonly key: ServiceAccountKey;
  readonly encode: GcpEncodeOptions;
  readonly gzip: boolean;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly caFile: string | undefined;
}

function configError(message: string): LogdriverError {
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `gcp_logging sink: ${message}`);
}

function readKey(cfg: GcpLoggingSinkConfig): ServiceAccountKey {
  let text: string;
  if ('keyFile' in cfg.credentials) {
    try {
      text = readFileSync(cfg.credentials.keyFile, 'utf8');
    } catch (err) {
      throw new LogdriverError(
        ErrorCodes.SINK_CONFIG,
        `gcp_logging sink: cannot read credentials.keyFile ${cfg.credentials.keyFile}`,
        { cause: err },
      );
    }
  } else {
    text = cfg.credentials.keyJson.reveal();
  }
  const key = parseServiceAccountKey(text);
  if (cfg.tokenUri === undefined) return key;
  // The token URI is also the JWT's audience, so it is set in the key itself, not beside it.
  const doc = JSON.parse(text) as Record<string, unknown>;
  return parseServiceAccountKey(JSON.stringify({ ...doc, token_uri: cfg.tokenUri }));
}

export function resolveGcpLoggingSettings(cfg: GcpLoggingSinkConfig): GcpLoggingSettings {
  const key = readKey(cfg);
  const projectId = cfg.projectId ?? key.projectId;
  if (projectId === undefined) throw configError('projectId is not set and the key has no project_id');
  const endpoint = new URL(cfg.endpoint);
  if (endpoint.username !== '' || endpoint.password !== '')
    throw configError('endpoint must not hold credentials');
  const writePath = `${endpoint.pathname.replace(/\/+$/, '')}/v2/entries:write`;
  return Object.freeze({
    writeUrl: `${endpoint.origin}${writePath}`,
    writePath,
    key,
    encode: Object.freeze({
      logName: logNameOf(projectId, cfg.logId),
      resource: Object.freeze({ type: cfg.resource.type, labels: Object.freeze({ ...cfg.resource.labels }) }),
      severityRules: Object.freeze(cfg.severity.rules.map((r) => Object.freeze({ ...r }))),
      defaultSeverity: cfg.severity.default,
      labels: Object.freeze({ ...cfg.labels }),
    }),
    gzip: cfg.gzip,
    timeoutMs: cfg.timeoutMs,
    maxConnections: cfg.maxConnections,
    caFile: cfg.tls.caFile,
  });
}

export { GCP_LIMITS };
