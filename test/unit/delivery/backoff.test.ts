// Property tests for the retry delay: full jitter under an exponential, capped ceiling; Retry-After as a floor.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, backoffDelay, type RetryPolicy } from '../../../src/delivery/backoff.js';

const policy = fc
  .tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 600_000 }))
  .map(([a, b]): RetryPolicy => ({ initialMs: Math.min(a, b), maxMs: Math.max(a, b) }));
const attempt = fc.integer({ min: 1, max: 1000 });
/** Math.random's range: [0, 1). */
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const ceiling = (n: number, p: RetryPolicy) => Math.min(p.maxMs, p.initialMs * 2 ** Math.min(n - 1, 40));

describe('backoffDelay', () => {
  it('without Retry-After is a whole number in [0, min(maxMs, initialMs * 2^(attempt-1)))', () => {
    fc.assert(
      fc.property(attempt, policy, random, (n, p, r) => {
        const d = backoffDelay(n, p, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling(n, p));
      }),
    );
  });

  it('spreads over the whole window: random 0 gives 0, random near 1 gives the ceiling minus one', () => {
    fc.assert(
      fc.property(attempt, policy, (n, p) => {
        expect(backoffDelay(n, p, () => 0)).toBe(0);
        expect(backoffDelay(n, p, () => 1 - Number.EPSILON)).toBe(ceiling(n, p) - 1);
      }),
    );
  });

  it('has a ceiling that never falls as attempts grow and ends at maxMs', () => {
    fc.assert(
      fc.property(attempt, policy, (n, p) => {
        const top = (k: number) => backoffDelay(k, p, () => 1 - Number.EPSILON);
        expect(top(n + 1)).toBeGreaterThanOrEqual(top(n));
        expect(top(n + 60)).toBe(p.maxMs - 1);
      }),
    );
  });

  it('honours Retry-After as a floor, capped at MAX_RETRY_AFTER_MS', () => {
    fc.assert(
      fc.property(
        attempt,
        policy,
        random,
        fc.double({ min: 0, max: 1e10, noNaN: true }),
        (n, p, r, after) => {
          const d = backoffDelay(n, p, () => r, after);
          expect(d).toBeGreaterThanOrEqual(Math.min(after, MAX_RETRY_AFTER_MS));
          expect(d).toBeLessThanOrEqual(
            Math.max(Math.ceil(Math.min(after, MAX_RETRY_AFTER_MS)), ceiling(n, p)),
          );
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });

  it('is never negative or NaN, whatever attempt count or Retry-After value it is given', () => {
    const odd = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -1, 0), fc.integer());
    // Attempt counts come from an integer column; 0 and negatives must still be safe.
    fc.assert(
      fc.property(fc.integer(), policy, random, fc.option(odd, { nil: undefined }), (n, p, r, after) => {
        const d = backoffDelay(n, p, () => r, after);
        expect(Number.isNaN(d)).toBe(false);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.max(p.maxMs, MAX_RETRY_AFTER_MS));
      }),
    );
  });
});
