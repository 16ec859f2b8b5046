// A full buffer pushes back: HTTP answers 503 with Retry-After, ZeroMQ stops being read (block) or the
// newest events are dropped and counted (drop_newest). Nothing stored is lost either way.
import { Push } from 'zeromq';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { event, eventually, httpBase, startInProcess, tempDir, testConfig } from '../support/service.js';

describe('buffer full', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(whenFull: 'block' | 'drop_newest') {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true, mode: 'down' });
    cleanups.push(dir.remove, () => sink.close());
    const service = await startInProcess(
      testConfig(dir.path, {
        buffer: { maxBytes: 20_000, whenFull },
        defaultSink: { type: 'http', url: sink.url },
      }),
    );
    cleanups.push(() => service.stop());
    return { sink, service };
  }

  it('block: HTTP gets 503 + Retry-After, ZeroMQ waits, and everything flows once the sink drains the buffer', async () => {
    const { sink, service } = await setup('block');
    const url = `${httpBase(service.endpoints)}/v1/events`;
    let accepted = 0;
    for (;;) {
      const res = await request(url, { method: 'POST', body: event('acme', accepted) });
      await res.body.dump();
      if (res.statusCode === 503) {
        expect(res.headers['retry-after']).toBeDefined();
        break;
      }
      expect(res.statusCode).toBe(200);
      accepted++;
    }
    expect(service.buffer.admission()).toBe('full');
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    cleanups.push(() => push.close());
    const receivedWhenFull = service.telemetry.totals.received;
    for (let i = 0; i < 20; i++) await push.send(event('zmq', i));
    await new Promise((r) => setTimeout(r, 300));
    // The socket is not read while full (a receive already waiting may take one frame), nothing is dropped.
    expect(service.telemetry.totals.received - receivedWhenFull).toBeLessThanOrEqual(1);
    expect(service.telemetry.totals.dropped).toBe(0);

    sink.set({ mode: 'ok' });
    await sink.waitFor(
      (r) => r.perTenant.acme?.unique === accepted && r.perTenant.zmq?.unique === 20,
      20_000,
    );
    await eventually('buffer drained', () => service.buffer.stats().events === 0);
  });

  it('drop_newest: ZeroMQ events beyond the cap are dropped and counted', async () => {
    const { sink, service } = await setup('drop_newest');
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    cleanups.push(() => push.close());
    for (let i = 0; i < 400; i++) await push.send(event('acme', i));
    await eventually('all 400 accounted for', () => {
      const t = service.telemetry.totals;
      return t.committed + t.dropped === 400;
    });
    const { committed, dropped } = service.telemetry.totals;
    expect(dropped).toBeGreaterThan(0);
    const metrics = await service.telemetry.registry
      .getSingleMetric('logdriver_ingest_dropped_events_total')!
      .get();
    expect(metrics.values[0]?.value).toBe(dropped);
    sink.set({ mode: 'ok' });
    await sink.waitFor((r) => r.unique === committed, 20_000);
  });
});
