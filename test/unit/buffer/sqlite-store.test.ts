// SQLite-specific buffer tests: schema versioning, group commit, WAL checkpoints and incremental vacuum.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, SCHEMA_VERSION, type SqliteBuffer } from '../../../src/buffer/index.js';
import type { IncomingEvent } from '../../../src/buffer/types.js';
import { ErrorCodes } from '../../../src/errors.js';
import type { Telemetry } from '../../../src/telemetry/telemetry.js';
import { TempDirs, eventsFor, openSqlite, silentTelemetry } from '../../support/fixtures.js';

const ALL = Number.MAX_SAFE_INTEGER;
const KiB = 1024;

describe('SqliteBuffer', () => {
  const dirs = new TempDirs();
  const opened: SqliteBuffer[] = [];
  const open = (dir: string, o: Parameters<typeof openSqlite>[1] = {}): SqliteBuffer => {
    const b = openSqlite(dir, o);
    opened.push(b);
    return b;
  };
  afterEach(async () => {
    try {
      for (const b of opened.splice(0)) await b.close();
    } finally {
      dirs.cleanup();
    }
  });

  /** `count` events of `size` payload bytes each, for tenant t. */
  const sized = (count: number, size: number): IncomingEvent[] =>
    Array.from({ length: count }, () => ({ tenant: 't', receivedAt: 1, payload: Buffer.alloc(size, 120) }));

  it('versions its schema with user_version', async () => {
    const dir = dirs.make();
    await open(dir).close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('keeps its bufferId when an existing database is reopened', async () => {
    const dir = dirs.make();
    const first = open(dir);
    await first.close();
    expect(open(dir).bufferId).toBe(first.bufferId);
    expect(open(dirs.make()).bufferId).not.toBe(first.bufferId);
  });

  it('refuses a database written by a newer schema version', () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: ErrorCodes.BUFFER_SCHEMA }) as Error);
  });

  it('commits 1000 appends made in one turn in a single transaction', async () => {
    const telemetry: Telemetry = silentTelemetry();
    const b = open(dirs.make(), { telemetry, synchronous: 'full', commitWindowMs: 0 });
    const calls = Array.from({ length: 1000 }, (_, i) => b.append(eventsFor(`t${i % 7}`, 1, i)));
    await Promise.all(calls);
    expect(telemetry.totals.commits).toBe(1);
    expect(telemetry.totals.committed).toBe(1000);
    expect(b.stats().events).toBe(1000);
    // A later turn is a new commit.
    await b.append(eventsFor('t0', 1));
    expect(telemetry.totals.commits).toBe(2);
  });

  it('rejects appends after close with BUFFER_CLOSED, and commits what was appended before', async () => {
    const dir = dirs.make();
    const b = open(dir);
    const pending = b.append(eventsFor('a', 5));
    await b.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(b.append(eventsFor('a', 1))).rejects.toMatchObject({ code: ErrorCodes.BUFFER_CLOSED });
    expect(open(dir).stats().events).toBe(5);
  });

  it('checkpoints the WAL so it stays near walMaxBytes while ~20 MB are appended', async () => {
    const telemetry = silentTelemetry();
    const walMaxBytes = 256 * KiB;
    const b = open(dirs.make(), { telemetry, walMaxBytes });
    let maxWal = 0;
    for (let i = 0; i < 200; i++) {
      await b.append(sized(100, KiB));
      maxWal = Math.max(maxWal, b.stats().backend.walBytes!);
    }
    expect(b.stats().bytes).toBeGreaterThan(20_000 * KiB);
    expect(telemetry.totals.checkpoints).toBeGreaterThan(0);
    // Without checkpoints the WAL would hold all 20 MB; one commit here is ~100 KiB of pages.
    expect(maxWal).toBeLessThan(3 * walMaxBytes);
  });

  async function fillAndDrain(
    autoVacuum: 'incremental' | 'none',
  ): Promise<{ b: SqliteBuffer; size: number }> {
    const b = open(dirs.make(), { autoVacuum, walMaxBytes: 256 * KiB });
    for (let i = 0; i < 40; i++) await b.append(sized(100, KiB));
    await b.ack((await b.claim('t', ALL, ALL))!);
    expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
    // One more commit so the deletes are checkpointed into the main file too.
    await b.append(sized(1, 10));
    return { b, size: b.stats().backend.fileBytes! };
  }

  it('returns freed pages to the filesystem with autoVacuum incremental', async () => {
    const { b, size } = await fillAndDrain('incremental');
    expect(size).toBeGreaterThan(4000 * KiB);
    expect(await b.vacuumNow()).toBeGreaterThan(0);
    expect(b.stats().backend.fileBytes).toBeLessThan(size / 2);
    expect((await b.claim('t', ALL, ALL))!.events().map((e) => e.payload.byteLength)).toEqual([10]);
  });

  it('keeps the file at its high-water mark with autoVacuum none', async () => {
    const { b, size } = await fillAndDrain('none');
    await b.vacuumNow();
    expect(b.stats().backend.fileBytes).toBeGreaterThanOrEqual(size);
  });
});
