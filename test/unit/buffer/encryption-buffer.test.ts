// Encryption at rest on a real SQLite file: no clear text on disk, tampered chunks dead-lettered while the rest
// is delivered, wrong or missing keys refused before anything is written, rotation and rekey.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, DataDirectory, type SqliteBuffer } from '../../../src/buffer/index.js';
import type { BufferKey } from '../../../src/buffer/sqlite/index.js';
import { ErrorCodes } from '../../../src/errors.js';
import { TempDirs, openSqlite } from '../../support/fixtures.js';

const MARKER = 'SECRET-MARKER-7f3a';
const k1: BufferKey = { id: 'k1', key: randomBytes(32) };
const k2: BufferKey = { id: 'k2', key: randomBytes(32) };

function events(tenant: string, n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => ({
    tenant,
    receivedAt: 1_700_000_000_000 + from + i,
    payload: Buffer.from(JSON.stringify({ tenantId: tenant, n: from + i, note: `${MARKER}-${from + i}` })),
  }));
}

/** Claims and acknowledges everything of the tenant; returns the `n` of each event delivered, in order. */
async function drain(b: SqliteBuffer, tenant: string): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    const lease = await b.claim(tenant, 1000, 1 << 30);
    if (!lease) return got;
    for (const e of lease.events()) got.push((JSON.parse(e.payload.toString()) as { n: number }).n);
    await b.ack(lease);
  }
}

function query<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

function keyFailure(f: () => unknown): Error & { code: string } {
  try {
    f();
  } catch (err) {
    expect((err as { code: string }).code).toBe(ErrorCodes.BUFFER_KEY);
    return err as Error & { code: string };
  }
  throw new Error('expected the open to fail');
}

