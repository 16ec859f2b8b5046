// Parses the service's stats CSV (src/telemetry/stats.ts, one row per interval) into typed rows.

/** The numeric columns the harness reads (a subset of STATS_COLUMNS, checked against it at parse time). */
export const NUMERIC_COLUMNS = [
  'time_ms',
  'elapsed_s',
  'received_per_s',
  'committed_per_s',
  'delivered_per_s',
  'deleted_per_s',
  'retried_per_s',
  'dead_lettered_per_s',
  'rejected_per_s',
  'dropped_per_s',
  'backlog_events',
  'backlog_bytes',
  'dead_letters',
  'db_bytes',
  'wal_bytes',
  'rss_bytes',
  'heap_used_bytes',
  'loop_lag_p99_ms',
  'loop_lag_max_ms',
  'lanes',
  'sending_batches',
] as const;

export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

/** One stats row: the numeric columns as numbers, plus the quoted top-tenants cell as text. */
export type StatsRow = Record<NumericColumn, number> & { top_tenants: string };

/** Splits one CSV line (RFC 4180 quoting: "a ""b""" is `a "b"`). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * Parses the whole file. The header must name every column the harness reads (checked, so a renamed
 * column fails loudly instead of charting zeros). A torn last line (the service killed mid-write) and
 * rows with the wrong number of cells are skipped.
 */
export function parseStatsCsv(text: string): StatsRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = splitCsvLine(lines[0]!.trim());
  const wanted: readonly string[] = [...NUMERIC_COLUMNS, 'top_tenants'];
  const missing = wanted.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Error(`stats CSV lacks columns: ${missing.join(', ')}`);
  const rows: StatsRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = splitCsvLine(line.replace(/\r$/, ''));
    if (cells.length !== header.length) continue;
    const row: Record<string, number | string> = {};
    let ok = true;
    header.forEach((name, i) => {
      const cell = cells[i] ?? '';
      if (name === 'top_tenants') row[name] = cell;
      else if (wanted.includes(name)) {
        const n = Number(cell);
        if (cell === '' || Number.isNaN(n)) ok = false;
        row[name] = n;
      }
    });
    if (ok) rows.push(row as StatsRow);
  }
  return rows;
}
