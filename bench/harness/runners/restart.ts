// `restart`: build a large backlog with the sink down, stop the service with SIGTERM, start it again on
// the same data with the sink up: time to the first delivery, drain rate, RSS with the backlog, no loss.
// `flood` runs the same with as many tenant ids as events (a `skew` of 0 spreads them uniformly).
import { artifactsOnly, type BenchContext } from '../context.js';
import { startProducer } from '../producer.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { TARGETS, type Finding } from '../targets.js';
import { rateBetween, watchService, zmqTarget, type RunnerOutput } from './common.js';

export async function runRestart(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const count = param(params, 'count');
  const name = spec.name;
  const sink = await ctx.startSink(`${name}.sink`, spec.sinkArgs?.main ?? ['--mode', 'down']);
  try {
    const build = ctx.newRun(`${name}-build`);
    const svc1 = await ctx.startService(build, sink.url, spec.service ?? {});
    const producer = startProducer(ctx.children, {
      name: `${build.name}.send`,
      dir: ctx.outDir,
      target: zmqTarget(svc1),
      count,
      tenants: param(params, 'tenants'),
      ...(spec.skew !== undefined && { skew: spec.skew }),
    });
    const built = await watchService(ctx, svc1, {
      label: `${name}: backlog`,
      total: count,
      value: (c) => c.committed,
      until: (c) => c.committed >= count,
      producer,
    });
    const sent = await producer.done;
    const stopped = await svc1.stop();
    const buildArt = await ctx.finishRun(build, `${name}, build: ${count} events, sink down`);

    await sink.control({ mode: 'ok' });
    await sink.reset();
    // Same data directory, new stats file: the second process drains what the first one stored.
    const drain = ctx.newRun(`${name}-drain`, build.dataDir);
    const svc2 = await ctx.startService(drain, sink.url, {});
    const drained = await watchService(ctx, svc2, {
      label: `${name}: drain`,
      total: count,
      value: (c) => c.delivered,
      until: (c) => c.delivered >= count && c.stored === 0,
    });
    const report = await sink.report();
    await svc2.stop();
    const drainArt = await ctx.finishRun(drain, `${name}, drain: ${count} stored events, sink up`);
    const firstDelivery = report.firstAt === null ? NaN : report.firstAt - svc2.spawnedAt;
    const drainMs = report.firstAt !== null && report.lastAt !== null ? report.lastAt - report.firstAt : NaN;
    const findings: Finding[] = [
      {
        measure: 'backlog built',
        value: rateBetween(built, (c) => c.committed),
        unit: 'events/s',
        note: `${count} events committed`,
      },
      {
        measure: 'SIGTERM to exit',
        value: stopped.ms / 1000,
        unit: 's',
        note: `exit code ${stopped.exit.code}`,
      },
      { measure: 'start to ready', value: (svc2.readyAt - svc2.spawnedAt) / 1000, unit: 's' },
      { measure: 'start to first delivery', value: firstDelivery / 1000, unit: 's' },
      {
        measure: 'drain rate',
        value: drainMs > 0 ? (report.unique * 1000) / drainMs : rateBetween(drained, (c) => c.delivered),
        unit: 'events/s',
        peer: 'throughput',
        note: `${report.unique} events in ${(drainMs / 1000).toFixed(1)} s`,
      },
      {
        measure: 'RSS with backlog (build)',
        value: buildArt.peakRssBytes,
        unit: 'bytes',
        target: { op: '<', value: TARGETS.rssWithBacklogBytes },
        peer: 'rss',
      },
      {
        measure: 'RSS with backlog (drain)',
        value: drainArt.peakRssBytes,
        unit: 'bytes',
        target: { op: '<', value: TARGETS.rssWithBacklogBytes },
        peer: 'rss',
      },
      { measure: 'DB size with backlog', value: buildArt.finalDbBytes, unit: 'bytes' },
      { measure: 'tenants delivered', value: Object.keys(report.perTenant).length, unit: 'count' },
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
      runs: [artifactsOnly(buildArt), artifactsOnly(drainArt)],
      details: {
        producer: sent,
        stopMs: stopped.ms,
        firstDeliveryMs: firstDelivery,
        drainMs,
        sink: { ...report, perTenant: undefined },
      },
    };
  } finally {
    await sink.stop();
  }
}
