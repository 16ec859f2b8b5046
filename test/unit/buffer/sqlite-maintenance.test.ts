// The buffer file's upkeep: vacuum steps bounded in bytes, and put off while a backlog drains.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Maintenance } from '../../../src/buffer/sqlite/maintenance.js';
import { TempDirs } from '../../support/fixtures.js';

const MiB = 1024 * 1024;

describe('Maintenance', () => {
  const dirs = new TempDirs();
  const open: { db: Database.Database; m: Maintenance }[] = [];
  afterEach(() => {
    for (const { db, m } of open.splice(0)) {
      m.close();
      db.close();
    }
    dirs.cleanup();
  });

  /** A WAL database with auto_vacuum incremental holding `mib` MiB of 64 KiB blobs. */
  function filled(pageSize: number, mib: number) {
    const path = join(dirs.make(), 'b.db');
    const db = new Database(path);
    db.pragma(`page_size = ${pageSize}`);
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)');
    const insert = db.prepare('INSERT INTO t (b) VALUES (?)');
    const blob = Buffer.alloc(64 * 1024, 7);
    db.transaction(() => {
      for (let i = 0; i < mib * 16; i++) insert.run(blob);
    })();
    const m = new Maintenance(db, path, 1024 * MiB);
    m.checkpoint('TRUNCATE');
    open.push({ db, m });
    const pages = (): number => db.pragma('page_count', { simple: true }) as number;
    const free = (): number => db.pragma('freelist_count', { simple: true }) as number;
    const deleteShare = (share: number): void => {
      const n = (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
      db.prepare('DELETE FROM t WHERE id IN (SELECT id FROM t LIMIT ?)').run(Math.floor(n * share));
    };
    return { db, m, pages, free, deleteShare };
  }

  it('puts the timed step off while deliveries free pages, and takes it once they stop', () => {
    const f = filled(16384, 48);
    expect(f.m.timedStep()).toBe(0); // nothing free yet
    f.deleteShare(0.5); // 24 MiB freed since the last tick: a drain
    const freeAfterDrain = f.free();
    expect(freeAfterDrain * 16384).toBeGreaterThan(20 * MiB);
    expect(f.m.timedStep()).toBe(0);
    expect(f.free()).toBe(freeAfterDrain);
    // Nothing freed since: the step runs and the file shrinks.
    const before = f.pages();
    const freed = f.m.timedStep();
    expect(freed).toBeGreaterThan(0);
    expect(f.pages()).toBe(before - freed);
    // A slow trickle of deletes (under a minimum step between ticks) does not hold the vacuum off.
    f.deleteShare(0.05);
    expect(f.m.timedStep()).toBeGreaterThan(0);
  });

  it.each([4096, 16384])('bounds a step in bytes, not pages (page size %i)', (pageSize) => {
    const f = filled(pageSize, 40);
    f.deleteShare(0.6);
    const freeBefore = f.free();
    expect(freeBefore * pageSize).toBeGreaterThan(20 * MiB);
    const freed = f.m.vacuumStep();
    // Half the free space is under 16 MiB: the step still returns 16 MiB, as many pages as that is.
    expect(freed).toBe((16 * MiB) / pageSize);
    expect(f.free()).toBe(freeBefore - freed);
  });
});
