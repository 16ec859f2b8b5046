// Ingest: turn bytes from producers into validated events handed to the buffer, nothing more.
export { ZmqIngest, type ZmqIngestOptions } from './zmq.js';
export { createHttpIngest, EVENTS_PATH, type HttpIngest, type HttpIngestOptions } from './http.js';
export { parseBody, type ParseResult, type ParsedEvent, type BodyRejectReason } from './body.js';
export {
  validateEvent,
  validateValue,
  MAX_TENANT_LENGTH,
  type RejectReason,
  type Validation,
} from './validate.js';
