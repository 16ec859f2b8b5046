// Stats over time: one CSV row per interval with what moved (received, committed, delivered…), the
// backlog, file sizes, memory and event-loop lag. The bench harness charts these files.
import { createWriteStream, type WriteStream } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Totals, Telemetry } from './telemetry.js';

export interface StatsSource {
  stats(): {
    events: number;
    bytes: number;
    deadLetters: number;
    backend: Readonly<Record<string, number>>;
  };
  topTenants(n: number): { tenant: string; events: number; bytes: number }[];
}

export interface StatsOptions {
  readonly file: string;
  readonly intervalMs: number;
  readonly telemetry: Telemetry;
  readonly buffer: StatsSource;
  readonly dispatcher: { readonly lanes: number; readonly sending: number };
  /** How many of the largest tenant backlogs each row names. */
  readonly topTenants?: number;
}

/** Each counter with its rate column (spelled out, so the column names are literal types for readers). */
const COUNTERS = [
  ['received', 'received_per_s'],
  ['committed', 'committed_per_s'],
  ['delivered', 'delivered_per_s'],
  ['deleted', 'deleted_per_s'],
  ['retried', 'retried_per_s'],
  ['deadLettered', 'dead_lettered_per_s'],
  ['rejected', 'rejected_per_s'],
  ['dropped', 'dropped_per_s'],
] as const;

/** The CSV header, in order: the one list of stats columns (the bench harness reads it from here). */
export const STATS_COLUMNS = [
  'time_ms',
  'elapsed_s',
  ...COUNTERS.map(([, column]) => column),
  'backlog_events',
  'backlog_bytes',
  'dead_letters',
  'db_bytes',
  'wal_bytes',
  'rss_bytes',
  'heap_used_bytes',
  'external_bytes',
  'loop_lag_p99_ms',
  'loop_lag_max_ms',
  'lanes',
  'sending_batches',
  'top_tenants',
] as const;

export type StatsColumn = (typeof STATS_COLUMNS)[number];

export class StatsSampler {
  readonly #o: StatsOptions;
  readonly #out: WriteStream;
  readonly #lag: IntervalHistogram;
  #timer: NodeJS.Timeout | undefined;
  #last: Totals;
  #lastAt = 0;
  readonly #startedAt = Date.now();

  constructor(options: StatsOptions) {
    this.#o = options;
    this.#out = createWriteStream(options.file, { flags: 'w' });
    // An unwritable stats file must not take the service down: say so once and stop sampling.
    this.#out.on('error', (err) => {
      options.telemetry.log.error({ err, file: options.file }, 'stats file not writable; stats CSV disabled');
      if (this.#timer) clearInterval(this.#timer);
    });
    this.#out.write(`${STATS_COLUMNS.join(',')}\n`);
    this.#lag = monitorEventLoopDelay({ resolution: 10 });
    this.#last = { ...options.telemetry.totals };
  }

  start(): void {
    this.#lag.enable();
    this.#lastAt = performance.now();
    this.#timer = setInterval(() => this.sample(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Writes one row with the rates since the previous one. */
  sample(): void {
    const now = performance.now();
    const seconds = Math.max((now - this.#lastAt) / 1000, 1e-3);
    const totals = { ...this.#o.telemetry.totals };
    const rates = COUNTERS.map(([c]) => Math.round((totals[c] - this.#last[c]) / seconds));
    this.#last = totals;
    this.#lastAt = now;
    const b = this.#o.buffer.stats();
    const mem = process.memoryUsage();
    const top = this.#o.buffer
      .topTenants(this.#o.topTenants ?? 5)
      .map((t) => `${t.tenant}:${t.events}`)
      .join(' ');
    const row = [
      Date.now(),
      ((Date.now() - this.#startedAt) / 1000).toFixed(1),
      ...rates,
      b.events,
      b.bytes,
      b.deadLetters,
      b.backend.fileBytes ?? 0,
      b.backend.walBytes ?? 0,
      mem.rss,
      mem.heapUsed,
      mem.external,
      (this.#lag.percentile(99) / 1e6).toFixed(1),
      (this.#lag.max / 1e6).toFixed(1),
      this.#o.dispatcher.lanes,
      this.#o.dispatcher.sending,
      // Tenant names are free text: quote the cell as CSV requires.
      `"${top.replace(/"/g, '""')}"`,
    ];
    this.#lag.reset();
    this.#out.write(`${row.join(',')}\n`);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.sample();
    this.#lag.disable();
    await new Promise<void>((resolve) => this.#out.end(resolve));
  }
}
