// One SVG chart per service run, from its stats rows: throughput, backlog, file sizes and RSS over time.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { StatsRow } from './stats-csv.js';

const MiB = 1024 * 1024;

interface Panel {
  title: string;
  fields: string[];
  yTitle: string;
}

const PANELS: readonly Panel[] = [
  { title: 'throughput per second', fields: ['committed', 'delivered'], yTitle: 'events/s' },
  { title: 'backlog (stored, unacknowledged)', fields: ['backlog'], yTitle: 'events' },
  { title: 'database and WAL file size', fields: ['db', 'wal'], yTitle: 'MiB' },
  { title: 'service memory', fields: ['rss'], yTitle: 'RSS MiB' },
];

/** A vega-lite spec of four stacked panels over elapsed seconds; the data is inlined. */
export function chartSpec(rows: readonly StatsRow[], title: string): TopLevelSpec {
  const values = rows.map((r) => ({
    t: r.elapsed_s,
    committed: r.committed_per_s,
    delivered: r.delivered_per_s,
    backlog: r.backlog_events,
    db: r.db_bytes / MiB,
    wal: r.wal_bytes / MiB,
    rss: r.rss_bytes / MiB,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    vconcat: PANELS.map((p) => ({
      width: 640,
      height: 140,
      title: p.title,
      transform: [{ fold: p.fields, as: ['series', 'value'] }],
      mark: { type: 'line', point: rows.length <= 60, interpolate: 'linear' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'elapsed (s)' },
        y: { field: 'value', type: 'quantitative', title: p.yTitle },
        color: { field: 'series', type: 'nominal', title: null },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  };
}

/** Renders the chart headless (no canvas needed) to an SVG document string. */
export async function renderChartSvg(rows: readonly StatsRow[], title: string): Promise<string> {
  const view = new View(parse(compile(chartSpec(rows, title)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
