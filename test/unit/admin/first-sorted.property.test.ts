// firstSorted (one page of tenants without sorting them all) against a full sort and slice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstSorted } from '../../../src/admin/api.js';

describe('firstSorted', () => {
  it('gives what a full sort then slice gives, and leaves the list as it was', () => {
    const item = fc.record({ events: fc.nat(20), name: fc.string({ maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 300 }), fc.integer({ min: -1, max: 320 }), (raw, n) => {
        // Names made unique, as tenant ids are, so the order is total (every SORTS entry ends with the name).
        const list = raw.map((x, i) => ({ events: x.events, name: `${x.name}#${i}` }));
        const compare = (a: (typeof list)[0], b: (typeof list)[0]) =>
          b.events - a.events || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
        const before = [...list];
        expect(firstSorted(list, compare, n)).toEqual([...list].sort(compare).slice(0, Math.max(0, n)));
        expect(list).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
