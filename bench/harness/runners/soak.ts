// `soak`: a long run at full speed. Throughput per one-second window must stay flat (the prototype sagged
// near 100k events as checkpoints fell behind), the WAL and RSS bounded, and the database small after drain.
import { artifactsOnly, type BenchContext } from '../context.js';
import { startProducer } from '../producer.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { windowStats } from '../summary.js';
import { MiB, TARGETS, type Finding } from '../targets.js';
import { rateBetween, watchService, zmqTarget, type RunnerOutput } from './common.js';

export async function runSoak(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const count = param(params, 'count');
  const sink = await ctx.startSink('soak.sink', spec.sinkArgs?.main ?? []);
  try {
    const run = ctx.newRun('soak');
    const svc = await ctx.startService(run, sink.url, spec.service ?? {});
    const producer = startProducer(ctx.children, {
      name: `${run.name}.send`,
      dir: ctx.outDir,
      target: zmqTarget(svc),
      count,
      tenants: param(params, 'tenants'),
    });
    const samples = await watchService(ctx, svc, {
      label: 'soak: delivered',
      total: count,
      value: (c) => c.delivered,
      until: (c) => c.delivered >= count && c.stored === 0,
      producer,
    });
    const sent = await producer.done;
    const report = await sink.report();
    // Let the incremental vacuum (every 5 s in the service) run once on the empty table before stopping.
    await ctx.sleep(6000);
    await svc.stop();
    const art = await ctx.finishRun(run, `soak: ${count} events at full speed`);
    // Windows while the producer sends and delivery runs: the tail after the last event (partial batches
    // waiting for maxBatchAgeMs) is not a sag.
    const delivered = windowStats(art.data, 'delivered_per_s', ['received_per_s', 'delivered_per_s']);
    const committed = windowStats(art.data, 'committed_per_s', ['received_per_s', 'committed_per_s']);
    // The WAL cap the service was given (buffer.walMaxBytes); a commit may overshoot it by one transaction.
    const walMaxBytes = svc.config.buffer.walMaxBytes;
    const findings: Finding[] = [
      {
        measure: 'end to end',
        value: rateBetween(samples, (c) => c.delivered),
        unit: 'events/s',
        peer: 'throughput',
        note: `${count} events`,
      },
      {
        measure: 'delivered min/median 1-s',
        value: delivered.minOverMedian,
        unit: 'ratio',
        target: { op: '>=', value: TARGETS.soakMinOverMedian },
        note: `min ${Math.round(delivered.min)}/s, median ${Math.round(delivered.median)}/s, ${delivered.windows} windows`,
      },
      {
        measure: 'committed min/median 1-s',
        value: committed.minOverMedian,
        unit: 'ratio',
        target: { op: '>=', value: TARGETS.soakMinOverMedian },
        note: `min ${Math.round(committed.min)}/s, median ${Math.round(committed.median)}/s`,
      },
      {
        measure: 'peak WAL',
        value: art.peakWalBytes,
        unit: 'bytes',
        target: { op: '<=', value: 2 * walMaxBytes },
        note: `cap ${Math.round(walMaxBytes / MiB)} MiB + one commit`,
      },
      {
        measure: 'peak RSS',
        value: art.peakRssBytes,
        unit: 'bytes',
        target: { op: '<', value: TARGETS.rssWithBacklogBytes },
        peer: 'rss',
      },
      {
        measure: 'DB size after drain',
        value: art.finalDbBytes,
        unit: 'bytes',
        note: 'auto_vacuum=incremental returns freed pages',
      },
      {
        measure: 'lost (sent - unique)',
        value: sent.sent - report.unique,
        unit: 'count',
        target: { op: '==', value: 0 },
        note: `dup ${report.duplicates}`,
      },
    ];
    return {
      findings,
      runs: [artifactsOnly(art)],
      details: { producer: sent, delivered, committed, sink: { ...report, perTenant: undefined } },
    };
  } finally {
    await sink.stop();
  }
}
