// ZeroMQ frames beyond what ingest can take: libzmq refuses a frame over its bound (16 x ingest.maxEventBytes)
// from the frame's header, so a huge frame never costs the service its size in memory, and other producers
// (and the same one, after its reconnect) go on. Batched frames within the bound keep working.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_BOUND_FACTOR, maxFrameBytes } from '../../../src/ingest/zmq.js';
import { startMockSink } from '../../../src/tools/mock-sink/index.js';
import { event, startChild, tempDir, testConfig } from '../../support/service.js';

const MAX_EVENT = 64 * 1024;
const HUGE = 256 * 1024 * 1024;
/** Peak RSS may grow this much from the other traffic alone (measured: ~25 MiB). */
const SLACK = 64 * 1024 * 1024;

/** The child's peak resident memory (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

async function rejectedTooLarge(adminPort: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${adminPort}/metrics`);
  const text = await res.body.text();
  const m =
    /^logdriver_ingest_rejected_events_total\{[^}]*source="zmq"[^}]*reason="too_large"[^}]*\} (\d+)/m.exec(
      text,
    );
  return m ? Number(m[1]) : 0;
}

describe('ZeroMQ frame bound', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('bounds a frame at 16 x maxEventBytes', () => {
    expect(maxFrameBytes(MAX_EVENT)).toBe(MAX_EVENT * FRAME_BOUND_FACTOR);
    expect(FRAME_BOUND_FACTOR).toBe(16);
  });

  it.skipIf(process.platform !== 'linux')(
    'drops a huge frame without holding it in memory; other producers, and the same one, go on',
    async () => {
      const dir = tempDir();
      const sink = await startMockSink({ keepEvents: true });
      cleanups.push(dir.remove, () => sink.close());
      const child = await startChild(
        testConfig(join(dir.path, 'data'), {
          ingest: { maxEventBytes: MAX_EVENT },
          defaultSink: { type: 'http', url: sink.url },
        }),
        dir.path,
      );
      cleanups.push(() => void child.proc.kill('SIGKILL'));
      const pid = child.proc.pid!;
      const attacker = new Push();
      const producer = new Push();
      // Closed after the service (below, cleanups run in reverse): a peer closing while the service unbinds
      // can abort libzmq 4.3.5.
      cleanups.unshift(
        () => attacker.close(),
        () => producer.close(),
      );
      attacker.connect(child.endpoints.zmq!);
      producer.connect(child.endpoints.zmq!);

      // Within the bound: a too-large event is read, refused and counted; an NDJSON frame and a multipart
      // message each larger than maxEventBytes as a whole are stored event by event.
      const big = JSON.stringify({ tenantId: 'evil', pad: 'x'.repeat(2 * MAX_EVENT) });
      const line = (n: number) => event('batch', n, { pad: 'y'.repeat(2000) });
      const ndjson = Array.from({ length: 100 }, (_, n) => line(n)).join('\n');
      expect(ndjson.length).toBeGreaterThan(MAX_EVENT);
      await producer.send(big);
      await producer.send(ndjson);
      await producer.send(Array.from({ length: 40 }, (_, n) => line(100 + n)));
      await sink.waitFor((r) => r.unique === 140, 20_000);
      expect(sink.received('batch').map((r) => (r.event as { n: number }).n)).toEqual(
        Array.from({ length: 140 }, (_, n) => n),
      );
      expect(await rejectedTooLarge(child.endpoints.admin!.port)).toBe(1);
      const peakBefore = peakRss(pid);

      const huge = Buffer.alloc(HUGE, 0x20);
      huge.write(`{"tenantId":"evil","pad":"`, 0);
      huge.write('"}', HUGE - 2);
      await attacker.send(huge);
      for (let i = 0; i < 20; i++) await producer.send(event('good', i));
      // The attacker's connection was dropped; its socket reconnects and its next events arrive.
      await attacker.send(event('evil', 1));
      await sink.waitFor((r) => r.unique === 140 + 20 + 1, 20_000);
      expect(sink.received('good').map((r) => (r.event as { n: number }).n)).toEqual(
        Array.from({ length: 20 }, (_, n) => n),
      );
      expect(sink.received('evil').map((r) => (r.event as { n: number }).n)).toEqual([1]);
      // Without the bound the service took the whole frame into memory (its peak grew by at least HUGE).
      const grown = peakRss(pid) - peakBefore;
      expect(grown, `peak RSS grew by ${grown} bytes`).toBeLessThan(SLACK);
      expect(child.proc.exitCode).toBeNull();
    },
  );
});
