// Seeded PRNG (mulberry32) so the mock sink's failure and latency decisions are reproducible.

/** Returns a function yielding floats in [0, 1); the same seed always gives the same sequence. */
export function seededRandom(seed: number): () => number {
  // Mix the seed once so that small neighbouring seeds (1, 2, 3) do not start out correlated.
  let state = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
