// Public surface of the sinks: the contract, envelope bodies from events, the sinks and their factory.
export type { Sink, SinkBatch, SinkEvent, SinkOutcome } from './types.js';
export { batchOf, encodeJsonArray, encodeNdjson, ndjsonToJsonArray } from './envelope.js';
export { StdoutSink, type StdoutSinkOptions } from './stdout.js';
export { createSink, type SinkDeps } from './registry.js';
export * from './http/index.js';
