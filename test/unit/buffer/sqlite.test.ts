// Runs the buffer conformance suite against SqliteBuffer, closing and reopening the database file.
import { openSqlite } from '../../support/fixtures.js';
import { bufferConformance } from './conformance.js';

// synchronous=normal keeps the run fast; in-process reopen sees the same data at any synchronous level.
bufferConformance('sqlite', (dir, { maxBytes }) => openSqlite(dir, { maxBytes }), { reopen: true });

// A commit window takes the timer path of group commit; tiny chunks make leases split chunks and partial
// outcomes rewrite them; a tiny cache makes claims read chunks back from SQLite.
bufferConformance(
  'sqlite (commitWindowMs=2, chunkMaxEvents=3, cacheMaxBytes=600)',
  (dir, { maxBytes }) =>
    openSqlite(dir, { maxBytes, commitWindowMs: 2, chunkMaxEvents: 3, cacheMaxBytes: 600 }),
  { reopen: true, numRuns: 25 },
);
