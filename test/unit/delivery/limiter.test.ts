// Tests for the overall in-flight limit: a counting semaphore with FIFO waiters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../src/delivery/limiter.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Limiter', () => {
  it('never lets more than max holders run at once, and every acquirer eventually runs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 30 }),
        async (max, holds) => {
          const limiter = new Limiter(max);
          let running = 0;
          let peak = 0;
          const done = await Promise.all(
            holds.map(async (turns) => {
              await limiter.acquire();
              running++;
              peak = Math.max(peak, running);
              for (let i = 0; i < turns; i++) await turn();
              running--;
              limiter.release();
              return true;
            }),
          );
          expect(done).toHaveLength(holds.length);
          expect(peak).toBeLessThanOrEqual(max);
          expect(peak).toBe(Math.min(max, holds.length));
          expect(limiter.inUse).toBe(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('hands freed slots to waiters in the order they asked', async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => limiter.acquire().then(() => order.push(n)));
    await turn();
    expect(order).toEqual([]);
    limiter.release();
    await turn();
    // A newcomer arriving while others wait must queue behind them.
    const late = limiter.acquire().then(() => order.push(4));
    for (let i = 0; i < 3; i++) {
      limiter.release();
      await turn();
    }
    await Promise.all([...waiters, late]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(limiter.inUse).toBe(1);
  });

  it('serves thousands of waiters in arrival order, across the compaction of its queue', async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const order: number[] = [];
    const waiting = Array.from({ length: 5000 }, (_, i) => limiter.acquire().then(() => order.push(i)));
    expect(limiter.waiting).toBe(5000);
    for (let i = 0; i < 5000; i++) {
      limiter.release();
      await waiting[i];
    }
    expect(order).toEqual([...Array(5000).keys()]);
    expect(limiter.waiting).toBe(0);
    limiter.release();
    expect(limiter.inUse).toBe(0);
  });
});
