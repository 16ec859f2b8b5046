// Tenants with nothing stored are forgotten (row and cache), and a returning tenant works as before.
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEngine } from '../../../src/buffer/sqlite/index.js';
import { TempDirs } from '../../support/index.js';

describe('SqliteEngine tenant pruning', () => {
  const dirs = new TempDirs();
  afterEach(() => dirs.cleanup());

  it('drops drained tenants only, and takes a returning one back', () => {
    const engine = new SqliteEngine({
      dataDir: dirs.make(),
      synchronous: 'normal',
      walMaxBytes: 1 << 26,
      autoVacuum: 'none',
    });
    try {
      const ev = (tenant: string, n: number) => ({
        tenant,
        receivedAt: 1,
        payload: Buffer.from(`{"tenantId":"${tenant}","n":${n}}`),
      });
      engine.commit([ev('gone', 0), ev('kept', 0)], [], []);
      const [row] = engine.read('gone', 0, 10, 1 << 20);
      engine.commit([], [{ tenant: 'gone', seq: row!.seq, bytes: 0 }], []);
      const tenantsTable = () =>
        (engine.db.prepare('SELECT name FROM tenants ORDER BY name').all() as { name: string }[]).map(
          (r) => r.name,
        );
      expect(tenantsTable()).toEqual(['gone', 'kept']);

      expect(engine.pruneTenants()).toBe(1);
      expect(tenantsTable()).toEqual(['kept']);
      expect(engine.read('kept', 0, 10, 1 << 20)).toHaveLength(1);
      expect(engine.read('gone', 0, 10, 1 << 20)).toEqual([]);

      engine.commit([ev('gone', 1)], [], []);
      const back = engine.read('gone', 0, 10, 1 << 20);
      expect(back.map((r) => JSON.parse(r.payload.toString()) as { n: number })).toEqual([
        { tenantId: 'gone', n: 1 },
      ]);
      expect(
        engine
          .backlog()
          .map((t) => [t.tenant, t.events])
          .sort(),
      ).toEqual([
        ['gone', 1],
        ['kept', 1],
      ]);
    } finally {
      engine.close();
    }
  });
});
