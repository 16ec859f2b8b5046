// `e2e`: ingest -> deliver -> delete at full speed, then at a fixed rate below it, for throughput and the
// latency from receipt to the sink's acknowledgement (measured by the mock sink), and what each of the three
// processes spent per event: they share the machine's cores, so their sum bounds the end-to-end rate.
import { availableParallelism } from 'node:os';
import { artifactsOnly, type BenchContext } from '../context.js';
import { fetchCounters } from '../metrics.js';
import { startProducer } from '../producer.js';
import type { RunArtifacts } from '../report.js';
import { windowStats } from '../summary.js';
import { TARGETS, type Finding } from '../targets.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { rateBetween, runFindings, watchService, zmqTarget, type RunnerOutput } from './common.js';

export async function runE2e(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const tenants = param(params, 'tenants');
  const rate = param(params, 'rate');
  const frameEvents = param(params, 'frameEvents');
  const phases = [
    { name: 'e2e-full-speed', count: param(params, 'count'), rate: undefined },
    { name: 'e2e-fixed-rate', count: Math.round(rate * param(params, 'seconds')), rate },
  ];
  const sink = await ctx.startSink('e2e.sink', spec.sinkArgs?.main ?? []);
  const findings: Finding[] = [];
  const runs: RunArtifacts[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const phase of phases) {
      await sink.reset();
      const run = ctx.newRun(phase.name);
      const svc = await ctx.startService(run, sink.url, spec.service ?? {});
      const svcCpu0 = (await fetchCounters(svc.adminUrl)).cpuSeconds;
      const sinkCpu0 = (await sink.report()).cpuSeconds;
      const producer = startProducer(ctx.children, {
        name: `${run.name}.send`,
        dir: ctx.outDir,
        target: zmqTarget(svc),
        count: phase.count,
        tenants,
        frameEvents,
        ...(phase.rate !== undefined ? { rate: phase.rate } : {}),
      });
      const samples = await watchService(ctx, svc, {
        label: `${phase.name}: delivered`,
        total: phase.count,
        value: (c) => c.delivered,
        until: (c) => c.delivered >= phase.count && c.stored === 0,
        producer,
      });
      const svcCpu1 = samples.at(-1)?.c.cpuSeconds ?? NaN;
      const sent = await producer.done;
      const report = await sink.report();
      const cpu = cpuPerEvent(phase.count, svcCpu1 - svcCpu0, report.cpuSeconds - sinkCpu0, sent.cpuSeconds);
      await svc.stop();
      const art = await ctx.finishRun(
        run,
        `${phase.name}: ${phase.count} events${phase.rate ? ` at ${phase.rate}/s` : ''}`,
      );
      runs.push(artifactsOnly(art));
      // Overall includes the tail: the last partial batches wait up to delivery.maxBatchAgeMs.
      const overall = rateBetween(samples, (c) => c.delivered);
      const windows = windowStats(art.data, 'delivered_per_s', ['received_per_s', 'delivered_per_s']);
      const sinkSpan =
        report.firstAt !== null && report.lastAt !== null ? report.lastAt - report.firstAt : NaN;
      const sinkRate = sinkSpan > 0 ? (report.unique * 1000) / sinkSpan : NaN;
      details[phase.name] = {
        producer: sent,
        overall,
        sinkRate,
        windows,
        sink: { ...report, perTenant: undefined },
        cpuUsPerEvent: cpu,
      };
      const label = phase.rate ? `at ${phase.rate}/s` : 'full speed';
      const lat = report.latencyMs;
      findings.push(
        phase.rate
          ? {
              measure: `${label} sustained`,
              value: windows.median,
              unit: 'events/s',
              note: `median 1-s delivered window of ${windows.windows}; offered ${phase.rate}/s`,
            }
          : {
              measure: `${label} steady state`,
              value: windows.median,
              unit: 'events/s',
              target: { op: '>=', value: TARGETS.e2eEventsPerSec },
              peer: 'throughput',
              note: `median 1-s delivered window of ${windows.windows}; min ${Math.round(windows.min)}/s`,
            },
        {
          measure: `${label} overall`,
          value: overall,
          unit: 'events/s',
          note: `first receipt to empty buffer${frameEvents > 1 ? ` (${frameEvents}-event frames)` : ''}; unique ${report.unique}/${sent.sent}, dup ${report.duplicates}, order violations ${report.orderViolations}`,
        },
        { measure: `${label} latency p50`, value: lat.p50, unit: 'ms' },
        { measure: `${label} latency p99`, value: lat.p99, unit: 'ms', note: `max ${lat.max} ms` },
        {
          measure: `${label} service CPU/event`,
          value: cpu.service,
          unit: 'µs',
          ...(phase.rate ? {} : { target: { op: '<=' as const, value: TARGETS.serviceCpuUsPerEvent } }),
          note: 'all threads, first receipt to empty buffer',
        },
        {
          measure: `${label} sink+producer CPU/event`,
          value: cpu.sink + cpu.producer,
          unit: 'µs',
          // Paced, the processes wait for the clock: their sum bounds nothing then.
          note:
            `sink ${cpu.sink.toFixed(1)} + producer ${cpu.producer.toFixed(1)} µs` +
            (phase.rate
              ? ''
              : `; all three on ${CORES} cores bound the rate at ${Math.round(cpu.ceiling)}/s`),
        },
        ...runFindings(label, art),
      );
    }
  } finally {
    await sink.stop();
  }
  return { findings, runs, details };
}

const CORES = availableParallelism();

/**
 * CPU µs per event of the service, the mock sink and the producer over one phase, and the rate at which
 * the three together would fill every core: the ceiling for this machine, whatever the service does.
 * The producer's figure is its whole run (start-up included), the others' the phase's difference.
 */
function cpuPerEvent(events: number, service: number, sink: number, producer: number) {
  const us = (seconds: number): number => (seconds * 1e6) / events;
  const total = us(service) + us(sink) + us(producer);
  return { service: us(service), sink: us(sink), producer: us(producer), ceiling: (CORES * 1e6) / total };
}
