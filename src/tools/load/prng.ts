// Small seeded PRNG (mulberry32) so a given seed yields byte-identical synthetic load on every run.

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: 32-bit state, period 2^32, good enough for load shaping (not for crypto).
 * Only integer ops (Math.imul, shifts), so the sequence is identical on every platform.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Cumulative weights for picking index i with probability weights[i] / sum.
 * Pair with `pickWeighted`; build once, sample many times.
 */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weight ${i} must be a finite number >= 0`);
    sum += w;
    out[i] = sum;
  });
  if (!(sum > 0)) throw new RangeError('at least one weight must be positive');
  return out;
}

/** Binary search over cumulative weights: O(log n) per sample, so thousands of tenants stay cheap. */
export function pickWeighted(random: Random, cum: Float64Array): number {
  const target = random() * (cum[cum.length - 1] ?? 0);
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cum[mid] ?? 0) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Zipf-like weights 1/(rank+1)^exponent: exponent 0 is uniform, ~1 gives a few heavy tenants and a long tail. */
export function zipfWeights(n: number, exponent: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, exponent));
}
