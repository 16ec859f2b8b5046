// A compact set of non-negative integer seqs (a small roaring bitmap) for tracking millions of event ids.
//
// Seqs are split into chunks of 65,536 values keyed by `seq >>> 16` (computed with division so seqs up to
// 2^53 work). A chunk starts as a sorted Uint16Array of its low bits and turns into an 8 KiB bitmap once
// it holds more than 4,096 values, so memory stays near 2 bytes per seq when sparse and at most 1 bit per
// seq when dense: 1M consecutive seqs cost 16 bitmaps = 128 KiB.

const CHUNK = 65_536;
const ARRAY_MAX = 4_096;

interface Container {
  /** Adds `low` (0..65535); true when it was not there before. */
  add(low: number): boolean;
  has(low: number): boolean;
  readonly size: number;
}

class ArrayContainer implements Container {
  values = new Uint16Array(16);
  size = 0;

  /** Index of `low`, or -(insertion point + 1) when absent. */
  private find(low: number): number {
    let lo = 0;
    let hi = this.size - 1;
    // Fast path: seqs mostly arrive in increasing order.
    if (hi >= 0 && this.values[hi]! < low) return -(this.size + 1);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.values[mid]!;
      if (v < low) lo = mid + 1;
      else if (v > low) hi = mid - 1;
      else return mid;
    }
    return -(lo + 1);
  }

  add(low: number): boolean {
    const i = this.find(low);
    if (i >= 0) return false;
    const at = -i - 1;
    if (this.size === this.values.length) {
      const grown = new Uint16Array(Math.min(this.values.length * 2, ARRAY_MAX + 1));
      grown.set(this.values);
      this.values = grown;
    }
    this.values.copyWithin(at + 1, at, this.size);
    this.values[at] = low;
    this.size++;
    return true;
  }

  has(low: number): boolean {
    return this.find(low) >= 0;
  }

  toBitmap(): BitmapContainer {
    const b = new BitmapContainer();
    for (let i = 0; i < this.size; i++) b.add(this.values[i]!);
    return b;
  }
}

class BitmapContainer implements Container {
  readonly words = new Uint32Array(CHUNK / 32);
  size = 0;

  add(low: number): boolean {
    const w = low >>> 5;
    const bit = 1 << (low & 31);
    const word = this.words[w]!;
    if ((word & bit) !== 0) return false;
    this.words[w] = word | bit;
    this.size++;
    return true;
  }

  has(low: number): boolean {
    return (this.words[low >>> 5]! & (1 << (low & 31))) !== 0;
  }
}

export class SeqSet {
  private readonly chunks = new Map<number, Container>();
  private lastKey = -1;
  private last: Container | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a seq (a non-negative safe integer); true when it was new. */
  add(seq: number): boolean {
    const key = Math.floor(seq / CHUNK);
    const low = seq - key * CHUNK;
    let c = key === this.lastKey ? this.last : this.chunks.get(key);
    if (c === undefined) {
      c = new ArrayContainer();
      this.chunks.set(key, c);
    }
    if (!c.add(low)) {
      this.remember(key, c);
      return false;
    }
    if (c instanceof ArrayContainer && c.size > ARRAY_MAX) {
      c = c.toBitmap();
      this.chunks.set(key, c);
    }
    this.remember(key, c);
    this.count++;
    return true;
  }

  has(seq: number): boolean {
    const key = Math.floor(seq / CHUNK);
    const c = this.chunks.get(key);
    return c !== undefined && c.has(seq - key * CHUNK);
  }

  /** Approximate heap bytes held by the containers (for reports and tests of boundedness). */
  approxBytes(): number {
    let bytes = 0;
    for (const c of this.chunks.values()) {
      bytes += c instanceof BitmapContainer ? c.words.byteLength : (c as ArrayContainer).values.byteLength;
    }
    return bytes;
  }

  private remember(key: number, c: Container): void {
    this.lastKey = key;
    this.last = c;
  }
}
