// What a scenario runner works with: child processes, a results directory, temp data directories,
// progress, cancellation, polling with stall detection, and turning a run's stats CSV into artifacts.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderChartSvg } from './chart.js';
import { ChildSet } from './children.js';
import { Progress } from './progress.js';
import type { RunArtifacts } from './report.js';
import { startServiceProcess, type ServiceHandle } from './service.js';
import { startSinkProcess, type SinkHandle } from './sink.js';
import { parseStatsCsv, type StatsRow } from './stats-csv.js';
import { lastValue, peak } from './summary.js';

export class BenchAborted extends Error {
  constructor() {
    super('benchmark interrupted');
    this.name = 'BenchAborted';
  }
}

export interface ContextOptions {
  /** Results of this scenario go here (created). */
  outDir: string;
  children: ChildSet;
  progress: Progress;
  signal: AbortSignal;
  /** Keep the temp data directories (for inspection). Default false. */
  keepData?: boolean;
}

export interface WaitOptions {
  label: string;
  total: number;
  /** Fails when the polled value has not changed for this long. Default 30 s. */
  stallMs?: number;
  timeoutMs?: number;
  intervalMs?: number;
}

export interface Poll {
  value: number;
  done: boolean;
  note?: string;
}

/** A service run: its data directory and stats file (two runs may share a data directory). */
export interface RunDirs {
  name: string;
  dataDir: string;
  statsFile: string;
}

export class BenchContext {
  readonly outDir: string;
  readonly children: ChildSet;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  readonly #tmp: string;
  readonly #keepData: boolean;

  constructor(o: ContextOptions) {
    this.outDir = o.outDir;
    this.children = o.children;
    this.progress = o.progress;
    this.signal = o.signal;
    this.#keepData = o.keepData ?? false;
    mkdirSync(o.outDir, { recursive: true });
    this.#tmp = mkdtempSync(join(tmpdir(), 'logdriver-bench-'));
  }

  /** A fresh temp directory for one service run (or reuse `dataDir` to restart on the same data). */
  newRun(name: string, dataDir?: string): RunDirs {
    const dir = join(this.#tmp, name);
    mkdirSync(dir, { recursive: true });
    return { name, dataDir: dataDir ?? join(dir, 'data'), statsFile: join(dir, 'stats.csv') };
  }

  startSink(name: string, args: readonly string[] = []): Promise<SinkHandle> {
    this.checkAborted();
    return startSinkProcess(this.children, { name, dir: this.outDir, args });
  }

  startService(
    run: RunDirs,
    sinkUrl: string,
    overrides: Record<string, unknown> = {},
    defaultSink?: Record<string, unknown>,
  ): Promise<ServiceHandle> {
    this.checkAborted();
    return startServiceProcess(this.children, {
      name: `${run.name}.service`,
      dir: this.outDir,
      dataDir: run.dataDir,
      statsFile: run.statsFile,
      sinkUrl,
      overrides,
      ...(defaultSink === undefined ? {} : { defaultSink }),
    });
  }

  checkAborted(): void {
    if (this.signal.aborted) throw new BenchAborted();
  }

  sleep(ms: number): Promise<void> {
    this.checkAborted();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(t);
        reject(new BenchAborted());
      };
      const t = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Polls until `done`, showing progress; throws on abort, on a stall or after `timeoutMs`. */
  async waitUntil(o: WaitOptions, poll: () => Promise<Poll>): Promise<Poll> {
    const interval = o.intervalMs ?? 250;
    const stallMs = o.stallMs ?? 30_000;
    const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
    this.progress.start(o.label, o.total);
    let lastValue = NaN;
    let lastChange = Date.now();
    try {
      for (;;) {
        const p = await poll();
        this.progress.update(p.value, p.note);
        if (p.done) return p;
        if (p.value !== lastValue) {
          lastValue = p.value;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > stallMs) {
          throw new Error(`${o.label}: no progress for ${stallMs} ms (at ${p.value} of ${o.total})`);
        }
        if (Date.now() > deadline) throw new Error(`${o.label}: not done after ${o.timeoutMs} ms`);
        await this.sleep(interval);
      }
    } finally {
      this.progress.stop();
    }
  }

  /** Copies the run's stats CSV into the results directory and charts it. Call after the service exited. */
  async finishRun(run: RunDirs, title: string): Promise<RunArtifacts & { data: StatsRow[] }> {
    const empty = { name: run.name, statsCsv: undefined, chartSvg: undefined, rows: 0, data: [] };
    if (!existsSync(run.statsFile)) {
      return { ...empty, peakRssBytes: NaN, peakWalBytes: NaN, peakBacklogEvents: NaN, finalDbBytes: NaN };
    }
    const statsCsv = join(this.outDir, `${run.name}.stats.csv`);
    copyFileSync(run.statsFile, statsCsv);
    const data = parseStatsCsv(readFileSync(statsCsv, 'utf8'));
    const chartSvg = join(this.outDir, `${run.name}.svg`);
    writeFileSync(chartSvg, await renderChartSvg(data, title));
    return {
      name: run.name,
      statsCsv,
      chartSvg,
      rows: data.length,
      data,
      peakRssBytes: peak(data, 'rss_bytes'),
      peakWalBytes: peak(data, 'wal_bytes'),
      peakBacklogEvents: peak(data, 'backlog_events'),
      finalDbBytes: lastValue(data, 'db_bytes'),
    };
  }

  /** Removes the temp data directories (unless kept). */
  dispose(): void {
    if (!this.#keepData) rmSync(this.#tmp, { recursive: true, force: true });
  }
}

/** The artifacts without the parsed rows (what goes into the JSON summary). */
export function artifactsOnly(a: RunArtifacts & { data?: unknown }): RunArtifacts {
  const { data: _data, ...rest } = a;
  return rest;
}
