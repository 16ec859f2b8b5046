// Schema migrations, versioned with PRAGMA user_version. Append new steps; never edit a released one.
import type { Database } from 'better-sqlite3';
import { LogdriverError, ErrorCodes } from '../../errors.js';
import { randomBytes } from 'node:crypto';
import { OpenChunk } from './chunks.js';

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
  {
    // Chunks: one row per run of a tenant's events, stored as the envelope lines sinks send. The directory
    // (chunks) is apart from the bytes (chunk_lines), so a start reads a small table, not the events.
    // Counts live in the directory rows themselves: the tenants and totals tables go.
    version: 2,
    up(db) {
      db.exec(`
        CREATE TABLE chunks (
          id                INTEGER PRIMARY KEY,
          tenant            TEXT    NOT NULL,
          first_seq         INTEGER NOT NULL,
          count             INTEGER NOT NULL,
          bytes             INTEGER NOT NULL,
          first_received_at INTEGER NOT NULL,
          attempts          INTEGER NOT NULL DEFAULT 0,
          next_attempt_at   INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE chunk_lines (id INTEGER PRIMARY KEY, lines BLOB NOT NULL);
        INSERT INTO meta (key, value) VALUES ('next_chunk', '1');
      `);
      convertEvents(db);
      db.exec('DROP TABLE events; DROP TABLE tenants; DROP TABLE totals;');
    },
  },
  {
    // Encryption at rest: the id of the key a row's bytes are encrypted with (NULL: clear text). The bytes carry
    // it in their header too; these columns let a start find the key ids in use without reading any bytes, and
    // let `logdriver rekey` find the rows to rewrite.
    version: 3,
    up(db) {
      db.exec(`
        ALTER TABLE chunks ADD COLUMN key_id TEXT;
        ALTER TABLE dead_letters ADD COLUMN key_id TEXT;
        CREATE INDEX dead_letters_by_key ON dead_letters (key_id) WHERE key_id IS NOT NULL;
      `);
    },
  },
];

/** Version 1 kept a row per event: regroup them into chunks of up to 1000 events of one tenant. */
function convertEvents(db: Database): void {
  const bufferId = (db.prepare(`SELECT value FROM meta WHERE key = 'buffer_id'`).get() as { value: string })
    .value;
  // Read a page at a time (keyset pagination): a large old buffer is never held in memory at once.
  const page = db.prepare<
    [number, number],
    {
      tid: number;
      tenant: string;
      seq: number;
      receivedAt: number;
      attempts: number;
      notBefore: number;
      payload: Buffer;
    }
  >(
    `SELECT e.tid, t.name AS tenant, e.seq, e.received_at AS receivedAt, e.attempts,
            e.next_attempt_at AS notBefore, e.payload
     FROM events e JOIN tenants t USING (tid) WHERE (e.tid, e.seq) > (?, ?) ORDER BY e.tid, e.seq LIMIT 1000`,
  );
  const insert = db.prepare(
    `INSERT INTO chunks (id, tenant, first_seq, count, bytes, first_received_at, attempts, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertLines = db.prepare('INSERT INTO chunk_lines (id, lines) VALUES (?, ?)');
  let id = 1;
  let after: [number, number] = [0, 0];
  for (;;) {
    const rows = page.all(...after);
    if (rows.length === 0) break;
    let i = 0;
    while (i < rows.length) {
      const tid = rows[i]!.tid;
      const chunk = new OpenChunk(rows[i]!.tenant, 64 * 1024);
      let attempts = 0;
      let notBefore = 0;
      for (; i < rows.length && rows[i]!.tid === tid; i++) {
        const r = rows[i]!;
        chunk.add(`${bufferId}-`, r.seq, r.receivedAt, r.payload);
        attempts = Math.max(attempts, r.attempts);
        notBefore = Math.max(notBefore, r.notBefore);
      }
      const lines = chunk.seal();
      insert.run(
        id,
        chunk.tenant,
        chunk.firstSeq,
        chunk.count,
        lines.length,
        chunk.firstReceivedAt,
        attempts,
        notBefore,
      );
      insertLines.run(id++, lines);
    }
    const last = rows[rows.length - 1]!;
    after = [last.tid, last.seq];
  }
  db.prepare(`UPDATE meta SET value = ? WHERE key = 'next_chunk'`).run(String(id));
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to SCHEMA_VERSION; refuses a database written by a newer logdriver. */
export function migrate(db: Database, upTo = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new LogdriverError(
      ErrorCodes.BUFFER_SCHEMA,
      `database schema version ${current} is newer than this logdriver supports (${SCHEMA_VERSION})`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
