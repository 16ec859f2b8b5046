// The buffer conformance suite: every EventBuffer backend must pass it (model-based run plus named cases).
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBuffer, IncomingEvent, StoredEvent } from '../../../src/buffer/types.js';
import { ErrorCodes } from '../../../src/errors.js';
import { TempDirs, eventsFor } from '../../support/fixtures.js';
import { commandsArb, maxBytesArb, tenantsArb, World, type OpenBuffer } from './model.js';

export type { OpenBuffer } from './model.js';

export interface ConformanceOptions {
  /** The backend keeps its data across close() and a new open() of the same directory. */
  readonly reopen?: boolean;
  /** Model-based runs (default 50; each opens a fresh buffer). */
  readonly numRuns?: number;
}

const ALL = Number.MAX_SAFE_INTEGER;

async function readAll(b: EventBuffer, tenant: string): Promise<StoredEvent[]> {
  return b.read(tenant, 0, ALL, ALL);
}

/** Resolves true if `p` settles within a few event-loop turns, false if it is still pending. */
async function settlesSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

export function bufferConformance(name: string, open: OpenBuffer, options: ConformanceOptions = {}): void {
  describe(`EventBuffer conformance: ${name}`, () => {
    const dirs = new TempDirs();
    const opened: EventBuffer[] = [];
    const openHere = (maxBytes = ALL, dir = dirs.make()): EventBuffer => {
      const b = open(dir, { maxBytes });
      opened.push(b);
      return b;
    };
    afterEach(async () => {
      try {
        for (const b of opened.splice(0)) await b.close();
      } finally {
        dirs.cleanup();
      }
    });

    it('agrees with the in-memory reference over random command sequences', async () => {
      await fc.assert(
        fc.asyncProperty(
          tenantsArb,
          maxBytesArb,
          commandsArb(options.reopen ?? false),
          async (tenants, max, cmds) => {
            const world = new World(open, dirs.make(), max, tenants);
            try {
              await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
            } finally {
              await world.close();
            }
          },
        ),
        { numRuns: options.numRuns ?? 50 },
      );
    });

    it('reads a tenant in append order, honouring limit and maxBytes but always returning one event', async () => {
      const b = openHere();
      const big: IncomingEvent = { tenant: 'a', receivedAt: 1, payload: Buffer.alloc(500, 120) };
      await b.append([big, ...eventsFor('a', 5, 0, 2), ...eventsFor('b', 2)]);
      const first = await b.read('a', 0, 10, 10);
      expect(first.map((e) => e.payload)).toEqual([big.payload]);
      const rest = await b.read('a', first[0]!.seq, 3, ALL);
      expect(rest.map((e) => JSON.parse(e.payload.toString()) as unknown)).toEqual(
        [0, 1, 2].map((n) => ({ tenantId: 'a', n })),
      );
      const size = rest[0]!.payload.byteLength;
      expect(await b.read('a', first[0]!.seq, 10, size * 2)).toHaveLength(2);
      expect(await b.read('nobody', 0, 10, ALL)).toEqual([]);
    });

    it('round-trips arbitrary payload bytes exactly', async () => {
      const b = openHere();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 10 }),
          async (arrays) => {
            const payloads = arrays.map((a) => Buffer.from(a));
            await b.append(payloads.map((payload) => ({ tenant: 'bytes', receivedAt: 1, payload })));
            const stored = await readAll(b, 'bytes');
            expect(stored.map((e) => e.payload)).toEqual(payloads);
            await b.ack(stored);
            expect(b.stats().events).toBe(0);
          },
        ),
        { numRuns: 50 },
      );
    });

    it('never reuses an id, even after every event was acknowledged', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 3));
      const before = await readAll(b, 'a');
      await b.ack(before);
      expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
      await b.append(eventsFor('a', 3));
      const after = await readAll(b, 'a');
      expect(new Set([...before, ...after].map((e) => e.id)).size).toBe(6);
      expect(Math.min(...after.map((e) => e.seq))).toBeGreaterThan(Math.max(...before.map((e) => e.seq)));
    });

    it('persists retry attempts and moves dead letters out of the events', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 3));
      const [e1, e2, e3] = await readAll(b, 'a');
      await b.retryLater([e1!, e2!], 12345);
      await b.deadLetter([{ event: e2!, status: 400, reason: 'bad' }]);
      // Already gone: dead-lettering or acking it again changes nothing.
      await b.deadLetter([{ event: e2!, status: 400, reason: 'bad' }]);
      await b.ack([e2!]);
      const left = await readAll(b, 'a');
      expect(left.map((e) => [e.id, e.attempts, e.nextAttemptAt])).toEqual([
        [e1!.id, 1, 12345],
        [e3!.id, 0, 0],
      ]);
      expect(b.stats()).toMatchObject({ events: 2, deadLetters: 1 });
    });

    it('lists the backlog of exactly the tenants with events', async () => {
      const b = openHere();
      await b.append([
        ...eventsFor('a', 2, 0, 100),
        ...eventsFor('b', 1, 0, 200),
        ...eventsFor('a', 1, 2, 300),
      ]);
      const a = await readAll(b, 'a');
      await b.ack(a.slice(0, 1));
      await b.append(eventsFor('c', 1, 0, 400));
      await b.ack(await readAll(b, 'c'));
      const backlog = (await b.backlog()).sort((x, y) => x.tenant.localeCompare(y.tenant));
      expect(
        backlog.map(({ tenant, events, oldestReceivedAt }) => ({ tenant, events, oldestReceivedAt })),
      ).toEqual([
        { tenant: 'a', events: 2, oldestReceivedAt: 100 },
        { tenant: 'b', events: 1, oldestReceivedAt: 200 },
      ]);
      expect(backlog.reduce((n, t) => n + t.bytes, 0)).toBe(b.stats().bytes);
    });

    it('is full at its byte cap and wakes whenNotFull once acks bring it below', async () => {
      const b = openHere(1000);
      await expect(settlesSoon(b.whenNotFull())).resolves.toBe(true);
      while (!b.isFull()) await b.append(eventsFor('a', 1));
      const events = await readAll(b, 'a');
      const notFull = b.whenNotFull();
      await b.append(eventsFor('a', 2));
      expect(await settlesSoon(notFull)).toBe(false);
      await b.ack(events.slice(0, 1));
      // One event less than the count that first reached the cap, plus two more: still full.
      expect(b.isFull()).toBe(true);
      expect(await settlesSoon(notFull)).toBe(false);
      await b.ack(events);
      expect(b.isFull()).toBe(false);
      expect(await settlesSoon(notFull)).toBe(true);
    });

    it('wakes whenNotFull when dead letters bring it below the cap', async () => {
      const b = openHere(300);
      while (!b.isFull()) await b.append(eventsFor('a', 1));
      const notFull = b.whenNotFull();
      await b.deadLetter((await readAll(b, 'a')).map((event) => ({ event, status: null, reason: 'x' })));
      expect(await settlesSoon(notFull)).toBe(true);
    });

    it('stops notifying an unsubscribed listener', async () => {
      const b = openHere();
      const seen: number[] = [];
      const off = b.onCommit((n) => seen.push(n.get('a')?.count ?? 0));
      await b.append(eventsFor('a', 2));
      off();
      await b.append(eventsFor('a', 1));
      expect(seen).toEqual([2]);
    });

    it('refuses writes after close, which is idempotent and releases whenNotFull waiters', async () => {
      const b = openHere(100);
      await b.append(eventsFor('a', 3));
      const [e] = await readAll(b, 'a');
      const waiting = b.whenNotFull();
      await b.close();
      await b.close();
      expect(await settlesSoon(waiting)).toBe(true);
      const closed = expect.objectContaining({ code: ErrorCodes.BUFFER_CLOSED }) as unknown;
      await expect(b.append(eventsFor('a', 1))).rejects.toEqual(closed);
      await expect(b.ack([e!])).rejects.toEqual(closed);
      await expect(b.retryLater([e!], 1)).rejects.toEqual(closed);
      await expect(b.deadLetter([{ event: e!, status: null, reason: 'x' }])).rejects.toEqual(closed);
    });

    if (options.reopen) {
      it('keeps unacknowledged events, ids, attempts and dead letters across close and reopen', async () => {
        const dir = dirs.make();
        const b = open(dir, { maxBytes: ALL });
        await b.append([...eventsFor('a', 4), ...eventsFor('b', 2)]);
        const a = await readAll(b, 'a');
        await b.ack(a.slice(0, 2));
        await b.retryLater(a.slice(2, 3), 999);
        await b.deadLetter([{ event: a[3]!, status: 500, reason: 'boom' }]);
        const before = { a: (await readAll(b, 'a')).map((e) => e.id), stats: b.stats() };
        const pending = b.append(eventsFor('b', 1, 2));
        await b.close();
        await pending;
        const again = openHere(ALL, dir);
        expect(again.bufferId).toBe(b.bufferId);
        const a2 = await readAll(again, 'a');
        expect(a2.map((e) => [e.id, e.attempts, e.nextAttemptAt])).toEqual([[before.a[0], 1, 999]]);
        expect((await readAll(again, 'b')).map((e) => JSON.parse(e.payload.toString()) as unknown)).toEqual(
          [0, 1, 2].map((n) => ({ tenantId: 'b', n })),
        );
        const stats = again.stats();
        expect(stats).toMatchObject({ events: 4, deadLetters: 1 });
        expect(stats.bytes).toBe((await again.backlog()).reduce((n, t) => n + t.bytes, 0));
        expect(stats.bytes).toBeGreaterThan(before.stats.bytes);
      });
    }
  });
}
