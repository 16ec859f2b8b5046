// Public surface of the sinks: the contract, the catalog (schema and factory), envelope bodies, the sinks.
export type {
  AuthFailurePolicy,
  DeferredAckSettings,
  PayloadLimits,
  Sink,
  SinkBatch,
  SinkEvent,
  SinkOutcome,
} from './types.js';
export { SINK_TYPES, createSink, sinkSchema, type SinkConfig } from './catalog.js';
export { defineSink, type SinkContext, type SinkDescriptor } from './descriptor.js';
export { batchOf, encodeJsonArray, encodeNdjson, ndjsonToJsonArray } from './envelope.js';
export { StdoutSink, stdoutSink, type StdoutSinkOptions } from './stdout.js';
export * from './http/index.js';
export * from './splunk_hec/index.js';
export * from './gcp_logging/index.js';
export * from './transport/index.js';
