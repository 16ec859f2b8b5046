// `outage`: a steady load while the sink is down for a window (switched through its control API), then
// back: how far the backlog grows, how long it takes to drain, and that nothing is lost.
import { artifactsOnly, type BenchContext } from '../context.js';
import { startProducer } from '../producer.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import type { Finding } from '../targets.js';
import { runFindings, watchService, zmqTarget, type RunnerOutput } from './common.js';

/** The backlog counts as drained once it is back under this (steady-state batching keeps some stored). */
export function drainThreshold(preOutagePeak: number): number {
  return Math.max(2 * preOutagePeak, 1000);
}

export async function runOutage(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const rate = param(params, 'rate');
  const count = Math.round(rate * param(params, 'seconds'));
  const downAtMs = param(params, 'outageStart') * 1000;
  const upAtMs = param(params, 'outageEnd') * 1000;
  const sink = await ctx.startSink('outage.sink', spec.sinkArgs?.main ?? []);
  try {
    const run = ctx.newRun('outage');
    const svc = await ctx.startService(run, sink.url, spec.service ?? {});
    const producer = startProducer(ctx.children, {
      name: `${run.name}.send`,
      dir: ctx.outDir,
      target: zmqTarget(svc),
      count,
      tenants: param(params, 'tenants'),
      rate,
    });
    // The outage clock starts with the first received event, not the producer's (slow) process start.
    let loadStart = NaN;
    let downAt = NaN;
    let upAt = NaN;
    let preOutagePeak = 0;
    let outagePeak = 0;
    let drainedAt = NaN;
    const samples = await watchService(ctx, svc, {
      label: 'outage: delivered',
      total: count,
      value: (c) => c.delivered,
      until: (c) => c.delivered >= count && c.stored === 0,
      producer,
      // Nothing is delivered while the sink is down: that is no stall.
      stallMs: upAtMs - downAtMs + 30_000,
      onSample: async ({ at, c }) => {
        if (Number.isNaN(loadStart) && c.received > 0) loadStart = at;
        const t = at - loadStart;
        if (Number.isNaN(downAt)) {
          preOutagePeak = Math.max(preOutagePeak, c.stored);
          if (t >= downAtMs) {
            await sink.control({ mode: 'down' });
            downAt = Date.now();
          }
        } else if (Number.isNaN(upAt)) {
          if (t >= upAtMs) {
            await sink.control({ mode: 'ok' });
            upAt = Date.now();
          }
        }
        if (!Number.isNaN(downAt)) outagePeak = Math.max(outagePeak, c.stored);
        if (!Number.isNaN(upAt) && Number.isNaN(drainedAt) && c.stored <= drainThreshold(preOutagePeak))
          drainedAt = at;
      },
    });
    const sent = await producer.done;
    const report = await sink.report();
    await svc.stop();
    const art = await ctx.finishRun(
      run,
      `outage: ${rate}/s, sink down ${downAtMs / 1000}-${upAtMs / 1000} s`,
    );
    const emptyAt = samples[samples.length - 1]!.at;
    const lost = sent.sent - report.unique;
    const outageSec = (upAt - downAt) / 1000;
    const findings: Finding[] = [
      { measure: 'backlog peak', value: outagePeak, unit: 'count', note: `pre-outage peak ${preOutagePeak}` },
      {
        measure: 'backlog growth',
        value: outagePeak / outageSec,
        unit: 'events/s',
        note: `over ${outageSec.toFixed(1)} s down`,
      },
      {
        measure: 'drain time after sink up',
        value: (drainedAt - upAt) / 1000,
        unit: 's',
        note: `backlog <= ${drainThreshold(preOutagePeak)}; empty ${((emptyAt - upAt) / 1000).toFixed(1)} s after`,
      },
      {
        measure: 'lost (sent - unique)',
        value: lost,
        unit: 'count',
        target: { op: '==', value: 0 },
        note: `sent ${sent.sent}, unique ${report.unique}`,
      },
      {
        measure: 'duplicates',
        value: report.duplicates,
        unit: 'count',
        note: `order violations ${report.orderViolations}`,
      },
      ...runFindings('outage', art),
    ];
    return {
      findings,
      runs: [artifactsOnly(art)],
      details: {
        producer: sent,
        downAt,
        upAt,
        drainedAt,
        emptyAt,
        preOutagePeak,
        outagePeak,
        sink: { ...report, perTenant: undefined },
      },
    };
  } finally {
    await sink.stop();
  }
}
