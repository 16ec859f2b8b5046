// Summary math: nearest-rank percentiles, medians, busy-period windows and rates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeRows,
  median,
  peak,
  percentile,
  ratePerSec,
  windowStats,
} from '../../../../bench/harness/summary.js';
import { NUMERIC_COLUMNS, type StatsRow } from '../../../../bench/harness/stats-csv.js';

function row(values: Partial<StatsRow>): StatsRow {
  const r = Object.fromEntries(NUMERIC_COLUMNS.map((c) => [c, 0])) as unknown as StatsRow;
  return { ...r, top_tenants: '', ...values };
}

describe('percentile', () => {
  it('is the nearest-rank value of the sorted samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
          expect(percentile(values, q)).toBe(sorted[Math.min(rank, sorted.length) - 1]);
        },
      ),
    );
  });

  it('knows the textbook cases', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 1)).toBe(100);
    expect(percentile([7], 0.01)).toBe(7);
  });

  it('is NaN without samples and refuses quantiles outside (0, 1]', () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it('does not reorder its input', () => {
    const v = [3, 1, 2];
    percentile(v, 0.5);
    expect(v).toEqual([3, 1, 2]);
  });
});

describe('median', () => {
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('lies between min and max', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1 }), (v) => {
        const m = median(v);
        expect(m).toBeGreaterThanOrEqual(Math.min(...v));
        expect(m).toBeLessThanOrEqual(Math.max(...v));
      }),
    );
  });
});

describe('busy-period windows', () => {
  const rates = [0, 0, 100, 900, 1000, 400, 1100, 50, 0, 0];
  const rows = rates.map((r, i) => row({ elapsed_s: i, delivered_per_s: r, received_per_s: i < 7 ? 1 : 0 }));

  it('takes the rows between the first and last non-zero value, minus the two partial edge seconds', () => {
    expect(activeRows(rows, 'delivered_per_s').map((r) => r.delivered_per_s)).toEqual([900, 1000, 400, 1100]);
  });

  it('keeps short busy periods whole and gives [] for a run that never moved', () => {
    const short = [0, 5, 6, 0].map((r) => row({ delivered_per_s: r }));
    expect(activeRows(short, 'delivered_per_s')).toHaveLength(2);
    expect(activeRows([row({}), row({})], 'delivered_per_s')).toEqual([]);
  });

  it('intersects the busy periods of several columns', () => {
    // received stops after row 6, so the delivery tail (50/s) is outside.
    expect(activeRows(rows, ['received_per_s', 'delivered_per_s']).map((r) => r.delivered_per_s)).toEqual([
      900, 1000, 400,
    ]);
  });

  it('reports min, median, max and min/median of the windows', () => {
    const w = windowStats(rows, 'delivered_per_s');
    expect(w).toEqual({ windows: 4, min: 400, median: 950, max: 1100, minOverMedian: 400 / 950 });
  });

  it('reports NaN figures for an idle run', () => {
    const w = windowStats([row({})], 'delivered_per_s');
    expect(w.windows).toBe(0);
    expect(w.minOverMedian).toBeNaN();
  });

  it('finds peaks', () => {
    expect(peak(rows, 'delivered_per_s')).toBe(1100);
    expect(peak([], 'rss_bytes')).toBeNaN();
  });
});

describe('ratePerSec', () => {
  it('turns a count over milliseconds into events per second', () => {
    expect(ratePerSec(5000, 250)).toBe(20_000);
    expect(ratePerSec(5, 0)).toBeNaN();
  });
});
