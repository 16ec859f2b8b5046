// Runs the buffer conformance suite against the in-memory reference itself (its store stands in for the disk),
// plus what only the reference promises: the full greedy claim, its dead-letter list and failure injection.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { eventsFor, numberOf } from '../../support/fixtures.js';
import { MemoryBuffer, MemoryStore, type MemoryOp } from '../../support/memory-buffer.js';
import { bufferConformance } from './conformance.js';

const stores = new Map<string, MemoryStore>();

bufferConformance(
  'memory',
  (dir, { maxBytes }) => {
    let store = stores.get(dir);
    if (!store) stores.set(dir, (store = new MemoryStore()));
    return new MemoryBuffer({ store, maxBytes });
  },
  { reopen: true },
);

const ALL = Number.MAX_SAFE_INTEGER;

describe('MemoryBuffer (the reference)', () => {
  it('claims the whole greedy prefix: every free event that fits maxEvents and maxBytes', async () => {
    const b = new MemoryBuffer();
    // Nine events: ids and payloads of one length, so every line is the same size.
    await b.append(eventsFor('a', 9));
    const line = b.stats().bytes / 9;
    const lease = (await b.claim('a', 8, 3 * line))!;
    expect([lease.count, lease.bytes, lease.more]).toEqual([3, 3 * line, true]);
    expect((await b.claim('a', 5, ALL))!.count).toBe(5);
    expect(b.unleased('a')).toBe(1);
    const last = (await b.claim('a', ALL, ALL))!;
    expect([last.count, last.more, b.unleased('a')]).toEqual([1, false, 0]);
  });

  it('lists dead letters in order with status, reason and attempts', async () => {
    const b = new MemoryBuffer();
    await b.append(eventsFor('a', 3));
    const lease = (await b.claim('a', ALL, ALL))!;
    const [e1, e2, e3] = lease.events();
    await b.retry(lease, 1);
    const before = Date.now();
    await b.deadLetter(lease, [
      { id: e3!.id, status: null, reason: 'timeout' },
      { id: e1!.id, status: 400, reason: 'bad' },
    ]);
    expect(b.deadLetters.map((d) => [numberOf(d.event), d.event.id, d.status, d.reason, d.attempts])).toEqual(
      [
        [0, e1!.id, 400, 'bad', 2],
        [2, e3!.id, null, 'timeout', 2],
      ],
    );
    expect(b.deadLetters[0]!.failedAt).toBeGreaterThanOrEqual(before);
    expect(lease.events().map((e) => e.id)).toEqual([e2!.id]);
  });

  it('fails the calls a fault names, changing nothing, until the fault is cleared', async () => {
    const fail = (op: MemoryOp) => new Error(`${op} failed`);
    const b = new MemoryBuffer({ fault: fail });
    await expect(b.append(eventsFor('a', 1))).rejects.toThrow('append failed');
    expect(b.stats().events).toBe(0);
    b.fault = undefined;
    await b.append(eventsFor('a', 2));
    const lease = (await b.claim('a', ALL, ALL))!;
    // A failed append used no seq: the first stored event is seq 1.
    expect(lease.events().map((e) => e.id)).toEqual([`${b.bufferId}-1`, `${b.bufferId}-2`]);
    b.fault = (op) => (op === 'backlog' ? undefined : fail(op));
    await expect(b.claim('a', ALL, ALL)).rejects.toThrow('claim failed');
    await expect(b.ack(lease)).rejects.toThrow('ack failed');
    await expect(b.retry(lease, 5)).rejects.toThrow('retry failed');
    await expect(b.deadLetter(lease, [{ id: `${b.bufferId}-1`, status: 400, reason: 'x' }])).rejects.toThrow(
      'deadLetter failed',
    );
    expect(await b.backlog()).toHaveLength(1);
    expect([lease.count, lease.attempts, b.stats().events, b.stats().deadLetters]).toEqual([2, 0, 2, 0]);
  });

  it('refuses a lease another buffer issued', async () => {
    const store = new MemoryStore();
    const first = new MemoryBuffer({ store });
    await first.append(eventsFor('a', 1));
    const lease = (await first.claim('a', ALL, ALL))!;
    const other = new MemoryBuffer({ store });
    await expect(other.ack(lease)).rejects.toMatchObject({ code: ErrorCodes.BUFFER_COMMIT });
    expect(() => other.release(lease)).toThrow('not issued by this buffer');
    expect(other.stats().events).toBe(1);
  });
});
