// End to end: a real ZeroMQ PUSH producer and HTTP producer, the service, real HTTP sinks on loopback.
import { Push } from 'zeromq';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink, type MockSink } from '../../src/tools/mock-sink/index.js';
import type { Service } from '../../src/app.js';
import { event, eventually, httpBase, startInProcess, tempDir, testConfig } from '../support/service.js';

describe('end to end', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('delivers every event of several tenants exactly once, in per-tenant order, and empties the buffer', async () => {
    const dir = tempDir();
    const shared = await startMockSink({ keepEvents: true });
    const own = await startMockSink({ keepEvents: true });
    cleanups.push(
      dir.remove,
      () => shared.close(),
      () => own.close(),
    );
    const service: Service = await startInProcess(
      testConfig(dir.path, {
        defaultSink: { type: 'http', url: shared.url },
        tenants: { gamma: { sink: { type: 'http', url: own.url, format: 'json_array', gzip: true } } },
      }),
    );
    cleanups.push(() => service.stop());

    const push = new Push({ sendHighWaterMark: 100_000 });
    push.connect(service.endpoints.zmq!);
    // Closed after the service stops: a producer in this process disconnecting while the service's socket
    // unbinds can hit an assertion in libzmq 4.3.5 that aborts the whole test process.
    cleanups.splice(cleanups.length - 1, 0, () => push.close());
    const perTenant = 1500;
    const tenants = ['alpha', 'beta', 'gamma'];
    for (let n = 0; n < perTenant; n++) for (const t of tenants) await push.send(event(t, n));
    // And some over HTTP, as NDJSON, answered only once durable.
    const body = Array.from({ length: 100 }, (_, i) => event('delta', i)).join('\n');
    const res = await request(`${httpBase(service.endpoints)}/v1/events`, { method: 'POST', body });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ accepted: 100 });

    await shared.waitFor((r) => r.unique === 2 * perTenant + 100, 30_000);
    await own.waitFor((r) => r.unique === perTenant, 30_000);
    const a = shared.report();
    const b = own.report();
    expect(a.duplicates + b.duplicates).toBe(0);
    expect(a.orderViolations + b.orderViolations).toBe(0);
    expect(Object.keys(a.perTenant).sort()).toEqual(['alpha', 'beta', 'delta']);
    expect(Object.keys(b.perTenant)).toEqual(['gamma']);
    for (const t of ['alpha', 'beta']) expectInOrder(shared, t, perTenant);
    expectInOrder(own, 'gamma', perTenant);
    expectInOrder(shared, 'delta', 100);
    await eventually('buffer drained', () => service.buffer.stats().events === 0);
  });
});

/** The sink saw n = 0..count-1 of this tenant, in that order, each event byte-for-byte as sent. */
function expectInOrder(sink: MockSink, tenant: string, count: number): void {
  const got = sink.received(tenant).map((r) => r.event as { n: number; tenantId: string });
  expect(got.map((e) => e.n)).toEqual(Array.from({ length: count }, (_, i) => i));
  expect(got.every((e) => e.tenantId === tenant)).toBe(true);
}
