// Schema migrations, versioned with PRAGMA user_version. Append new steps; never edit a released one.
import type { Database } from 'better-sqlite3';
import { LogdriverError, ErrorCodes } from '../../errors.js';
import { randomBytes } from 'node:crypto';

interface Migration {
  readonly version: number;
  readonly up: (db: Database) => void;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        -- Tenant names are stored once; events carry the small tid. The per-tenant backlog is kept here,
        -- in the same transactions as the rows, so stats never need to scan the events.
        CREATE TABLE tenants (
          tid    INTEGER PRIMARY KEY,
          name   TEXT    NOT NULL UNIQUE,
          events INTEGER NOT NULL DEFAULT 0,
          bytes  INTEGER NOT NULL DEFAULT 0
        );
        -- Clustered by (tid, seq): a tenant's events sit together on disk, so reading and deleting a
        -- batch touches a run of neighbouring pages, not one page per event as a seq-ordered table
        -- with a tenant index would (measured: docs/BENCHMARKS.md). seq is global and never reused
        -- (meta.next_seq), so the event id (buffer id + seq) stays unique for the buffer's life.
        CREATE TABLE events (
          tid             INTEGER NOT NULL,
          seq             INTEGER NOT NULL,
          received_at     INTEGER NOT NULL,
          attempts        INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER NOT NULL DEFAULT 0,
          payload         BLOB    NOT NULL,
          PRIMARY KEY (tid, seq)
        ) WITHOUT ROWID;
        CREATE TABLE dead_letters (
          seq         INTEGER PRIMARY KEY,
          tenant      TEXT    NOT NULL,
          received_at INTEGER NOT NULL,
          attempts    INTEGER NOT NULL,
          failed_at   INTEGER NOT NULL,
          status      INTEGER,
          reason      TEXT    NOT NULL,
          payload     BLOB    NOT NULL
        );
        CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant, seq);
        -- Running totals kept in the same transactions as the rows, so start-up need not scan the table.
        CREATE TABLE totals (
          id     INTEGER PRIMARY KEY CHECK (id = 1),
          events INTEGER NOT NULL,
          bytes  INTEGER NOT NULL
        );
        INSERT INTO totals (id, events, bytes) VALUES (1, 0, 0);
        INSERT INTO meta (key, value) VALUES ('next_seq', '1');
      `);
      db.prepare(`INSERT INTO meta (key, value) VALUES ('buffer_id', ?)`).run(randomBytes(8).toString('hex'));
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer logdriver. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new LogdriverError(
      ErrorCodes.BUFFER_SCHEMA,
      `database schema version ${current} is newer than this logdriver supports (${SCHEMA_VERSION})`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
