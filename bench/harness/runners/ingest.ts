// `ingest`: durable ingest throughput over ZeroMQ and over HTTP. The sink is down, so nothing is delivered
// or deleted and the database only grows: committed/s is pure ingest + group commit.
import { artifactsOnly, type BenchContext } from '../context.js';
import { startProducer } from '../producer.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { TARGETS, type Finding } from '../targets.js';
import {
  httpTarget,
  rateBetween,
  runFindings,
  watchService,
  zmqTarget,
  type RunnerOutput,
} from './common.js';
import type { RunArtifacts } from '../report.js';
import { windowStats } from '../summary.js';

export async function runIngest(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const count = param(params, 'count');
  const tenants = param(params, 'tenants');
  const sink = await ctx.startSink('ingest.sink', spec.sinkArgs?.main ?? ['--mode', 'down']);
  const findings: Finding[] = [];
  const runs: RunArtifacts[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const kind of ['zmq', 'http'] as const) {
      const run = ctx.newRun(`ingest-${kind}`);
      const svc = await ctx.startService(run, sink.url, spec.service ?? {});
      const producer = startProducer(ctx.children, {
        name: `${run.name}.send`,
        dir: ctx.outDir,
        target: kind === 'zmq' ? zmqTarget(svc) : httpTarget(svc),
        count,
        tenants,
      });
      const samples = await watchService(ctx, svc, {
        label: `ingest ${kind}: committed`,
        total: count,
        value: (c) => c.committed,
        until: (c) => c.committed >= count,
        producer,
      });
      const sent = await producer.done;
      const stopped = await svc.stop();
      const art = await ctx.finishRun(run, `ingest over ${kind}: ${count} events, sink down`);
      runs.push(artifactsOnly(art));
      const rate = rateBetween(samples, (c) => c.committed);
      const windows = windowStats(art.data, 'committed_per_s');
      details[kind] = { producer: sent, committedRate: rate, windows, stopMs: stopped.ms };
      findings.push(
        {
          measure: `${kind} committed`,
          value: rate,
          unit: 'events/s',
          target: { op: '>=', value: TARGETS.ingestEventsPerSec },
          peer: 'throughput',
          note: `${count} events; producer ${Math.round(sent.ratePerSec)}/s (${kind === 'http' ? '2xx = durable' : 'queued'})`,
        },
        {
          measure: `${kind} best 1-s window`,
          value: windows.max,
          unit: 'events/s',
          note: `median ${Math.round(windows.median)}/s over ${windows.windows} windows`,
        },
        ...runFindings(kind, art),
      );
    }
  } finally {
    await sink.stop();
  }
  return { findings, runs, details };
}
