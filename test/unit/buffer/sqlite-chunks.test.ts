// SQLite chunk storage: one row per chunk, remainders rewritten on partial outcomes, a start that reads only
// the chunk directory, the byte-bounded cache, and the upgrade from the row-per-event schema.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, type SqliteBuffer } from '../../../src/buffer/index.js';
import { migrate } from '../../../src/buffer/sqlite/migrations.js';
import { TempDirs, eventsFor, numberOf, openSqlite } from '../../support/fixtures.js';

const ALL = Number.MAX_SAFE_INTEGER;

describe('SqliteBuffer chunks', () => {
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

  /** The rows of the chunk directory, read with a second connection (WAL lets it read while the buffer is open). */
  function rows(
    dir: string,
  ): { tenant: string; count: number; bytes: number; first_seq: number; len: number }[] {
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      return db
        .prepare(
          `SELECT c.tenant, c.count, c.bytes, c.first_seq, length(l.lines) AS len
           FROM chunks c JOIN chunk_lines l USING (id) ORDER BY c.id`,
        )
        .all() as never;
    } finally {
      db.close();
    }
  }

  it('stores a commit as one row per tenant chunk, sealed at chunkMaxEvents', async () => {
    const dir = dirs.make();
    const b = open(dir, { chunkMaxEvents: 1000 });
    await Promise.all([b.append(eventsFor('a', 2500)), b.append(eventsFor('b', 10))]);
    const r = rows(dir);
    expect(r.map((x) => [x.tenant, x.count])).toEqual([
      ['a', 1000],
      ['a', 1000],
      ['a', 500],
      ['b', 10],
    ]);
    for (const x of r) expect(x.len).toBe(x.bytes);
    expect(b.stats()).toMatchObject({ events: 2510, bytes: r.reduce((n, x) => n + x.bytes, 0) });
    expect(b.stats().backend.chunks).toBe(4);
  });

  it('leases whole chunks while they fit and splits only the first one that does not', async () => {
    const b = open(dirs.make(), { chunkMaxEvents: 10 });
    await b.append(eventsFor('a', 25));
    const first = (await b.claim('a', 15, ALL))!;
    // 10 fit whole; the next chunk of 10 does not fit in the 5 left: the lease stops at the boundary.
    expect(first.events().map(numberOf)).toEqual([...Array(10).keys()]);
    expect(first.more).toBe(true);
    const second = (await b.claim('a', 4, ALL))!;
    expect(second.events().map(numberOf)).toEqual([10, 11, 12, 13]);
    const third = (await b.claim('a', 100, ALL))!;
    expect(third.events().map(numberOf)).toEqual([...Array(11).keys()].map((i) => 14 + i));
    expect(third.more).toBe(false);
    expect(await b.claim('a', 100, ALL)).toBeUndefined();
  });

  it('rewrites a chunk to its remainder on a partial ack and a dead letter, and keeps it across a restart', async () => {
    const dir = dirs.make();
    const b = open(dir);
    await b.append(eventsFor('a', 6));
    const lease = (await b.claim('a', ALL, ALL))!;
    const ids = lease.events().map((e) => e.id);
    await b.ack(lease, [ids[0]!, ids[2]!]);
    await b.deadLetter(lease, [{ id: ids[3]!, status: 400, reason: 'mapping error' }]);
    expect(lease.events().map(numberOf)).toEqual([1, 4, 5]);
    const [row] = rows(dir);
    expect(row).toMatchObject({ count: 3, first_seq: lease.events()[0]!.seq });
    expect(row!.len).toBe(lease.bytes);
    expect(b.stats()).toMatchObject({ events: 3, bytes: lease.bytes, deadLetters: 1 });
    await b.close();
    const again = open(dir);
    const left = (await again.claim('a', ALL, ALL))!;
    expect(left.events().map((e) => e.id)).toEqual([ids[1], ids[4], ids[5]]);
    expect(again.stats()).toMatchObject({ events: 3, deadLetters: 1 });
  });

  it('starts from the chunk directory alone and reads chunk bytes back only when they are claimed', async () => {
    const dir = dirs.make();
    const b = open(dir);
    await b.append(eventsFor('a', 50));
    await b.append(eventsFor('b', 50));
    expect(b.stats().backend.cacheBytes).toBe(b.stats().bytes);
    await b.close();
    const again = open(dir);
    expect(again.stats().backend.cacheBytes).toBe(0);
    expect(again.stats().events).toBe(100);
    const lease = (await again.claim('a', ALL, ALL))!;
    expect(lease.events().map(numberOf)).toEqual([...Array(50).keys()]);
    expect(again.stats().backend.cacheBytes).toBe(lease.bytes);
  });

  it('keeps the cache within cacheMaxBytes and serves the rest from disk, in order', async () => {
    const dir = dirs.make();
    const b = open(dir, { cacheMaxBytes: 4096, chunkMaxEvents: 20 });
    for (let i = 0; i < 10; i++) {
      await b.append(eventsFor('a', 20, i * 20));
      expect(b.stats().backend.cacheBytes).toBeLessThanOrEqual(4096);
    }
    const seen: number[] = [];
    for (let lease = await b.claim('a', 50, ALL); lease; lease = await b.claim('a', 50, ALL)) {
      seen.push(...lease.events().map(numberOf));
      await b.ack(lease);
    }
    expect(seen).toEqual([...Array(200).keys()]);
    expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
    expect(b.stats().backend.cacheBytes).toBe(0);
  });

  it('keeps a tenant with one chunk out of memory as a cold row between claims, across retries and a restart', async () => {
    const dir = dirs.make();
    const tenants = Array.from({ length: 300 }, (_, i) => `flood-${i}`);
    let b = open(dir, { cacheMaxBytes: 0 });
    await Promise.all(tenants.map((t, i) => b.append(eventsFor(t, 1, i, 1_790_000_000_000 + i))));
    // Nothing cached: every tenant is a cold row, and its figures are read from it.
    expect(b.stats().backend.coldTenants).toBe(300);
    expect(b.tenantBacklog('flood-7')).toMatchObject({ events: 1, oldestReceivedAt: 1_790_000_000_007 });
    expect((await b.backlog({ oldest: 2 })).map((t) => t.tenant)).toEqual(['flood-0', 'flood-1']);

    // A claim warms one tenant; a failed attempt's retry mark is kept when it turns cold again.
    const lease = (await b.claim('flood-7', 10, ALL))!;
    expect(b.stats().backend.coldTenants).toBe(299);
    await b.retry(lease, 1_800_000_000_000);
    b.release(lease);
    expect(b.stats().backend.coldTenants).toBe(300);
    const again = (await b.claim('flood-7', 10, ALL))!;
    expect(again).toMatchObject({ count: 1, attempts: 1, notBefore: 1_800_000_000_000 });
    expect(again.events().map(numberOf)).toEqual([7]);
    await b.ack(again);
    expect(b.tenantBacklog('flood-7')).toBeUndefined();
    expect(b.stats()).toMatchObject({ events: 299 });
    await b.close();

    // A restart reads the directory into cold rows; every tenant is still delivered once, in its own lease.
    b = open(dir, { cacheMaxBytes: 0 });
    expect(b.stats().backend.coldTenants).toBe(299);
    const seen: number[] = [];
    for (const t of tenants) {
      const l = await b.claim(t, 10, ALL);
      if (!l) continue;
      seen.push(...l.events().map(numberOf));
      await b.ack(l);
    }
    expect(seen).toEqual([...Array(300).keys()].filter((n) => n !== 7));
    expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
    expect(b.stats().backend).toMatchObject({ coldTenants: 0, chunks: 0, cacheBytes: 0 });
  });

  it('upgrades a row-per-event database: same ids, same order, retry state kept', () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    migrate(db, 1);
    const bufferId = (db.prepare(`SELECT value FROM meta WHERE key = 'buffer_id'`).get() as { value: string })
      .value;
    db.prepare(`INSERT INTO tenants (tid, name, events, bytes) VALUES (1, 'a', 3, 0), (2, 'b', 1, 0)`).run();
    const insert = db.prepare(
      'INSERT INTO events (tid, seq, received_at, attempts, next_attempt_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    insert.run(1, 1, 100, 0, 0, Buffer.from('{"tenantId":"a","n":0}'));
    insert.run(2, 2, 101, 0, 0, Buffer.from('{"tenantId":"b","n":0}'));
    insert.run(1, 3, 102, 2, 5000, Buffer.from('{"tenantId":"a",\n"n":1}'));
    insert.run(1, 4, 103, 0, 0, Buffer.from('{"tenantId":"a","n":2}'));
    db.prepare(`UPDATE meta SET value = '5' WHERE key = 'next_seq'`).run();
    db.close();
    const b = open(dir);
    expect(b.bufferId).toBe(bufferId);
    expect(b.stats().events).toBe(4);
    return b.claim('a', ALL, ALL).then(async (lease) => {
      expect(lease!.events().map((e) => [e.id, e.receivedAt, numberOf(e)])).toEqual([
        [`${bufferId}-1`, 100, 0],
        [`${bufferId}-3`, 102, 1],
        [`${bufferId}-4`, 103, 2],
      ]);
      expect(lease!).toMatchObject({ attempts: 2, notBefore: 5000 });
      await b.append(eventsFor('a', 1));
      const next = (await b.claim('a', ALL, ALL))!;
      expect(next.events()[0]!.seq).toBe(5);
    });
  });
});
