// Public surface of the load generator: synthetic events, NDJSON streaming, and ZeroMQ/HTTP senders.
export {
  createEventFactory,
  DEFAULT_GENERATE,
  EVENT_WEIGHTS,
  generateEvents,
  MAX_MEAN_BYTES,
  resolveGenerateOptions,
  tenantName,
  type GenerateOptions,
} from './generate.js';
export { readNdjson, writeNdjson, type ReadNdjsonOptions } from './ndjson.js';
export { Pacer, type PacerOptions } from './pacer.js';
export { mulberry32, type Random } from './prng.js';
export { backoffMs, ingestPath, ndjsonBody, retryAfterMs, MAX_RETRY_WAIT_MS } from './http-sender.js';
export { sendEvents, targetKind } from './sender.js';
export { DEFAULT_ZMQ_SEND_TIMEOUT_MS } from './zmq-sender.js';
export type { EventSource, HttpTarget, SendOptions, SendStats, SendTarget, ZmqTarget } from './types.js';
export {
  addGeneratorFlags,
  generatorOptionsFrom,
  GENERATOR_FLAGS,
  intFlag,
  numberFlag,
  startFlag,
  type GeneratorFlagValues,
} from './flags.js';
