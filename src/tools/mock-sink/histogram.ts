// A fixed-size log-linear latency histogram (HdrHistogram-like): O(1) record, bounded memory, ~1.6% precision.
//
// Values below 128 ms get one bucket per integer millisecond. Above, each power of two [2^e, 2^(e+1)) is
// split into 64 equal buckets, so a bucket is at most 1/64 of its lower bound wide. Values are floored to
// whole milliseconds, negatives count as 0 and values beyond MAX_VALUE land in the last bucket (max stays exact).

const LINEAR = 128;
const SUB = 64;
const SUB_BITS = 6;
const FIRST_EXP = 7; // log2(LINEAR)
const LAST_EXP = 41;
export const MAX_VALUE = 2 ** (LAST_EXP + 1) - 1;
const BUCKETS = LINEAR + (LAST_EXP - FIRST_EXP + 1) * SUB;

/** Bucket index of a (floored, clamped) value. */
export function bucketIndex(value: number): number {
  const v = value <= 0 ? 0 : Math.floor(Math.min(value, MAX_VALUE));
  if (v < LINEAR) return v;
  let e = Math.floor(Math.log2(v));
  // Guard against log2 rounding at exact powers of two.
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB;
  return LINEAR + (e - FIRST_EXP) * SUB + sub;
}

/** Smallest value that falls into bucket `i`. */
export function bucketLowerBound(i: number): number {
  if (i < LINEAR) return i;
  const e = FIRST_EXP + Math.floor((i - LINEAR) / SUB);
  const sub = (i - LINEAR) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

/** Nearest-rank position (1-based) of quantile q in n sorted samples; shared with the tests' reference. */
export function rankOf(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private minValue = Infinity;
  private maxValue = 0;

  get count(): number {
    return this.n;
  }

  record(value: number): void {
    const v = value <= 0 ? 0 : value;
    this.counts[bucketIndex(v)]!++;
    this.n++;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /**
   * The q-quantile (0 < q <= 1) by nearest rank, reported as the lower bound of the bucket holding it,
   * clamped to the observed [min, max]: never above the true value, less than one bucket width below it.
   */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = rankOf(q, this.n);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxValue, Math.max(this.minValue, bucketLowerBound(i)));
    }
    return this.maxValue;
  }

  summary(): LatencySummary {
    return { p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.maxValue, count: this.n };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.minValue = Infinity;
    this.maxValue = 0;
  }
}
