// The wake-up heap gives entries back earliest first, each exactly once, however pushes and pops interleave.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WakeQueue } from '../../../src/delivery/wake-queue.js';

describe('WakeQueue', () => {
  it('pops in time order and loses nothing (model: a sorted list)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 50 }) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new WakeQueue();
        const model: { at: number; tenant: string }[] = [];
        let n = 0;
        for (const o of ops) {
          if ('push' in o) {
            const tenant = `t${n++}`;
            q.push(o.push, tenant);
            model.push({ at: o.push, tenant });
          } else {
            const got = q.pop();
            if (model.length === 0) {
              expect(got).toBeUndefined();
              continue;
            }
            const earliest = Math.min(...model.map((m) => m.at));
            expect(got?.at).toBe(earliest);
            const i = model.findIndex((m) => m.at === got!.at && m.tenant === got!.tenant);
            expect(i).toBeGreaterThanOrEqual(0);
            model.splice(i, 1);
          }
          expect(q.size).toBe(model.length);
          expect(q.next).toBe(model.length ? Math.min(...model.map((m) => m.at)) : undefined);
        }
      }),
    );
  });
});
