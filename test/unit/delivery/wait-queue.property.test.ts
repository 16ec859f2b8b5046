// The lane wait queue against a model (an ordered list): first come first served, a tenant queued once with
// the older of its times, removals honoured, however adds, deletes and shifts interleave.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaitQueue } from '../../../src/delivery/wait-queue.js';

type Op = { add: [number, number] } | { del: number } | { shift: true };

describe('WaitQueue', () => {
  it('serves tenants in arrival order, each once, with its oldest time (model: an ordered list)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ add: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 100 })) }),
      fc.record({ del: fc.integer({ min: 0, max: 9 }) }),
      fc.constant({ shift: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const q = new WaitQueue();
        const model: { tenant: string; since: number }[] = [];
        for (const o of ops) {
          if ('add' in o) {
            const [t, since] = o.add;
            const tenant = `t${t}`;
            const known = model.find((m) => m.tenant === tenant);
            if (known) known.since = Math.min(known.since, since);
            else model.push({ tenant, since });
            q.add(tenant, since);
          } else if ('del' in o) {
            const i = model.findIndex((m) => m.tenant === `t${o.del}`);
            expect(q.delete(`t${o.del}`)).toBe(i >= 0);
            if (i >= 0) model.splice(i, 1);
          } else {
            expect(q.shift()).toEqual(model.shift());
          }
          expect(q.size).toBe(model.length);
          for (const m of model) expect(q.get(m.tenant)).toBe(m.since);
        }
      }),
    );
  });

  it('keeps order and times across its array growing and its consumed front being dropped', () => {
    const q = new WaitQueue();
    for (let i = 0; i < 5000; i++) q.add(`a${i}`, 1_790_000_000_000 + i);
    for (let i = 0; i < 3000; i++)
      expect(q.shift()).toEqual({ tenant: `a${i}`, since: 1_790_000_000_000 + i });
    for (let i = 0; i < 3000; i++) q.add(`b${i}`, 1_800_000_000_000 + i);
    expect(q.get('a4999')).toBe(1_790_000_004_999);
    expect(q.get('b2999')).toBe(1_800_000_002_999);
    const rest = [];
    for (let e = q.shift(); e; e = q.shift()) rest.push(e.tenant);
    expect(rest).toEqual([
      ...Array.from({ length: 2000 }, (_, i) => `a${3000 + i}`),
      ...Array.from({ length: 3000 }, (_, i) => `b${i}`),
    ]);
    expect(q.size).toBe(0);
  });
});
