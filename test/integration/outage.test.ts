// Outage and permanent failure: one tenant's trouble never stops another tenant's delivery.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { DB_FILE } from '../../src/buffer/index.js';
import { event, eventually, startInProcess, tempDir, testConfig } from '../support/service.js';

describe('sink trouble', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(badMode: 'down' | 'reject') {
    const dir = tempDir();
    const good = await startMockSink({ keepEvents: true });
    const bad = await startMockSink({ keepEvents: true, mode: badMode });
    cleanups.push(
      dir.remove,
      () => good.close(),
      () => bad.close(),
    );
    const service = await startInProcess(
      testConfig(dir.path, {
        defaultSink: { type: 'http', url: good.url },
        tenants: { broken: { sink: { type: 'http', url: bad.url } } },
      }),
    );
    cleanups.push(() => service.stop());
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    cleanups.push(() => push.close());
    return { dir, good, bad, service, push };
  }

  it('keeps delivering healthy tenants while one sink is down, then delivers the held events', async () => {
    const { good, bad, service, push } = await setup('down');
    for (let n = 0; n < 500; n++) {
      await push.send(event('broken', n));
      await push.send(event('healthy', n));
    }
    await good.waitFor((r) => r.unique === 500, 20_000);
    // The broken tenant was tried (and refused) while the healthy one went through.
    await eventually('the down sink was retried', () => (bad.report().statusCounts['503'] ?? 0) >= 2);
    expect(bad.report().unique).toBe(0);
    // Only the broken tenant's events stay stored (the healthy acks commit right after the sink answers).
    await eventually('healthy events deleted', () => service.buffer.stats().events === 500);
    expect(service.telemetry.totals.retried).toBeGreaterThan(0);

    // More healthy traffic during the outage still flows.
    for (let n = 500; n < 700; n++) await push.send(event('healthy', n));
    await good.waitFor((r) => r.unique === 700, 20_000);

    bad.set({ mode: 'ok' });
    await bad.waitFor((r) => r.unique === 500, 30_000);
    expect(bad.received('broken').map((r) => (r.event as { n: number }).n)).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
    expect(bad.report().duplicates).toBe(0);
    await eventually('buffer drained', () => service.buffer.stats().events === 0);
  });

  it('dead-letters a batch the sink refuses with 400 and keeps delivering', async () => {
    const { dir, good, bad, service, push } = await setup('reject');
    for (let n = 0; n < 30; n++) await push.send(event('broken', n));
    await eventually('refused batch dead-lettered', () => service.buffer.stats().deadLetters === 30);
    expect(bad.report().statusCounts['400']).toBeGreaterThanOrEqual(1);
    expect(bad.report().unique).toBe(0);

    // Delivery continues: for other tenants, and for the same tenant once its sink accepts again.
    bad.set({ mode: 'ok' });
    for (let n = 30; n < 40; n++) await push.send(event('broken', n));
    for (let n = 0; n < 10; n++) await push.send(event('healthy', n));
    await bad.waitFor((r) => r.unique === 10, 20_000);
    await good.waitFor((r) => r.unique === 10, 20_000);
    expect(service.buffer.stats().deadLetters).toBe(30);

    const db = new Database(join(dir.path, DB_FILE), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT tenant, status, reason, payload FROM dead_letters ORDER BY seq')
        .all() as {
        tenant: string;
        status: number;
        reason: string;
        payload: Buffer;
      }[];
      expect(rows).toHaveLength(30);
      expect(rows.every((r) => r.tenant === 'broken' && r.status === 400 && r.reason.length > 0)).toBe(true);
      expect(rows.map((r) => (JSON.parse(r.payload.toString()) as { n: number }).n)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
    } finally {
      db.close();
    }
  });
});
