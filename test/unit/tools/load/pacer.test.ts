// Tests for the fixed-rate pacer: it sleeps only when a whole slice ahead of its schedule.
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../../../src/tools/load/pacer.js';

/** Resolves after pending microtasks and one macrotask turn, so an unsleeping take() has settled. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function tracked(p: Promise<void>): { done: () => boolean; p: Promise<void> } {
  let finished = false;
  const q = p.then(() => {
    finished = true;
  });
  return { done: () => finished, p: q };
}

describe('Pacer', () => {
  it('lets events through without waiting while less than a slice ahead', async () => {
    const pacer = new Pacer(1000, { sliceMs: 10, now: () => 0 });
    // Due times 0, 5 ms: both under the 10 ms slice.
    const a = tracked(pacer.take(5));
    const b = tracked(pacer.take(5));
    await settle();
    expect(a.done()).toBe(true);
    expect(b.done()).toBe(true);
  });

  it('waits once the schedule is a full slice ahead of the clock', async () => {
    const pacer = new Pacer(1000, { sliceMs: 10, now: () => 0 });
    await pacer.take(10); // due at 0 ms
    const late = tracked(pacer.take(1)); // due at 10 ms, clock frozen at 0: must sleep
    await settle();
    expect(late.done()).toBe(false);
    await late.p;
    expect(late.done()).toBe(true);
  });

  it('does not wait when the clock has caught up', async () => {
    let now = 0;
    const pacer = new Pacer(100, { sliceMs: 10, now: () => now });
    await pacer.take(1);
    now = 1000; // 1 s later: 100 events allowed, only 1 used
    const next = tracked(pacer.take(50));
    await settle();
    expect(next.done()).toBe(true);
  });

  it('rejects a sleeping take when the signal aborts', async () => {
    const ac = new AbortController();
    const pacer = new Pacer(1, { sliceMs: 10, now: () => 0, signal: ac.signal });
    await pacer.take(1);
    const p = pacer.take(1); // due in 1 s
    ac.abort();
    await expect(p).rejects.toThrow(/abort/i);
  });

  it('refuses a non-positive rate', () => {
    expect(() => new Pacer(0)).toThrow(RangeError);
    expect(() => new Pacer(-5)).toThrow(RangeError);
  });
});
