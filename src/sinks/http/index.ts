// Public surface of the generic HTTP sink, and its descriptor.
import { defineSink, UNBOUNDED_LIMITS } from '../descriptor.js';
import { httpSinkSchema } from './config.js';
import { HttpSink } from './sink.js';

export const httpSink = defineSink({
  type: 'http',
  schema: httpSinkSchema,
  limits: UNBOUNDED_LIMITS,
  create: (config) => new HttpSink(config),
});

export { HttpSink } from './sink.js';
export {
  CONTENT_TYPES,
  httpSinkSchema,
  renderHeaders,
  resolveHttpSettings,
  secretValues,
  type HeaderSetting,
  type HttpFormat,
  type HttpSinkConfig,
  type HttpSinkSettings,
} from './config.js';
export { encodeBatch, encodeRequests } from './encode.js';
export { classifyResponse, parseMultiStatus, type ClassifyOptions } from './classify.js';
