// The figures every scenario is held against: the project's targets and the peer (Fluent Bit) figure.

export const MiB = 1024 * 1024;

/**
 * Fluent Bit, the peer, as measured on the benchmark machine (docs/BENCHMARKS.md, "Fluent Bit side by side"):
 * TCP NDJSON in, filesystem buffer with `storage.sync full`, HTTP json_lines out, 1,000,000 events: ~62,000
 * events/s end to end at a peak RSS of 74–88 MiB. (The earlier 200,000 events/s at 150 MiB was a note carried
 * over from the prototype, not measured here.)
 */
export const PEER = Object.freeze({ name: 'Fluent Bit', eventsPerSec: 62_000, rssBytes: 81 * MiB });

export const TARGETS = Object.freeze({
  ingestEventsPerSec: 100_000,
  e2eEventsPerSec: 50_000,
  /** The service's CPU (all threads) per event delivered end to end (issue 6's figure). */
  serviceCpuUsPerEvent: 12,
  /** Soak: the slowest one-second window is at least this share of the median window. */
  soakMinOverMedian: 0.5,
  /** RSS with a 1,000,000-event backlog stays under this. */
  rssWithBacklogBytes: 200 * 1000 * 1000,
  /** Healthy tenants' p99 latency with one failing tenant, as a multiple of the all-healthy p99. */
  tenantsP99Ratio: 1.5,
});

export type Unit = 'events/s' | 'ms' | 'µs' | 'bytes' | 'ratio' | 'count' | 's';

export interface Target {
  op: '>=' | '<=' | '<' | '==';
  value: number;
}

/** One measured figure of a scenario, with its target and peer comparison when it has them. */
export interface Finding {
  measure: string;
  value: number;
  unit: Unit;
  target?: Target;
  /** Compare with the peer's throughput or RSS. */
  peer?: 'throughput' | 'rss';
  note?: string;
}

export type Verdict = 'meets' | 'misses' | 'n/a';

export function verdict(f: Finding): Verdict {
  if (!f.target || !Number.isFinite(f.value)) return 'n/a';
  const { op, value } = f.target;
  const ok =
    op === '>='
      ? f.value >= value
      : op === '<='
        ? f.value <= value
        : op === '<'
          ? f.value < value
          : f.value === value;
  return ok ? 'meets' : 'misses';
}

/** value / target (how far from it: 0.5 = half of a ">=" target); NaN without a non-zero target. */
export function targetRatio(f: Finding): number {
  return f.target && f.target.value !== 0 ? f.value / f.target.value : NaN;
}

/** value / the peer's figure; NaN when the finding is not comparable with the peer. */
export function peerRatio(f: Finding): number {
  if (f.peer === 'throughput') return f.value / PEER.eventsPerSec;
  if (f.peer === 'rss') return f.value / PEER.rssBytes;
  return NaN;
}
