// The buffer: the EventBuffer contract, the stored line format and the backends.
export type {
  Admission,
  BufferStats,
  CommitNotice,
  EventBuffer,
  IncomingEvent,
  Lease,
  Rejection,
  StoredEvent,
  TenantBacklog,
} from './types.js';
export { decodeLine, decodeLines, encodeLine, singleLinePayload } from './lines.js';
export {
  SqliteBuffer,
  DataDirectory,
  DB_FILE,
  SCHEMA_VERSION,
  type SqliteBufferOptions,
  type DeadLetterRow,
  type LetterQuery,
  type LetterView,
} from './sqlite/index.js';
