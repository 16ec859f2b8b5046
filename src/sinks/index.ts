// Public surface of the sinks: the contract, the shared envelope encoder, the sinks and their factory.
export type { Sink, SinkEvent, SinkOutcome } from './types.js';
export { encodeEnvelope, encodeJsonArray, encodeNdjson, singleLinePayload } from './envelope.js';
export { StdoutSink, type StdoutSinkOptions } from './stdout.js';
export { createSink, type SinkDeps } from './registry.js';
export * from './http/index.js';
