// Public surface of the Google Cloud Logging sink, and its descriptor.
import { defineSink } from '../descriptor.js';
import { GCP_LIMITS, gcpLoggingSinkSchema } from './config.js';
import { GcpLoggingSink } from './sink.js';

export const gcpLoggingSink = defineSink({
  type: 'gcp_logging',
  schema: gcpLoggingSinkSchema,
  limits: GCP_LIMITS,
  create: (config) => new GcpLoggingSink(config),
});

export { GcpLoggingSink } from './sink.js';
export { gcpLoggingSinkSchema, resolveGcpLoggingSettings, type GcpLoggingSinkConfig } from './config.js';
export {
  DEFAULT_SEVERITY_RULES,
  GCP_LIMITS,
  encodeLogEntry,
  entriesWriteFraming,
  logNameOf,
  severityOf,
  type GcpEncodeOptions,
  type GcpSeverity,
  type SeverityRule,
} from './encode.js';
export { classifyEntriesWrite } from './classify.js';
export {
  ServiceAccountTokenSource,
  parseServiceAccountKey,
  signJwtAssertion,
  type ServiceAccountKey,
} from './auth.js';
