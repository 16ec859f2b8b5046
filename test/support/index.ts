// Shared test helpers: the in-memory reference buffer, a scripted sink and fixtures.
export {
  MemoryBuffer,
  MemoryStore,
  type MemoryBufferOptions,
  type MemoryDeadLetter,
  type MemoryFault,
  type MemoryOp,
  type MemoryRow,
} from './memory-buffer.js';
export { ScriptedSink, hangUntilAborted, type SendCall, type SinkScript } from './fake-sink.js';
export { TempDirs, eventsFor, numberOf, openSqlite, silentTelemetry } from './fixtures.js';
