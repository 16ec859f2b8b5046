// Summary math over samples and stats rows: percentiles, medians, one-second windows, peaks.
import type { NumericColumn, StatsRow } from './stats-csv.js';

type NumericKey = NumericColumn;

/** Nearest-rank q-quantile (0 < q <= 1) of the values; NaN when there are none. */
export function percentile(values: readonly number[], q: number): number {
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length - 1e-9)));
  return sorted[rank - 1]!;
}

/** The middle value (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Events per second for `count` events over `ms`; NaN when no time passed. */
export function ratePerSec(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : NaN;
}

/**
 * The rows of the busy period: from the first to the last row where every one of `columns` is above
 * zero (e.g. received and delivered: the producer is sending and delivery runs). The first and last of
 * those are partial seconds (ramp-up, tail), so they are dropped when at least three rows remain; a run
 * that never moved gives [].
 */
export function activeRows(
  rows: readonly StatsRow[],
  columns: NumericKey | readonly NumericKey[],
): StatsRow[] {
  const cols: readonly NumericKey[] = typeof columns === 'string' ? [columns] : columns;
  const moving = (r: StatsRow): boolean => cols.every((c) => r[c] > 0);
  const first = rows.findIndex(moving);
  if (first < 0) return [];
  let last = rows.length - 1;
  while (last > first && !moving(rows[last]!)) last--;
  const busy = rows.slice(first, last + 1);
  return busy.length >= 5 ? busy.slice(1, -1) : busy;
}

export interface WindowStats {
  windows: number;
  min: number;
  median: number;
  max: number;
  /** min / median: 1 is perfectly flat; the soak target is >= 0.5. */
  minOverMedian: number;
}

/** One-second (one-row) windows of `column` over the busy period of `busy` (default: the column itself). */
export function windowStats(
  rows: readonly StatsRow[],
  column: NumericKey,
  busy: NumericKey | readonly NumericKey[] = column,
): WindowStats {
  const values = activeRows(rows, busy).map((r) => r[column]);
  const med = median(values);
  const min = values.length ? Math.min(...values) : NaN;
  return {
    windows: values.length,
    min,
    median: med,
    max: values.length ? Math.max(...values) : NaN,
    minOverMedian: med > 0 ? min / med : NaN,
  };
}

/** Largest value of a column; NaN without rows. */
export function peak(rows: readonly StatsRow[], column: NumericKey): number {
  return rows.length === 0 ? NaN : Math.max(...rows.map((r) => r[column]));
}

/** Value of a column in the last row; NaN without rows. */
export function lastValue(rows: readonly StatsRow[], column: NumericKey): number {
  return rows.length === 0 ? NaN : rows[rows.length - 1]![column];
}
