// Public surface of the HTTP sink.
export { HttpSink } from './sink.js';
export {
  CONTENT_TYPES,
  renderHeaders,
  resolveHttpSettings,
  secretValues,
  type HeaderSetting,
  type HttpFormat,
  type HttpSinkSettings,
} from './config.js';
export { encodeBatch, encodeBody, type BodyOptions } from './encode.js';
export {
  MAX_REASON_CHARS,
  MAX_RETRY_AFTER_MS,
  classifyResponse,
  isRetryableStatus,
  parseMultiStatus,
  parseRetryAfter,
  sanitizeReason,
  type ClassifyOptions,
  type HttpResponseInfo,
} from './classify.js';
