// `tenants`: 51 tenants at a fixed rate, tenant-0001 on its own sink instance. Run 1: every sink healthy.
// Run 2: tenant-0001's sink fails every request. The 50 healthy tenants' p99 latency and throughput must
// barely move: one tenant's failing sink never delays another.
import { artifactsOnly, type BenchContext } from '../context.js';
import { createEventFactory, tenantName } from '../../../src/tools/load/index.js';
import { startProducer, type ProducerResult } from '../producer.js';
import type { RunArtifacts } from '../report.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { TARGETS, type Finding } from '../targets.js';
import { watchService, zmqTarget, type RunnerOutput } from './common.js';

const SEED = 4242;

/**
 * How many of the events `send` will generate belong to `tenant`: the generator is deterministic for
 * identical options, so running it here with the producer's exact options counts them beforehand.
 */
export function countTenantEvents(
  o: { count: number; tenants: number; seed: number; start: number },
  tenant: string,
): number {
  const next = createEventFactory({
    count: o.count,
    tenants: o.tenants,
    skew: 0,
    seed: o.seed,
    startMillis: o.start,
    meanBytes: 500,
  });
  const prefix = `{"tenantId":"${tenant}"`;
  let n = 0;
  for (let i = 0; i < o.count; i++) if (next().subarray(0, prefix.length).toString('latin1') === prefix) n++;
  return n;
}

interface HealthyFigures {
  p50: number;
  p99: number;
  max: number;
  eventsPerSec: number;
  unique: number;
}

export async function runTenants(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const count = param(params, 'count');
  const tenants = param(params, 'tenants');
  const rate = param(params, 'rate');
  const bad = tenantName(0, tenants);
  const start = Date.now();
  const healthyExpected = count - countTenantEvents({ count, tenants, seed: SEED, start }, bad);
  const runs: RunArtifacts[] = [];
  const figures: Record<string, HealthyFigures> = {};
  const producers: Record<string, ProducerResult> = {};
  for (const mode of ['all-healthy', 'one-failing'] as const) {
    const good = await ctx.startSink(`tenants-${mode}.sink`, []);
    const badSink = await ctx.startSink(
      `tenants-${mode}.bad-sink`,
      mode === 'one-failing' ? (spec.sinkArgs?.bad ?? ['--fail-rate', '1']) : [],
    );
    try {
      const run = ctx.newRun(`tenants-${mode}`);
      const svc = await ctx.startService(run, good.url, {
        ...(spec.service ?? {}),
        tenants: { [bad]: { sink: { type: 'http', url: badSink.url } } },
      });
      const producer = startProducer(ctx.children, {
        name: `${run.name}.send`,
        dir: ctx.outDir,
        target: zmqTarget(svc),
        count,
        tenants,
        rate,
        skew: 0,
        seed: SEED,
        start,
      });
      // Progress and completion come from the healthy sink: the failing tenant's events never drain.
      let healthy = 0;
      await watchService(ctx, svc, {
        label: `tenants ${mode}: healthy`,
        total: healthyExpected,
        value: () => healthy,
        until: () => healthy >= healthyExpected,
        producer,
        onSample: async () => {
          healthy = (await good.report()).unique;
        },
      });
      const sent = await producer.done;
      const r = await good.report();
      await svc.stop();
      const art = await ctx.finishRun(run, `tenants, ${mode}: ${tenants} tenants at ${rate}/s`);
      runs.push(artifactsOnly(art));
      const spanMs = r.lastAt !== null && r.firstAt !== null ? r.lastAt - r.firstAt : NaN;
      producers[mode] = sent;
      figures[mode] = {
        ...r.latencyMs,
        eventsPerSec: spanMs > 0 ? (r.unique * 1000) / spanMs : NaN,
        unique: r.unique,
      };
    } finally {
      await Promise.all([good.stop(), badSink.stop()]);
    }
  }
  const ok = figures['all-healthy']!;
  const failing = figures['one-failing']!;
  const findings: Finding[] = [
    {
      measure: 'all healthy: healthy p99',
      value: ok.p99,
      unit: 'ms',
      note: `p50 ${ok.p50} ms, max ${ok.max} ms`,
    },
    {
      measure: 'one failing: healthy p99',
      value: failing.p99,
      unit: 'ms',
      note: `p50 ${failing.p50} ms, max ${failing.max} ms`,
    },
    {
      measure: 'p99 ratio failing/healthy',
      value: failing.p99 / Math.max(ok.p99, 1),
      unit: 'ratio',
      target: { op: '<=', value: TARGETS.tenantsP99Ratio },
      note: 'p99 floored at 1 ms',
    },
    {
      measure: 'all healthy: healthy throughput',
      value: ok.eventsPerSec,
      unit: 'events/s',
      note: `${ok.unique} events, offered ${rate}/s`,
    },
    {
      measure: 'one failing: healthy throughput',
      value: failing.eventsPerSec,
      unit: 'events/s',
      note: `${failing.unique} events`,
    },
    {
      measure: 'throughput ratio failing/healthy',
      value: failing.eventsPerSec / ok.eventsPerSec,
      unit: 'ratio',
    },
  ];
  return { findings, runs, details: { badTenant: bad, healthyExpected, figures, producers } };
}
