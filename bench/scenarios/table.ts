// The benchmark scenarios as data: what each measures, its sizes (full and --quick) and service overrides.
//
// Runners (bench/harness/runners/) read their sizes from `params` by name; the table is checked by a unit
// test (every scenario has the same param names in both sizes, all positive). `service` is merged over
// the harness's base service config, so a scenario's tuning is visible here rather than buried in code.

export type ScenarioName =
  'journal' | 'ingest' | 'e2e' | 'outage' | 'soak' | 'restart' | 'tenants' | 'sinks' | 'flood';

export interface ScenarioSpec {
  readonly name: ScenarioName;
  /** One line for `bench --help` and the report. */
  readonly title: string;
  /** Sizes of a full run. Counts are events, rates events/s, durations seconds. */
  readonly full: Readonly<Record<string, number>>;
  /** The same keys, sized so `bench quick` (all scenarios) finishes in well under 3 minutes on 2 cores. */
  readonly quick: Readonly<Record<string, number>>;
  /** Merged over the base service config of every service run of the scenario. */
  readonly service?: Readonly<Record<string, unknown>>;
  /** Zipf exponent over the producer's tenants (0 = uniform); the generator's default when absent. */
  readonly skew?: number;
  /** Extra mock-sink flags, by role. */
  readonly sinkArgs?: Readonly<Record<string, readonly string[]>>;
  /** false: run only by name, not by `bench quick` / `bench all` (a comparison on demand). Default true. */
  readonly suite?: boolean;
}

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'journal',
    title:
      'in-process SQLite insert throughput: journal mode, synchronous, commit style, schema, auto_vacuum',
    full: { perEventCount: 2000, groupCount: 100_000, batch: 5000, tenants: 10 },
    quick: { perEventCount: 500, groupCount: 20_000, batch: 5000, tenants: 10 },
  },
  {
    name: 'ingest',
    title: 'durable ingest throughput over ZeroMQ and HTTP (sink down, so nothing is delivered or deleted)',
    full: { count: 500_000, tenants: 10 },
    quick: { count: 100_000, tenants: 10 },
    // A long backoff keeps the down sink's retries out of the measurement.
    service: { delivery: { retry: { initialMs: 5000, maxMs: 60_000 } } },
    sinkArgs: { main: ['--mode', 'down'] },
  },
  {
    name: 'e2e',
    title: 'steady state ingest -> deliver -> delete: full speed, then a fixed rate for latency',
    // frameEvents > 1: the producer batches, NDJSON frames of that many events (`bench e2e --frame-events N`).
    full: { count: 1_000_000, rate: 20_000, seconds: 30, tenants: 10, frameEvents: 1 },
    quick: { count: 100_000, rate: 10_000, seconds: 4, tenants: 10, frameEvents: 1 },
  },
  {
    name: 'outage',
    title: 'sink down for a while under a steady load, then back: backlog, drain time, loss, duplicates',
    full: { rate: 10_000, seconds: 60, outageStart: 10, outageEnd: 30, tenants: 10 },
    quick: { rate: 10_000, seconds: 10, outageStart: 2, outageEnd: 6, tenants: 10 },
    // Capped backoff: drain starts within seconds of the sink's return (the default cap is 60 s).
    service: { delivery: { retry: { initialMs: 200, maxMs: 2000 } } },
  },
  {
    name: 'soak',
    title: 'long run at full speed: one-second throughput windows, WAL and RSS bounded, DB size after drain',
    full: { count: 1_000_000, tenants: 10 },
    quick: { count: 200_000, tenants: 10 },
  },
  {
    name: 'restart',
    title: 'backlog built with the sink down, SIGTERM, restart with the sink up: first delivery, drain rate',
    full: { count: 1_000_000, tenants: 10 },
    quick: { count: 200_000, tenants: 10 },
    service: { delivery: { retry: { initialMs: 5000, maxMs: 60_000 } } },
    sinkArgs: { main: ['--mode', 'down'] },
  },
  {
    name: 'tenants',
    title: '51 tenants, one with a failing sink, vs all healthy: healthy tenants p99 latency and throughput',
    full: { count: 300_000, rate: 20_000, tenants: 51 },
    quick: { count: 50_000, rate: 10_000, tenants: 51 },
    // A short batch age, so latency shows interference between tenants rather than the batching timer.
    service: { delivery: { maxBatchAgeMs: 250, retry: { initialMs: 200, maxMs: 5000 } } },
    // The bad tenant's own sink instance answers 503 to everything.
    sinkArgs: { bad: ['--fail-rate', '1', '--fail-status', '503'] },
  },
  {
    name: 'sinks',
    title:
      'the same e2e load through http ndjson, splunk_hec (+useAck), gcp_logging, elasticsearch, datadog, otlp and syslog into loopback fakes',
    // count: the full-speed load; rate x seconds: a paced load whose event timestamps follow the clock (the
    // HEC and Cloud Logging latency origin); ackDelayMs: the mock HEC's indexing delay for useAck.
    full: { count: 1_000_000, rate: 5000, seconds: 10, tenants: 10, ackDelayMs: 100 },
    quick: { count: 200_000, rate: 5000, seconds: 6, tenants: 10, ackDelayMs: 100 },
    suite: false,
  },
  {
    // `restart` with a tenant flood (issue 10): uniform over as many tenant ids as events, so most tenants
    // hold one event; its build rate against `restart`'s is the flood's ingest cost.
    name: 'flood',
    title: 'restart on a tenant flood (as many tenant ids as events, uniform): build rate, RSS, drain',
    full: { count: 1_000_000, tenants: 1_000_000 },
    quick: { count: 100_000, tenants: 100_000 },
    skew: 0,
    service: { delivery: { retry: { initialMs: 600_000, maxMs: 900_000 } } },
    sinkArgs: { main: ['--mode', 'down'] },
    suite: false,
  },
];

/** Every scenario name, suite order first. */
export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIOS.map((s) => s.name);

/** The scenarios `bench quick` and `bench all` run, in order (the others run by name only). */
export const SUITE_NAMES: readonly ScenarioName[] = SCENARIOS.filter((s) => s.suite !== false).map(
  (s) => s.name,
);

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function scenarioSpec(name: ScenarioName): ScenarioSpec {
  const spec = SCENARIOS.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`unknown scenario ${name}`);
  return spec;
}

/** The sizes to run: quick or full, with explicit overrides (e.g. --count) on top. */
export function paramsFor(
  spec: ScenarioSpec,
  quick: boolean,
  overrides: Readonly<Record<string, number>> = {},
): Record<string, number> {
  return { ...(quick ? spec.quick : spec.full), ...overrides };
}

/** Reads a required param; a missing one is a bug in the table, so this throws. */
export function param(params: Readonly<Record<string, number>>, key: string): number {
  const v = params[key];
  if (v === undefined || !Number.isFinite(v)) throw new Error(`scenario param ${key} is missing`);
  return v;
}
