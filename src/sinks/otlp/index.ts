// Public surface of the OpenTelemetry (OTLP/HTTP JSON logs) sink, and its descriptor.
import { defineSink } from '../descriptor.js';
import { otlpSinkSchema } from './config.js';
import { OTLP_LIMITS } from './encode.js';
import { OtlpSink } from './sink.js';

export const otlpSink = defineSink({
  type: 'otlp',
  schema: otlpSinkSchema,
  limits: OTLP_LIMITS,
  create: (config) => new OtlpSink(config),
});

export { OtlpSink, type ReceiverRejections } from './sink.js';
export {
  LOGS_PATH,
  otlpSinkSchema,
  resolveOtlpSettings,
  type OtlpSettings,
  type OtlpSinkConfig,
} from './config.js';
export {
  DEFAULT_SEVERITY_RULES,
  OTLP_LIMITS,
  OTLP_SEVERITIES,
  encodeLogRecord,
  exportRequestFraming,
  severityNumberOf,
  severityOf,
  unixNanoOf,
  type OtlpEncodeOptions,
  type OtlpSeverityRule,
} from './encode.js';
export { classifyOtlpResponse, type OtlpVerdict, type PartialSuccess } from './classify.js';
export { anyValueToJson, jsonToAnyValue, type AnyValue, type KeyValue } from './any-value.js';
