// Parses the service's stats CSV (one row per interval) into typed rows. The columns are the service's own list
// (STATS_COLUMNS in src/telemetry/stats.ts), never restated here.
import { STATS_COLUMNS, type StatsColumn } from '../../src/telemetry/stats.js';

/** Every column of the service's stats CSV but the quoted top-tenants text, all numbers. */
export type NumericColumn = Exclude<StatsColumn, 'top_tenants'>;

export const NUMERIC_COLUMNS: readonly NumericColumn[] = STATS_COLUMNS.filter(
  (c): c is NumericColumn => c !== 'top_tenants',
);

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
 * Parses the whole file. The header must name every column (checked, so a file from a service built from
 * other sources fails loudly instead of charting zeros). A torn last line (the service killed mid-write) and
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
