// Reliability: a tenant flood survives SIGKILL and restart. 20,000 events across 20,000 distinct tenants are
// stored (HTTP, 1000 per request) while the sink is down, the service is SIGKILLed, restarted on the same data
// directory with the sink up, and every event must be delivered. Peak RSS (VmHWM) of both processes is
// printed as a measurement, not asserted. Prints one `tenant-flood` line.
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockSink, type MockSink } from '../../src/tools/mock-sink/index.js';
import {
  childMetric,
  event,
  eventually,
  httpBase,
  peakRssKiB,
  startChild,
  tempDir,
  testConfig,
  type ServiceProcess,
} from '../support/service.js';

const TENANTS = 20_000;
const PER_REQUEST = 1000;
const tenantOf = (i: number): string => `flood-${String(i).padStart(5, '0')}`;

describe('tenant flood across a SIGKILL', () => {
  const dir = tempDir('logdriver-flood-');
  let sink: MockSink | undefined;
  let child: ServiceProcess | undefined;
  let alive = false;
  afterAll(async () => {
    if (child && alive) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    await sink?.close();
    dir.remove();
  });

  it('delivers every event of 20,000 tenants after SIGKILL and restart', { timeout: 120_000 }, async () => {
    sink = await startMockSink({ keepEvents: true, mode: 'down' });
    const raw = testConfig(`${dir.path}/data`, {
      ingest: { zmq: { enabled: false } },
      defaultSink: { type: 'http', url: sink.url },
    });
    // While the sink is down, each of the 20,000 lanes fails once and then backs off for long: the events
    // stay stored without a storm of retries. The restart uses the quick test back-off again.
    const storing = {
      ...raw,
      delivery: { ...(raw.delivery as object), retry: { initialMs: 30_000, maxMs: 60_000 } },
    };
    child = await startChild(storing, dir.path);
    alive = true;

    const ingestStart = Date.now();
    for (let first = 0; first < TENANTS; first += PER_REQUEST) {
      const body = Array.from({ length: PER_REQUEST }, (_, k) => event(tenantOf(first + k), first + k)).join(
        '\n',
      );
      const res = await request(`${httpBase(child.endpoints)}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const answer = await res.body.text();
      expect(res.statusCode, answer).toBe(200);
    }
    const ingestMs = Date.now() - ingestStart;
    expect(await childMetric(child, 'logdriver_buffer_events')).toBe(TENANTS);
    const firstPeak = peakRssMiB(child.proc.pid!);
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    alive = false;

    sink.set({ mode: 'ok' });
    const restartAt = Date.now();
    child = await startChild(raw, dir.path);
    alive = true;
    const startMs = Date.now() - restartAt;
    await eventually(
      'buffer empty after restart',
      async () => (await childMetric(child!, 'logdriver_buffer_events')) === 0,
      90_000,
    );
    const deliverMs = Date.now() - restartAt;
    const restartPeak = peakRssMiB(child.proc.pid!);

    const missing: string[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const got = sink.received(tenantOf(i)).some((r) => (r.event as { n: number }).n === i);
      if (!got) missing.push(tenantOf(i));
    }
    const report = sink.report();
    console.info(
      `tenant-flood: events=${TENANTS} tenants=${TENANTS} perRequest=${PER_REQUEST} ingestMs=${ingestMs}` +
        ` peakRssMiBBeforeKill=${firstPeak} restartStartMs=${startMs} restartDeliverMs=${deliverMs}` +
        ` peakRssMiBAfterRestart=${restartPeak} missing=${missing.length} duplicates=${report.duplicates}`,
    );
    expect(missing.slice(0, 10)).toEqual([]);

    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    alive = false;
  });
});

/** Peak resident set (VmHWM) of a live process in MiB. */
function peakRssMiB(pid: number): number {
  return Math.round(peakRssKiB(pid) / 1024);
}
