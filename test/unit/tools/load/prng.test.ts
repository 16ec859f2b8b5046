// Tests for the seeded PRNG and weighted sampling used to shape synthetic load.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cumulative, mulberry32, pickWeighted, zipfWeights } from '../../../../src/tools/load/prng.js';

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = mulberry32(seed);
        const b = mulberry32(seed);
        for (let i = 0; i < 50; i++) {
          const x = a();
          expect(x).toBe(b());
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
  });

  it('gives different sequences for different seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(2);
    expect(Array.from({ length: 5 }, a)).not.toEqual(Array.from({ length: 5 }, b));
  });
});

describe('weighted sampling', () => {
  it('never picks an index whose weight is zero and always returns a valid index', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 20 })
          .filter((w) => w.some((x) => x > 0)),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (weights, seed) => {
          const cum = cumulative(weights);
          const random = mulberry32(seed);
          for (let i = 0; i < 100; i++) {
            const k = pickWeighted(random, cum);
            expect(k).toBeGreaterThanOrEqual(0);
            expect(k).toBeLessThan(weights.length);
            expect(weights[k]).toBeGreaterThan(0);
          }
        },
      ),
    );
  });

  it('picks the extremes when random() returns 0 or almost 1', () => {
    const cum = cumulative([1, 1, 1]);
    expect(pickWeighted(() => 0, cum)).toBe(0);
    expect(pickWeighted(() => 0.999999, cum)).toBe(2);
  });

  it('rejects negative or all-zero weights', () => {
    expect(() => cumulative([1, -1])).toThrow(RangeError);
    expect(() => cumulative([0, 0])).toThrow(RangeError);
  });

  it('makes zipf weights uniform at exponent 0 and decreasing above it', () => {
    expect(zipfWeights(3, 0)).toEqual([1, 1, 1]);
    const w = zipfWeights(4, 1);
    expect(w).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);
  });
});
