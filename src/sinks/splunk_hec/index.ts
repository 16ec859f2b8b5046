// Public surface of the Splunk HTTP Event Collector sink, and its descriptor.
import { defineSink } from '../descriptor.js';
import { DEFAULT_MAX_REQUEST_BYTES, splunkHecSinkSchema } from './config.js';
import { SplunkHecSink } from './sink.js';

export const splunkHecSink = defineSink({
  type: 'splunk_hec',
  schema: splunkHecSinkSchema,
  limits: {
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxEvents: Number.MAX_SAFE_INTEGER,
    maxEventBytes: DEFAULT_MAX_REQUEST_BYTES,
  },
  create: (config) => new SplunkHecSink(config),
});

export { SplunkHecSink } from './sink.js';
export { resolveSplunkHecSettings, splunkHecSinkSchema, type SplunkHecSinkConfig } from './config.js';
export { HEC_FRAMING, encodeAckRequest, encodeHecEvent, type HecEncodeOptions } from './encode.js';
export { classifyHecResponse, parseAckResponse, type HecClassifyOptions } from './classify.js';
