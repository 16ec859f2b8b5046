// Shared steps of the service scenarios: watch the service's counters until a condition holds (failing
// fast when the producer dies), and derive rates from the polled samples.
import type { BenchContext } from '../context.js';
import type { ServiceCounters } from '../metrics.js';
import type { ProducerRun, ProducerTarget } from '../producer.js';
import type { ServiceHandle } from '../service.js';
import type { Finding } from '../targets.js';
import type { ScenarioSpec } from '../../scenarios/index.js';
import type { RunArtifacts, ScenarioResult } from '../report.js';

export interface Sample {
  at: number;
  c: ServiceCounters;
}

/** What a runner returns; the suite adds name, timing and errors. */
export type RunnerOutput = Pick<ScenarioResult, 'findings' | 'runs' | 'details'>;

export type Runner = (
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
) => Promise<RunnerOutput>;

export interface WatchOptions {
  label: string;
  total: number;
  /** The progress value, e.g. committed or delivered. */
  value: (c: ServiceCounters) => number;
  until: (c: ServiceCounters) => boolean;
  producer?: ProducerRun;
  intervalMs?: number;
  stallMs?: number;
  /** Called on every sample (e.g. to flip the sink's mode on schedule). */
  onSample?: (s: Sample) => Promise<void> | void;
}

/** Polls /metrics until `until` holds; returns every sample taken. Throws if the producer failed. */
export async function watchService(
  ctx: BenchContext,
  svc: ServiceHandle,
  o: WatchOptions,
): Promise<Sample[]> {
  let producerError: Error | undefined;
  o.producer?.done.catch((err: unknown) => {
    producerError = err instanceof Error ? err : new Error(`producer failed: ${JSON.stringify(err)}`);
  });
  const samples: Sample[] = [];
  await ctx.waitUntil(
    {
      label: o.label,
      total: o.total,
      intervalMs: o.intervalMs ?? 100,
      ...(o.stallMs ? { stallMs: o.stallMs } : {}),
    },
    async () => {
      if (producerError !== undefined) throw producerError;
      const s = { at: Date.now(), c: await svc.counters() };
      samples.push(s);
      await o.onSample?.(s);
      const prev = samples.length > 10 ? samples[samples.length - 11] : undefined;
      const rate = prev ? ((o.value(s.c) - o.value(prev.c)) * 1000) / (s.at - prev.at) : 0;
      return {
        value: o.value(s.c),
        done: o.until(s.c),
        note: `${Math.round(rate).toLocaleString('en-US')}/s backlog ${s.c.stored.toLocaleString('en-US')}`,
      };
    },
  );
  return samples;
}

/** Time of the first sample where `pred` holds; NaN if none. */
export function firstAt(samples: readonly Sample[], pred: (c: ServiceCounters) => boolean): number {
  return samples.find((s) => pred(s.c))?.at ?? NaN;
}

/**
 * Rate of a counter between the sample where it first moved and the last sample: `(last - first) / time`.
 * With 100 ms polling the error is about 0.1 s over the whole busy period.
 */
export function rateBetween(samples: readonly Sample[], pick: (c: ServiceCounters) => number): number {
  const start = samples.findIndex((s) => pick(s.c) > 0);
  const last = samples[samples.length - 1];
  if (start < 0 || last === undefined) return NaN;
  // The sample before the first movement bounds the start from below (the counter was still 0 there).
  const from = samples[Math.max(0, start - 1)]!;
  const ms = last.at - from.at;
  return ms > 0 ? ((pick(last.c) - pick(from.c)) * 1000) / ms : NaN;
}

export function zmqTarget(svc: ServiceHandle): ProducerTarget {
  return { kind: 'zmq', endpoint: svc.zmqEndpoint };
}

export function httpTarget(svc: ServiceHandle): ProducerTarget {
  return { kind: 'http', url: svc.httpUrl };
}

/** The usual per-run figures: peak RSS (vs the peer) and peak WAL. */
export function runFindings(label: string, a: RunArtifacts): Finding[] {
  return [
    { measure: `${label} peak RSS`, value: a.peakRssBytes, unit: 'bytes', peer: 'rss' },
    { measure: `${label} peak WAL`, value: a.peakWalBytes, unit: 'bytes' },
  ];
}
