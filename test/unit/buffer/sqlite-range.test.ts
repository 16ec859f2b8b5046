// Acknowledging a whole batch as a seq range: deletes exactly that batch and keeps the counters exact.
import { afterEach, describe, expect, it } from 'vitest';
import { TempDirs, eventsFor, openSqlite } from '../../support/index.js';

describe('SqliteBuffer whole-range ack', () => {
  const dirs = new TempDirs();
  afterEach(() => dirs.cleanup());

  it('deletes the read batch and nothing of the tenant after it or of other tenants', async () => {
    const buffer = openSqlite(dirs.make());
    try {
      // Interleaved tenants, so a's seqs are not contiguous numbers: the range must still only take a's rows.
      for (let i = 0; i < 30; i++) await buffer.append([...eventsFor('a', 1, i), ...eventsFor('b', 1, i)]);
      const before = buffer.stats();
      const batch = await buffer.read('a', 0, 10, 1 << 20);
      expect(batch).toHaveLength(10);
      await buffer.ack(batch, true);
      const after = buffer.stats();
      expect(after.events).toBe(before.events - 10);
      // Each event counts its payload, its tenant name and a fixed 48-byte row overhead.
      const bytes = batch.reduce((n, e) => n + e.payload.byteLength + Buffer.byteLength(e.tenant) + 48, 0);
      expect(before.bytes - after.bytes).toBe(bytes);
      const restA = await buffer.read('a', 0, 100, 1 << 20);
      expect(restA.map((e) => e.seq)).toEqual(
        (await buffer.read('a', batch[9]!.seq, 100, 1 << 20)).map((e) => e.seq),
      );
      expect(restA).toHaveLength(20);
      expect(await buffer.read('b', 0, 100, 1 << 20)).toHaveLength(30);
      const top = buffer.topTenants(5);
      expect(top.map((t) => [t.tenant, t.events])).toEqual([
        ['b', 30],
        ['a', 20],
      ]);
      expect(top[0]!.bytes + top[1]!.bytes).toBe(after.bytes);
    } finally {
      await buffer.close();
    }
  });
});
