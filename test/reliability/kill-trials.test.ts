// Reliability: N SIGKILL trials under mixed HTTP + ZeroMQ load; nothing HTTP acknowledged may be lost.
//
// Each trial runs the service as a child process against a slow mock sink (so a backlog is stored when the
// process dies), kills it with SIGKILL at a seeded random moment, restarts it on the same data directory
// with the sink made fast, waits until the buffer is empty and counts: acknowledged events lost (must be 0),
// duplicates (redeliveries of what was in flight; allowed), and ZeroMQ events delivered (ZeroMQ PUSH has no
// acknowledgement, so those are load only). LOGDRIVER_TRIALS (default 5) and LOGDRIVER_SEED (default 1)
// choose the run; each trial prints one `kill-trial` line and the suite a `kill-trials total` line.
import { request } from 'undici';
import { Push } from 'zeromq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { seededRandom, startMockSink, type MockSink } from '../../src/tools/mock-sink/index.js';
import {
  childMetric,
  event,
  eventually,
  httpBase,
  peakRssKiB,
  startChild,
  tempDir,
  testConfig,
} from '../support/service.js';

const TRIALS = Number(process.env.LOGDRIVER_TRIALS ?? 5);
const SEED = Number(process.env.LOGDRIVER_SEED ?? 1);
const HTTP_TENANTS = ['h1', 'h2', 'h3'];
const ZMQ_TENANTS = ['z1', 'z2'];
const HTTP_PRODUCERS = 4;
const HTTP_BATCH = 50;
const ZMQ_BURST = 50;

interface TrialResult {
  acked: number;
  lost: number;
  duplicates: number;
  zmqSent: number;
  zmqDelivered: number;
  backlogAtKill: number;
  killAfterMs: number;
  recoverMs: number;
  peakRssMiB: number;
}

