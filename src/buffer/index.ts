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
export { SqliteBuffer, DB_FILE, SCHEMA_VERSION, type SqliteBufferOptions } from './sqlite/index.js';
