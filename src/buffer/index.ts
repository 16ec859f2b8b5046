// The buffer: the EventBuffer contract and its backends.
export type {
  BufferStats,
  CommitNotice,
  DeadLetter,
  EventBuffer,
  IncomingEvent,
  StoredEvent,
  TenantBacklog,
} from './types.js';
export {
  SqliteBuffer,
  DataDirectory,
  DB_FILE,
  SCHEMA_VERSION,
  type SqliteBufferOptions,
  type DeadLetterRow,
} from './sqlite/index.js';
