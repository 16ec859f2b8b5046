// The SQLite buffer backend.
export { SqliteBuffer, DB_FILE, type SqliteBufferOptions } from './store.js';
export { SqliteEngine, openDatabase, type EngineOptions } from './engine.js';
export { SCHEMA_VERSION } from './migrations.js';
export { DataDirectory, type DeadLetterRow } from './dead-letters.js';
export type { LetterQuery, LetterView } from './letter-queries.js';
export { lockDataDir, lockOwner, LOCK_FILE } from './lock.js';
export { type RekeyResult, type RekeyOptions } from './rekey.js';
export { type BufferKey } from './crypto.js';
