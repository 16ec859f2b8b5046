// Runs scenarios one after another into one results directory: a context per scenario, every child
// stopped after each one (also on failure), a JSON summary at the end.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { paramsFor, scenarioSpec, type ScenarioName } from '../scenarios/index.js';
import { ChildSet } from './children.js';
import { BenchAborted, BenchContext } from './context.js';
import { Progress } from './progress.js';
import { writeSummaryJson, type ScenarioResult } from './report.js';
import { RUNNERS } from './runners/index.js';

export interface BenchOptions {
  quick: boolean;
  /** Results directory; default bench-results/<label>-<timestamp>/ under the working directory. */
  outDir?: string;
  /** Names the default results directory (a scenario name, `quick` or `all`). */
  label?: string;
  /** Param overrides applied to every scenario that has the param (e.g. { count: 5000 }). */
  overrides?: Record<string, number>;
  progress?: Progress;
  children?: ChildSet;
  signal?: AbortSignal;
  keepData?: boolean;
}

export interface BenchOutcome {
  dir: string;
  results: ScenarioResult[];
  summaryPath: string;
  aborted: boolean;
}

/** 2025-01-31T12-34-56 (file-name safe, sorts by time). */
export function timestamp(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace(/:/g, '-');
}

export function defaultOutDir(label: string, d = new Date()): string {
  return resolve('bench-results', `${label}-${timestamp(d)}`);
}

/** Keeps only the overrides a scenario actually has, so `--count` does not invent params elsewhere. */
function applicable(
  spec: { full: Readonly<Record<string, number>> },
  o: Record<string, number> = {},
): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k in spec.full));
}

export async function runBench(names: readonly ScenarioName[], o: BenchOptions): Promise<BenchOutcome> {
  const dir = o.outDir ? resolve(o.outDir) : defaultOutDir(o.label ?? names.join('+'));
  mkdirSync(dir, { recursive: true });
  const children = o.children ?? new ChildSet();
  const progress = o.progress ?? new Progress();
  const signal = o.signal ?? new AbortController().signal;
  const results: ScenarioResult[] = [];
  let aborted = false;
  for (const name of names) {
    if (signal.aborted) {
      aborted = true;
      break;
    }
    const spec = scenarioSpec(name);
    const params = paramsFor(spec, o.quick, applicable(spec, o.overrides));
    const ctx = new BenchContext({
      outDir: names.length > 1 ? join(dir, name) : dir,
      children,
      progress,
      signal,
      keepData: o.keepData ?? false,
    });
    const startedAt = new Date();
    const t0 = performance.now();
    const result: ScenarioResult = {
      scenario: name,
      title: spec.title,
      quick: o.quick,
      params,
      startedAt: startedAt.toISOString(),
      seconds: 0,
      findings: [],
      runs: [],
      details: {},
    };
    progress.note(`${name}${o.quick ? ' (quick)' : ''}: ${spec.title}`);
    try {
      Object.assign(result, await RUNNERS[name](ctx, params, spec));
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
      if (err instanceof BenchAborted || signal.aborted) aborted = true;
    } finally {
      progress.stop();
      await children.stopAll();
      ctx.dispose();
    }
    result.seconds = (performance.now() - t0) / 1000;
    results.push(result);
    progress.note(
      `${name}: ${result.error ? `failed: ${result.error.split('\n', 1)[0]}` : 'done'} in ${result.seconds.toFixed(1)} s`,
    );
    if (aborted) break;
  }
  const summaryPath = writeSummaryJson(dir, results, {
    command: process.argv.slice(1).join(' '),
    node: process.version,
    quick: o.quick,
    aborted,
  });
  return { dir, results, summaryPath, aborted };
}
