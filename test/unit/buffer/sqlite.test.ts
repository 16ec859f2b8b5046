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

// A flood's shape: one event per chunk and nothing cached, so a tenant between claims is a cold row of the
// chunk directory (no objects) and every claim warms it again.
bufferConformance(
  'sqlite (chunkMaxEvents=1, cacheMaxBytes=0: cold tenants)',
  (dir, { maxBytes }) => openSqlite(dir, { maxBytes, chunkMaxEvents: 1, cacheMaxBytes: 0 }),
  { reopen: true, numRuns: 25 },
);
