// The latency histogram's percentiles against a sorted-array reference, within one bucket's precision.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  LatencyHistogram,
  bucketIndex,
  bucketLowerBound,
  rankOf,
} from '../../../../src/tools/mock-sink/index.js';

/** Width of the bucket holding v: 1 below 128, otherwise at most 1/64 of v. */
function precision(v: number): number {
  return Math.max(1, v / 64);
}

describe('bucketIndex / bucketLowerBound', () => {
  it('puts every value in a bucket whose lower bound is at most the value and within its precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 - 1 }), (v) => {
        const lower = bucketLowerBound(bucketIndex(v));
        expect(lower).toBeLessThanOrEqual(v);
        expect(v - lower).toBeLessThan(precision(v));
        // The next bucket starts above v.
        expect(bucketLowerBound(bucketIndex(v) + 1)).toBeGreaterThan(v);
      }),
    );
  });

  it('is monotonic and exact at powers of two', () => {
    for (let e = 7; e < 42; e++) {
      expect(bucketLowerBound(bucketIndex(2 ** e))).toBe(2 ** e);
      expect(bucketIndex(2 ** e)).toBe(bucketIndex(2 ** e - 1) + 1);
    }
    expect(bucketIndex(-5)).toBe(0);
    expect(bucketIndex(3.9)).toBe(3);
  });
});

describe('LatencyHistogram', () => {
  it('reports p50/p99/max within bucket precision of the sorted-array reference', () => {
    const value = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 10_000_000 }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 500 }), (values) => {
        const h = new LatencyHistogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        const s = h.summary();
        expect(s.count).toBe(values.length);
        expect(s.max).toBe(sorted[sorted.length - 1]);
        for (const [q, got] of [
          [0.5, s.p50],
          [0.99, s.p99],
          [0.9, h.quantile(0.9)],
        ] as const) {
          const ref = sorted[rankOf(q, sorted.length) - 1]!;
          expect(got).toBeLessThanOrEqual(ref);
          expect(ref - got).toBeLessThan(precision(ref));
        }
      }),
    );
  });

  it('is exact for small integer latencies and empty after reset', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.summary()).toEqual({ p50: 50, p99: 99, max: 100, count: 100 });
    h.reset();
    expect(h.summary()).toEqual({ p50: 0, p99: 0, max: 0, count: 0 });
  });

  it('counts negative latencies (clock skew) as zero', () => {
    const h = new LatencyHistogram();
    h.record(-20);
    expect(h.summary()).toEqual({ p50: 0, p99: 0, max: 0, count: 1 });
  });
});