describe('SqliteBuffer with encryption at rest', () => {
  const dirs = new TempDirs();
  const opened: SqliteBuffer[] = [];
  const open = (dir: string, keys?: BufferKey[]) => {
    const b = openSqlite(dir, { keys, chunkMaxEvents: 10, cacheMaxBytes: 0 });
    opened.push(b);
    return b;
  };
  const close = async (b: SqliteBuffer) => {
    opened.splice(opened.indexOf(b), 1);
    await b.close();
  };
  afterEach(async () => {
    try {
      for (const b of opened.splice(0)) await b.close();
    } finally {
      dirs.cleanup();
    }
  });

  it('round-trips through the file and leaves no clear text in the database, WAL or -shm', async () => {
    const dir = dirs.make();
    const b = open(dir, [k1]);
    await b.append(events('acme', 25));
    // Some delivered and dead-lettered too: rewrites and dead letters are encrypted as well.
    const lease = (await b.claim('acme', 3, 1 << 30))!;
    await b.deadLetter(lease, [{ id: lease.events()[0]!.id, status: 400, reason: 'bad' }]);
    await b.ack(lease);
    const files = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].map((f) => join(dir, f));
    const scan = () => {
      for (const f of files.filter((x) => existsSync(x)))
        expect(readFileSync(f).includes(MARKER), `clear text in ${f}`).toBe(false);
    };
    scan(); // while open: the WAL holds the writes
    await close(b);
    scan();
    const rows = query<{ key_id: string | null }>(dir, 'SELECT key_id FROM chunks');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.key_id === 'k1')).toBe(true);
    const b2 = open(dir, [k1]);
    expect(await drain(b2, 'acme')).toEqual(Array.from({ length: 22 }, (_, i) => i + 3));
    await close(b2);
    const dlq = new DataDirectory({ ...engineOpts(dir), keys: [k1] });
    try {
      const [letter] = dlq.listDeadLetters(undefined, 10);
      expect(JSON.parse(letter!.payload)).toMatchObject({ n: 0, note: `${MARKER}-0` });
    } finally {
      dlq.close();
    }
  });

  it('dead-letters a tampered chunk with a clear reason and delivers the rest of the tenant', async () => {
    const dir = dirs.make();
    const b = open(dir, [k1]);
    await b.append(events('acme', 10, 0));
    await b.append(events('acme', 10, 10));
    await b.append(events('acme', 10, 20));
    await b.append(events('other', 5));
    await close(b);
    const db = new Database(join(dir, DB_FILE));
    const [mid] = db
      .prepare<[], { id: number }>("SELECT id FROM chunks WHERE tenant = 'acme' ORDER BY id LIMIT 1 OFFSET 1")
      .all();
    const { lines } = db
      .prepare<[number], { lines: Buffer }>('SELECT lines FROM chunk_lines WHERE id = ?')
      .get(mid!.id)!;
    lines[lines.length - 20]! ^= 0x01; // one bit of the ciphertext
    db.prepare('UPDATE chunk_lines SET lines = ? WHERE id = ?').run(lines, mid!.id);
    db.close();

    const b2 = open(dir, [k1]);
    expect(await drain(b2, 'acme')).toEqual([...range(0, 10), ...range(20, 30)]);
    expect(await drain(b2, 'other')).toEqual(range(0, 5));
    expect(b2.stats().events).toBe(0);
    expect(b2.stats().deadLetters).toBe(1);
    await close(b2);
    const dlq = new DataDirectory({ ...engineOpts(dir), keys: [k1] });
    try {
      const [letter] = dlq.listDeadLetters('acme', 10);
      expect(letter!.reason).toBe(
        `chunk ${mid!.id} failed authentication (tampered, moved from another row, or wrong key): ` +
          'its 10 events (seq 11 onwards) could not be read and cannot be delivered',
      );
      expect(JSON.parse(letter!.payload)).toMatchObject({
        tenantId: 'acme',
        logdriverUnreadableChunk: { chunk: mid!.id, events: 10, firstSeq: 11 },
      });
    } finally {
      dlq.close();
    }
  });

  it('refuses a chunk record copied onto another row', async () => {
    const dir = dirs.make();
    const b = open(dir, [k1]);
    await b.append(events('acme', 10, 0));
    await b.append(events('acme', 10, 10));
    await close(b);
    const db = new Database(join(dir, DB_FILE));
    db.exec('UPDATE chunk_lines SET lines = (SELECT lines FROM chunk_lines WHERE id = 1) WHERE id = 2');
    db.close();
    const b2 = open(dir, [k1]);
    expect(await drain(b2, 'acme')).toEqual(range(0, 10));
    expect(b2.stats().deadLetters).toBe(1);
  });

  it('refuses to open with a wrong key, and writes nothing', async () => {
    const dir = dirs.make();
    const b = open(dir, [k1]);
    await b.append(events('acme', 5));
    await close(b);
    // Every row of every table (SQLite itself may still bump the file header's change counter on close).
    const content = () =>
      ['meta', 'chunks', 'chunk_lines', 'dead_letters'].map((t) => query(dir, `SELECT * FROM ${t}`));
    const before = content();
    const err = keyFailure(() => open(dir, [{ id: 'k1', key: randomBytes(32) }]));
    expect(err.message).toContain('buffer.encryption key "k1" is not the key this buffer was encrypted with');
    expect(content()).toEqual(before);
    // Nor does adding a key next to a wrong one record that new key's check.
    keyFailure(() => open(dir, [k2, { id: 'k1', key: randomBytes(32) }]));
    expect(content()).toEqual(before);
    // The right key still opens it, and nothing was lost.
    expect(await drain(open(dir, [k1]), 'acme')).toEqual(range(0, 5));
  });

  it('refuses encrypted rows without their key, naming the key id', async () => {
    const dir = dirs.make();
    const b = open(dir, [k1]);
    await b.append(events('acme', 5));
    await close(b);
    expect(keyFailure(() => open(dir)).message).toMatch(
      /holds records encrypted with key "k1" \(1 chunks, 0 dead letters\) and buffer.encryption is not configured/,
    );
    expect(keyFailure(() => open(dir, [k2])).message).toContain('key "k1"');
  });

  it('reads a clear-text buffer once encryption is turned on, and encrypts new rows', async () => {
    const dir = dirs.make();
    const plain = open(dir);
    await plain.append(events('acme', 10, 0));
    await close(plain);
    const b = open(dir, [k1]);
    await b.append(events('acme', 10, 10));
    await close(b);
    expect(query<{ key_id: string | null }>(dir, 'SELECT key_id FROM chunks ORDER BY id')).toEqual([
      { key_id: null },
      { key_id: 'k1' },
    ]);
    expect(await drain(open(dir, [k1]), 'acme')).toEqual(range(0, 20));
  });

  it('rotates: a new first key encrypts new rows, the old one still decrypts; rekey lets it go', async () => {
    const dir = dirs.make();
    const plain = open(dir);
    await plain.append(events('acme', 10, 0)); // clear text from before encryption
    await plain.append(events('zeta', 5));
    await close(plain);
    const b = open(dir, [k1]);
    await b.append(events('acme', 10, 10));
    const lease = (await b.claim('acme', 1, 1 << 30))!;
    await b.deadLetter(lease, [{ id: lease.events()[0]!.id, status: 400, reason: 'bad' }]);
    await close(b);
    const rotated = open(dir, [k2, k1]);
    await rotated.append(events('acme', 10, 20));
    await close(rotated);
    // acme's first chunk was rewritten (one event dead-lettered) under k1; zeta's is still clear text.
    expect(query<{ key_id: string | null }>(dir, 'SELECT key_id FROM chunks ORDER BY id')).toEqual([
      { key_id: 'k1' },
      { key_id: null },
      { key_id: 'k1' },
      { key_id: 'k2' },
    ]);

    const dir2 = new DataDirectory({ ...engineOpts(dir), keys: [k2, k1] });
    let result;
    try {
      result = dir2.rekey({ chunkRows: 1 });
    } finally {
      dir2.close();
    }
    expect(result).toEqual({
      keyId: 'k2',
      chunks: 3,
      deadLetters: 1,
      unreadableChunks: 0,
      unreadableDeadLetters: 0,
    });
    const keyIds = (table: string) =>
      query<{ key_id: string | null }>(dir, `SELECT DISTINCT key_id FROM ${table}`).map((r) => r.key_id);
    expect(keyIds('chunks')).toEqual(['k2']);
    expect(keyIds('dead_letters')).toEqual(['k2']);
    // The old key can go now: everything opens with the new one alone.
    const after = open(dir, [k2]);
    expect(await drain(after, 'acme')).toEqual([...range(1, 30)]);
    expect(await drain(after, 'zeta')).toEqual(range(0, 5));
    await close(after);
    const dlq = new DataDirectory({ ...engineOpts(dir), keys: [k2] });
    try {
      expect(JSON.parse(dlq.listDeadLetters(undefined, 10)[0]!.payload)).toMatchObject({ n: 0 });
    } finally {
      dlq.close();
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function engineOpts(dir: string) {
  return {
    dataDir: dir,
    synchronous: 'normal' as const,
    walMaxBytes: Number.MAX_SAFE_INTEGER,
    autoVacuum: 'incremental' as const,
  };
}
