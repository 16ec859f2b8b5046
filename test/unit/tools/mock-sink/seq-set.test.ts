// SeqSet against a plain Set<number> model, and its memory bound for a million seqs.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SeqSet } from '../../../../src/tools/mock-sink/index.js';

describe('SeqSet', () => {
  it('behaves like Set<number> for any sequence of adds (sparse, dense, huge and repeated seqs)', () => {
    const seq = fc.oneof(
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 0, max: 300_000 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    fc.assert(
      fc.property(fc.array(seq, { maxLength: 400 }), fc.array(seq, { maxLength: 50 }), (adds, probes) => {
        const set = new SeqSet();
        const model = new Set<number>();
        for (const n of adds) {
          expect(set.add(n)).toBe(!model.has(n));
          model.add(n);
        }
        expect(set.size).toBe(model.size);
        for (const n of [...adds, ...probes]) expect(set.has(n)).toBe(model.has(n));
      }),
    );
  });

  it('stays correct when one chunk switches from its array to its bitmap form', () => {
    const set = new SeqSet();
    // Descending inserts exercise the array's middle insertion; 5000 > the 4096 switch-over.
    for (let i = 4999; i >= 0; i--) expect(set.add((i * 13) % 65_536)).toBe(true);
    expect(set.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(set.has((i * 13) % 65_536)).toBe(true);
    expect(set.has(1)).toBe(false);
    expect(set.add(13)).toBe(false);
    expect(set.approxBytes()).toBe(8192);
  });

  it('holds one million consecutive seqs in about 128 KiB', () => {
    const set = new SeqSet();
    for (let i = 1; i <= 1_000_000; i++) set.add(i);
    expect(set.size).toBe(1_000_000);
    expect(set.approxBytes()).toBeLessThanOrEqual(16 * 8192);
    expect(set.has(0)).toBe(false);
    expect(set.has(1_000_000)).toBe(true);
    expect(set.has(1_000_001)).toBe(false);
  });
});
