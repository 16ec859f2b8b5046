// Scenario results: the stdout summary table and the JSON summary written to the results directory.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MiB, PEER, peerRatio, targetRatio, verdict, type Finding, type Unit } from './targets.js';

/** What one service run left behind: its stats CSV and chart, and headline figures from the CSV. */
export interface RunArtifacts {
  name: string;
  statsCsv: string | undefined;
  chartSvg: string | undefined;
  rows: number;
  peakRssBytes: number;
  peakWalBytes: number;
  peakBacklogEvents: number;
  finalDbBytes: number;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  quick: boolean;
  params: Record<string, number>;
  startedAt: string;
  seconds: number;
  findings: Finding[];
  runs: RunArtifacts[];
  /** Scenario-specific raw figures (sink reports, producer summaries, variant tables). */
  details: Record<string, unknown>;
  /** Set when the scenario failed; findings may then be partial. */
  error?: string;
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return '-';
  switch (unit) {
    case 'events/s':
      return value >= 1e4 ? `${(value / 1e3).toFixed(1)}k/s` : `${Math.round(value)}/s`;
    case 'ms':
      return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ms`;
    case 'µs':
      return `${value.toFixed(1)} µs`;
    case 'bytes':
      return `${(value / MiB).toFixed(1)} MiB`;
    case 'ratio':
      return `${value.toFixed(2)}x`;
    case 's':
      return `${value.toFixed(2)} s`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

function targetCell(f: Finding): string {
  if (!f.target) return '';
  const v = verdict(f);
  const ratio = targetRatio(f);
  const far = Number.isFinite(ratio) && f.target.op !== '==' ? ` (${ratio.toFixed(2)}x)` : '';
  return `${f.target.op} ${formatValue(f.target.value, f.unit)}: ${v === 'meets' ? 'OK' : 'MISS'}${far}`;
}

function peerCell(f: Finding): string {
  const r = peerRatio(f);
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : '';
}

const HEADERS = ['scenario', 'measure', 'value', 'target', `vs ${PEER.name}`, 'note'] as const;

/** Plain-text table, one row per finding; a failed scenario gets one ERROR row. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const f of r.findings) {
      rows.push([
        r.scenario,
        f.measure,
        formatValue(f.value, f.unit),
        targetCell(f),
        peerCell(f),
        f.note ?? '',
      ]);
    }
    if (r.error !== undefined) rows.push([r.scenario, 'ERROR', '', '', '', r.error.split('\n', 1)[0]!]);
  }
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const row of rows) {
    out.push(line(row[0] === previous ? ['', ...row.slice(1)] : row));
    previous = row[0]!;
  }
  const peer = `${PEER.name} peer figure: ${formatValue(PEER.eventsPerSec, 'events/s')} end to end at ${formatValue(PEER.rssBytes, 'bytes')} RSS`;
  return `${out.join('\n')}\n${peer}\n`;
}

/** Writes summary.json (every result, findings with verdicts) into `dir`; returns its path. */
export function writeSummaryJson(
  dir: string,
  results: readonly ScenarioResult[],
  extra: Record<string, unknown> = {},
): string {
  const path = join(dir, 'summary.json');
  const body = {
    ...extra,
    peer: PEER,
    results: results.map((r) => ({
      ...r,
      findings: r.findings.map((f) => ({
        ...f,
        verdict: verdict(f),
        targetRatio: targetRatio(f),
        peerRatio: peerRatio(f),
      })),
    })),
  };
  // NaN is not JSON: write null, which is what an unmeasured figure is.
  writeFileSync(
    path,
    `${JSON.stringify(body, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  return path;
}
