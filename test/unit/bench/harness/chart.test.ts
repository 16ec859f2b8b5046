// The per-run chart: a vega-lite spec of four panels that renders headless to an SVG document.
import { describe, expect, it } from 'vitest';
import { chartSpec, renderChartSvg } from '../../../../bench/harness/chart.js';
import { NUMERIC_COLUMNS, type StatsRow } from '../../../../bench/harness/stats-csv.js';

function rows(n: number): StatsRow[] {
  return Array.from({ length: n }, (_, i) => {
    const r = Object.fromEntries(NUMERIC_COLUMNS.map((c) => [c, 0])) as unknown as StatsRow;
    return {
      ...r,
      top_tenants: '',
      elapsed_s: i + 1,
      committed_per_s: 1000 * i,
      delivered_per_s: 900 * i,
      backlog_events: 50 * i,
      db_bytes: 1024 * 1024 * i,
      wal_bytes: 512 * 1024,
      rss_bytes: 100 * 1024 * 1024,
    };
  });
}

describe('chartSpec', () => {
  it('has one panel per figure, over elapsed seconds, with the rows inlined', () => {
    const spec = chartSpec(rows(3), 'a run') as unknown as {
      title: string;
      data: { values: { t: number; committed: number; rss: number }[] };
      vconcat: { title: string; transform: { fold: string[] }[] }[];
    };
    expect(spec.title).toBe('a run');
    expect(spec.data.values).toHaveLength(3);
    expect(spec.data.values[2]).toMatchObject({ t: 3, committed: 2000, rss: 100 });
    expect(spec.vconcat.map((p) => p.transform[0]!.fold)).toEqual([
      ['committed', 'delivered'],
      ['backlog'],
      ['db', 'wal'],
      ['rss'],
    ]);
  });
});

describe('renderChartSvg', () => {
  it('produces an SVG document with the title and line marks', async () => {
    const svg = await renderChartSvg(rows(10), 'soak: 1000 events');
    expect(svg).toContain('<svg');
    expect(svg).toContain('soak: 1000 events');
    expect(svg).toContain('role-mark');
  });

  it('renders an empty run without throwing', async () => {
    expect(await renderChartSvg([], 'empty')).toContain('<svg');
  });
});
