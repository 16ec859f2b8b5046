// Public surface of the shared HTTP transport: the pool, the request loop, splitting, response helpers.
export { HttpTransport, errorCode, transportReason, type HttpExchange, type HttpRequest } from './http.js';
export {
  HttpBatchSink,
  MAX_ERROR_BODY_BYTES,
  SinkAuthError,
  bodiesOf,
  type EncodedBatch,
  type HttpBatchSinkOptions,
  type RequestBody,
} from './batch-sink.js';
export {
  NO_FRAMING,
  splitIntoRequests,
  type BodyFraming,
  type RequestPart,
  type SplitResult,
} from './split.js';
export {
  MAX_REASON_CHARS,
  MAX_RETRY_AFTER_MS,
  bodyText,
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from './response.js';