describe('SIGKILL trials under mixed HTTP and ZeroMQ load', () => {
  const random = seededRandom(SEED);
  const results: TrialResult[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });
  afterAll(() => {
    const sum = (k: keyof TrialResult): number => results.reduce((s, r) => s + r[k], 0);
    const recover = results.map((r) => r.recoverMs).sort((a, b) => a - b);
    console.info(
      `kill-trials total: trials=${results.length}/${TRIALS} seed=${SEED} acked=${sum('acked')} lost=${sum('lost')}` +
        ` duplicates=${sum('duplicates')} zmqSent=${sum('zmqSent')} zmqDelivered=${sum('zmqDelivered')}` +
        ` recoverMsMedian=${recover[Math.floor(recover.length / 2)] ?? 0} recoverMsMax=${recover.at(-1) ?? 0}`,
    );
  });

  for (let trial = 1; trial <= TRIALS; trial++) {
    // Drawn here, in trial order, so a seed gives the same kill points whichever trials run.
    const killAtAcked = 2000 + Math.floor(random() * 18_000);
    const killJitterMs = Math.floor(random() * 300);

    it(
      `trial ${trial}: kill after ${killAtAcked} acknowledged (+${killJitterMs} ms)`,
      { timeout: 180_000 },
      async () => {
        const dir = tempDir('logdriver-kill-');
        // Slow: 5 tenants × 20-event batches / 100 ms ≈ 1000 events/s delivered, far below what is posted.
        const sink: MockSink = await startMockSink({ keepEvents: true, latencyMs: 100 });
        cleanups.push(dir.remove, () => sink.close());
        const raw = testConfig(`${dir.path}/data`, { defaultSink: { type: 'http', url: sink.url } });
        const slow = { ...raw, delivery: { ...(raw.delivery as object), batchSize: 20 } };
        let child = await startChild(slow, dir.path);
        let alive = true;
        cleanups.push(async () => {
          if (!alive) return;
          child.proc.kill('SIGKILL');
          await child.exited;
        });
        const startedAt = Date.now();

        const acked = new Set<string>();
        let n = 0;
        let killed = false;
        const httpProducer = async (): Promise<void> => {
          while (!killed) {
            const batch = Array.from({ length: HTTP_BATCH }, () => {
              const i = n++;
              return { tenant: HTTP_TENANTS[i % HTTP_TENANTS.length]!, n: i };
            });
            try {
              const res = await request(`${httpBase(child.endpoints)}/v1/events`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-ndjson' },
                body: batch.map((e) => event(e.tenant, e.n)).join('\n'),
              });
              await res.body.dump();
              if (res.statusCode === 200) for (const e of batch) acked.add(`${e.tenant}:${e.n}`);
            } catch {
              // The connection died with the process: this batch was never acknowledged.
            }
          }
        };

        // ZeroMQ: sends resolve once libzmq queued the message, which proves nothing about delivery.
        const push = new Push({ sendHighWaterMark: 1000, sendTimeout: 100, linger: 0 });
        push.connect(child.endpoints.zmq!);
        let zmqSent = 0;
        const zmqProducer = async (): Promise<void> => {
          let z = 0;
          while (!killed) {
            try {
              await push.send(event(ZMQ_TENANTS[z % ZMQ_TENANTS.length]!, z));
              z++;
              zmqSent++;
              // About 5,000 events/s: enough to mix in, without starving this process's HTTP producers.
              if (z % ZMQ_BURST === 0) await new Promise((r) => setTimeout(r, 10));
            } catch {
              // EAGAIN after sendTimeout (queue full or the peer gone): try again until the kill.
              await new Promise((r) => setTimeout(r, 5));
            }
          }
        };
        const producers = [...Array.from({ length: HTTP_PRODUCERS }, httpProducer), zmqProducer()];

        await eventually(
          `${killAtAcked} events acknowledged and some delivered`,
          () => acked.size >= killAtAcked && sink.report().unique > 0,
          60_000,
        );
        await new Promise((r) => setTimeout(r, killJitterMs));
        const backlogAtKill = await childMetric(child, 'logdriver_buffer_events');
        child.proc.kill('SIGKILL');
        const killAfterMs = Date.now() - startedAt;
        const exit = await child.exited;
        alive = false;
        killed = true;
        await Promise.all(producers);
        // Only now, with the service gone, close the producer socket (see libzmq 4.3.5's disconnect assertion).
        push.close();
        expect(exit.signal).toBe('SIGKILL');
        expect(sink.report().unique).toBeLessThan(acked.size); // the kill left a backlog behind

        sink.set({ latencyMs: 0 });
        const restartAt = Date.now();
        child = await startChild(
          { ...raw, ingest: { ...(raw.ingest as object), zmq: { enabled: false } } },
          dir.path,
        );
        alive = true;
        await eventually(
          'buffer empty after restart',
          async () => (await childMetric(child, 'logdriver_buffer_events')) === 0,
          120_000,
        );
        const recoverMs = Date.now() - restartAt;
        const peakRssMiB = Math.round(peakRssKiB(child.proc.pid!) / 1024);

        const seen = new Set<string>();
        for (const t of HTTP_TENANTS)
          for (const r of sink.received(t)) seen.add(`${t}:${(r.event as { n: number }).n}`);
        const zmqSeen = new Set<string>();
        for (const t of ZMQ_TENANTS)
          for (const r of sink.received(t)) zmqSeen.add(`${t}:${(r.event as { n: number }).n}`);
        const lost = [...acked].filter((k) => !seen.has(k));
        const report = sink.report();
        const result: TrialResult = {
          acked: acked.size,
          lost: lost.length,
          duplicates: report.duplicates,
          zmqSent,
          zmqDelivered: zmqSeen.size,
          backlogAtKill,
          killAfterMs,
          recoverMs,
          peakRssMiB,
        };
        results.push(result);
        console.info(
          `kill-trial ${trial}/${TRIALS} seed=${SEED}: acked=${result.acked} lost=${result.lost}` +
            ` duplicates=${result.duplicates} zmqSent=${zmqSent} zmqDelivered=${result.zmqDelivered}` +
            ` backlogAtKill=${backlogAtKill} killAfterMs=${killAfterMs} recoverMs=${recoverMs} peakRssMiB=${peakRssMiB}`,
        );
        expect(lost.slice(0, 10)).toEqual([]);
        expect(report.orderViolations).toBe(0);

        child.proc.kill('SIGTERM');
        expect((await child.exited).code).toBe(0);
        alive = false;
      },
    );
  }
});
