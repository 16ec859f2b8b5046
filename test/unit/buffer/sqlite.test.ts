// Runs the buffer conformance suite against SqliteBuffer, closing and reopening the database file.
import { openSqlite } from '../../support/fixtures.js';
import { bufferConformance } from './conformance.js';

// synchronous=normal keeps the run fast; in-process reopen sees the same data at any synchronous level.
bufferConformance('sqlite', (dir, { maxBytes }) => openSqlite(dir, { maxBytes }), { reopen: true });

// commitWaitMs > 0 takes the timer path of group commit; a tiny commitMaxEvents splits appends over commits.
bufferConformance(
  'sqlite (commitWaitMs=2, commitMaxEvents=3)',
  (dir, { maxBytes }) => openSqlite(dir, { maxBytes, commitWaitMs: 2, commitMaxEvents: 3 }),
  { reopen: true, numRuns: 25 },
);
