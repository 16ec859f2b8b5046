// Targets, peer ratios, value formatting, the summary table and the JSON summary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatTable,
  formatValue,
  writeSummaryJson,
  type ScenarioResult,
} from '../../../../bench/harness/report.js';
import { PEER, peerRatio, targetRatio, verdict, type Finding } from '../../../../bench/harness/targets.js';

const f = (value: number, extra: Partial<Finding> = {}): Finding => ({
  measure: 'm',
  value,
  unit: 'events/s',
  ...extra,
});

describe('verdict and ratios', () => {
  it('checks each comparison', () => {
    expect(verdict(f(100, { target: { op: '>=', value: 100 } }))).toBe('meets');
    expect(verdict(f(99, { target: { op: '>=', value: 100 } }))).toBe('misses');
    expect(verdict(f(100, { target: { op: '<', value: 100 } }))).toBe('misses');
    expect(verdict(f(100, { target: { op: '<=', value: 100 } }))).toBe('meets');
    expect(verdict(f(0, { target: { op: '==', value: 0 } }))).toBe('meets');
    expect(verdict(f(1))).toBe('n/a');
    expect(verdict(f(NaN, { target: { op: '>=', value: 1 } }))).toBe('n/a');
  });

  it('measures distance from the target and the peer', () => {
    expect(targetRatio(f(50_000, { target: { op: '>=', value: 100_000 } }))).toBe(0.5);
    expect(peerRatio(f(100_000, { peer: 'throughput' }))).toBe(100_000 / PEER.eventsPerSec);
    expect(peerRatio({ measure: 'rss', value: PEER.rssBytes * 2, unit: 'bytes', peer: 'rss' })).toBe(2);
    expect(peerRatio(f(1))).toBeNaN();
  });
});

describe('formatValue', () => {
  it('formats each unit', () => {
    expect(formatValue(123_456, 'events/s')).toBe('123.5k/s');
    expect(formatValue(830, 'events/s')).toBe('830/s');
    expect(formatValue(3 * 1024 * 1024, 'bytes')).toBe('3.0 MiB');
    expect(formatValue(1.234, 'ratio')).toBe('1.23x');
    expect(formatValue(1_000_000, 'count')).toBe('1,000,000');
    expect(formatValue(12.34, 'ms')).toBe('12.3 ms');
    expect(formatValue(2.5, 's')).toBe('2.50 s');
    expect(formatValue(NaN, 'ms')).toBe('-');
  });
});

function result(over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario: 'ingest',
    title: 't',
    quick: true,
    params: { count: 10 },
    startedAt: new Date(0).toISOString(),
    seconds: 1,
    findings: [
      f(50_000, {
        measure: 'zmq committed',
        target: { op: '>=', value: 100_000 },
        peer: 'throughput',
        note: 'n1',
      }),
      f(NaN, { measure: 'unmeasured' }),
    ],
    runs: [],
    details: {},
    ...over,
  };
}

describe('formatTable', () => {
  it('has a header, one row per finding with verdict and peer ratio, and an ERROR row for a failure', () => {
    const table = formatTable([
      result(),
      result({ scenario: 'soak', findings: [], error: 'stalled\nstack' }),
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scenario\s+measure\s+value\s+target\s+vs Fluent Bit\s+note$/);
    const peer = (50_000 / PEER.eventsPerSec).toFixed(2).replace('.', '\\.');
    expect(lines[2]).toMatch(
      new RegExp(
        `^ingest\\s+zmq committed\\s+50\\.0k/s\\s+>= 100\\.0k/s: MISS \\(0\\.50x\\)\\s+${peer}x\\s+n1$`,
      ),
    );
    expect(lines[3]).toMatch(/^\s+unmeasured\s+-$/);
    expect(lines[4]).toMatch(/^soak\s+ERROR\s+stalled$/);
    expect(table).toContain('Fluent Bit peer figure');
  });
});

describe('writeSummaryJson', () => {
  it('writes findings with verdicts, NaN as null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const path = writeSummaryJson(dir, [result()], { quick: true });
      const json = JSON.parse(readFileSync(path, 'utf8')) as {
        quick: boolean;
        results: { findings: { verdict: string; value: number | null; targetRatio: number | null }[] }[];
      };
      expect(json.quick).toBe(true);
      expect(json.results[0]!.findings[0]).toMatchObject({ verdict: 'misses', targetRatio: 0.5 });
      expect(json.results[0]!.findings[1]!.value).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
