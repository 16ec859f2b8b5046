// The SQLite buffer backend.
export { SqliteBuffer, DB_FILE, type SqliteBufferOptions } from './store.js';
export { SqliteEngine, openDatabase, type EngineOptions } from './engine.js';
export { SCHEMA_VERSION } from './migrations.js';
