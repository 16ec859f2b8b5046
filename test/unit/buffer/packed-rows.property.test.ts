// Directory rows go to the buffer worker in columns (packRows): every row comes back field for field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRows, rowAt } from '../../../src/buffer/sqlite/engine.js';
import type { ChunkRow } from '../../../src/buffer/sqlite/statements.js';

const int = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const rowArb: fc.Arbitrary<ChunkRow> = fc.record({
  id: int,
  tenant: fc.string({ unit: 'grapheme', maxLength: 20 }),
  firstSeq: int,
  count: fc.integer({ min: 1, max: 100_000 }),
  bytes: fc.integer({ min: 1, max: 2 ** 32 }),
  firstReceivedAt: int,
  attempts: fc.nat(),
  notBefore: int,
});

describe('packRows', () => {
  it('hands back every row exactly, in order', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 50 }), (rows) => {
        const packed = structuredClone(packRows(rows));
        expect(rows.map((_, i) => rowAt(packed, i))).toEqual(rows);
        expect(packed.tenants).toHaveLength(rows.length);
      }),
    );
  });
});
