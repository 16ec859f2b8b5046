// The buffer conformance suite: every EventBuffer backend must pass it (model-based run plus named cases).
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine, singleLinePayload } from '../../../src/buffer/lines.js';
import type { EventBuffer, IncomingEvent, Lease } from '../../../src/buffer/types.js';
import { ErrorCodes } from '../../../src/errors.js';
import { TempDirs, eventsFor, numberOf } from '../../support/fixtures.js';
import { commandsArb, maxBytesArb, tenantsArb, World, type OpenBuffer } from './model.js';
import { settlesSoon, sumNotices } from './world.js';

export type { OpenBuffer } from './model.js';

export interface ConformanceOptions {
  /** The backend keeps its data across close() and a new open() of the same directory. */
  readonly reopen?: boolean;
  /** Model-based runs (default 50; each opens a fresh buffer). The run stops after 45 s whatever the count. */
  readonly numRuns?: number;
}

const ALL = Number.MAX_SAFE_INTEGER;

/** Claims until nothing is free, checking every lease against the limits; returns the leases in order. */
async function claimAll(b: EventBuffer, tenant: string, maxEvents = ALL, maxBytes = ALL): Promise<Lease[]> {
  const out: Lease[] = [];
  for (
    let l = await b.claim(tenant, maxEvents, maxBytes);
    l;
    l = await b.claim(tenant, maxEvents, maxBytes)
  ) {
    expect(l.count).toBeGreaterThanOrEqual(1);
    expect(l.count).toBeLessThanOrEqual(maxEvents);
    if (l.count > 1) expect(l.bytes).toBeLessThanOrEqual(maxBytes);
    out.push(l);
  }
  if (out.length > 0) expect(out.at(-1)!.more, 'the last lease saw nothing more').toBe(false);
  return out;
}

/** One lease of all `n` free events of a small backlog (no limits: every backend takes them all). */
async function claimWhole(b: EventBuffer, tenant: string, n: number): Promise<Lease> {
  const lease = await b.claim(tenant, ALL, ALL);
  expect(lease?.count, 'a claim without limits takes every free event').toBe(n);
  return lease!;
}

/** Appends one event at a time until admission() says `full` (a few dozen at most for the caps used here). */
async function fill(b: EventBuffer, tenant: string): Promise<void> {
  for (let i = 0; i < 100 && b.admission() !== 'full'; i++) await b.append(eventsFor(tenant, 1, i));
  expect(b.admission(), 'full at the byte cap').toBe('full');
}

const ns = (l: Lease) => l.events().map(numberOf);
const idsOf = (l: Lease) => l.events().map((e) => e.id);

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
            const dir = dirs.make();
            const world = new World(open, dir, max, tenants);
            try {
              await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
              await world.finish();
            } finally {
              await world.close();
              // Shrinking a failure opens hundreds of buffers: remove each one's files at once.
              rmSync(dir, { recursive: true, force: true });
            }
          },
        ),
        {
          numRuns: options.numRuns ?? 50,
          // Shrinking a failure against a slow backend can outlast the test timeout, which then hides the
          // counterexample: stop in time to report the smallest one found so far. Passing runs take far less.
          plugins: [fc.interruptAfterTimeLimit(45_000)],
        },
      );
    });

    it('claims a tenant in append order within maxEvents and maxBytes, but always at least one event', async () => {
      const b = openHere();
      const big: IncomingEvent = { tenant: 'a', receivedAt: 1, payload: Buffer.alloc(500, 120) };
      await b.append([big, ...eventsFor('a', 5, 0, 2), ...eventsFor('b', 2)]);
      const first = (await b.claim('a', 10, 10))!;
      expect(first.events().map((e) => e.payload)).toEqual([big.payload]);
      expect([first.count, first.oldestReceivedAt, first.more]).toEqual([1, 1, true]);
      const line = encodeLine(`${b.bufferId}-2`, 'a', 2, eventsFor('a', 1)[0]!.payload).length;
      expect((await claimAll(b, 'a', 3, 2 * line + 1)).flatMap(ns)).toEqual([0, 1, 2, 3, 4]);
      expect(await b.claim('a', 10, ALL), 'everything is leased').toBeUndefined();
      expect(await b.claim('nobody', 10, ALL)).toBeUndefined();
      expect((await claimAll(b, 'b')).flatMap(ns)).toEqual([0, 1]);
    });

    it('stores each event as its envelope line and hands back its bytes on one line', async () => {
      const b = openHere();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 10 }),
          async (arrays) => {
            const payloads = arrays.map((a) => Buffer.from(a));
            const kept = payloads.map((p) => Buffer.from(singleLinePayload(p)));
            await b.append(payloads.map((payload, i) => ({ tenant: 't"\n', receivedAt: i, payload })));
            // A caller reusing its buffers must not change what was stored.
            for (const p of payloads) p.fill(0x41);
            const leases = await claimAll(b, 't"\n');
            const events = leases.flatMap((l) => l.events());
            expect(events.map((e) => e.payload)).toEqual(kept);
            expect(events.map((e) => [e.tenant, e.receivedAt, e.id])).toEqual(
              events.map((e, i) => ['t"\n', i, `${b.bufferId}-${e.seq}`]),
            );
            const lines = events.map((e) => encodeLine(e.id, e.tenant, e.receivedAt, e.payload));
            expect(Buffer.concat(leases.map((l) => l.ndjson()))).toEqual(Buffer.concat(lines));
            expect(leases.reduce((n, l) => n + l.bytes, 0)).toBe(b.stats().bytes);
            for (const l of leases) await b.ack(l);
            expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
          },
        ),
        { numRuns: 50 },
      );
    });

    it('never reuses an id, even after every event was acknowledged', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 3));
      const before = await claimWhole(b, 'a', 3);
      const ids = idsOf(before);
      const seqs = before.events().map((e) => e.seq);
      await b.ack(before);
      expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
      await b.append(eventsFor('a', 3));
      const after = await claimWhole(b, 'a', 3);
      expect(new Set([...ids, ...idsOf(after)]).size).toBe(6);
      expect(Math.min(...after.events().map((e) => e.seq))).toBeGreaterThan(Math.max(...seqs));
    });

    it('hands out disjoint leases, and released events are the next ones claimed', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 6));
      const l1 = (await b.claim('a', 2, ALL))!;
      const l2 = (await b.claim('a', 2, ALL))!;
      expect([...ns(l1), ...ns(l2)]).toEqual([0, 1, 2, 3].slice(0, l1.count + l2.count));
      b.release(l1);
      expect(l1.count, 'a released lease holds nothing').toBe(0);
      const again = (await b.claim('a', l1.count + 2, ALL))!;
      expect(ns(again)[0]).toBe(0);
      // Settling a released lease changes nothing: its events now belong to `again`.
      await b.ack(l1);
      await b.retry(l1, 5);
      await b.deadLetter(l1, [{ id: idsOf(again)[0]!, status: 400, reason: 'x' }]);
      expect(b.stats()).toMatchObject({ events: 6, deadLetters: 0 });
      expect(again.attempts).toBe(0);
      b.release(again);
      b.release(l2);
      expect((await claimAll(b, 'a')).flatMap(ns)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('acks a whole lease or only the ids it names, ignoring ids it does not hold', async () => {
      const b = openHere();
      await b.append([...eventsFor('a', 4, 0, 100), ...eventsFor('a', 1, 4, 200)]);
      const lease = await claimWhole(b, 'a', 5);
      const ids = idsOf(lease);
      await b.append(eventsFor('a', 1, 5));
      const other = await claimWhole(b, 'a', 1);
      await b.ack(lease, [ids[0]!, ids[2]!, idsOf(other)[0]!, `${b.bufferId}-0`]);
      expect([lease.count, ns(lease), lease.oldestReceivedAt]).toEqual([3, [1, 3, 4], 100]);
      expect(lease.ndjson().toString()).toBe(
        lease
          .events()
          .map((e) => encodeLine(e.id, e.tenant, e.receivedAt, e.payload).toString())
          .join(''),
      );
      expect(lease.bytes).toBe(lease.ndjson().length);
      expect(b.stats()).toMatchObject({ events: 4, bytes: lease.bytes + other.bytes });
      await b.ack(lease, [ids[1]!, ids[3]!]);
      expect([lease.count, ns(lease), lease.oldestReceivedAt]).toEqual([1, [4], 200]);
      await b.ack(lease);
      expect([lease.count, lease.bytes, lease.ndjson().length]).toEqual([0, 0, 0]);
      await b.ack(lease);
      await b.ack(lease, ids);
      expect(b.stats()).toMatchObject({ events: 1, bytes: other.bytes });
    });

    it('records attempts and notBefore exactly when a whole lease is retried, across release and reclaim', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 3));
      const lease = await claimWhole(b, 'a', 3);
      expect([lease.attempts, lease.notBefore]).toEqual([0, 0]);
      await b.retry(lease, 12_345);
      expect([lease.count, lease.attempts, lease.notBefore]).toEqual([3, 1, 12_345]);
      b.release(lease);
      const again = await claimWhole(b, 'a', 3);
      expect([again.attempts, again.notBefore]).toEqual([1, 12_345]);
      await b.retry(again, 23_456);
      expect([again.attempts, again.notBefore]).toEqual([2, 23_456]);
      b.release(again);
      expect([(await claimWhole(b, 'a', 3)).attempts, b.stats().events]).toEqual([2, 3]);
    });

    it('never brings a retried event forward: retrying one lease keeps the notBefore of another', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 4));
      const l1 = (await b.claim('a', 2, ALL))!;
      const l2 = (await b.claim('a', 4 - l1.count, ALL))!;
      expect(l1.count + l2.count).toBe(4);
      await b.retry(l1, 5000);
      await b.retry(l2, 3000);
      // State may be shared by storage unit (then at least the later of the two), never lowered for l1's events.
      expect(l1.notBefore).toBeGreaterThanOrEqual(5000);
      expect(l2.notBefore).toBeGreaterThanOrEqual(3000);
      b.release(l1);
      b.release(l2);
      const all = await claimWhole(b, 'a', 4);
      expect(all.attempts).toBeGreaterThanOrEqual(1);
      expect(all.notBefore, 'the first two events were told to wait until 5000').toBeGreaterThanOrEqual(5000);
    });

    it('dead-letters only the named events of a lease, which shrinks; unknown ids and repeats change nothing', async () => {
      const b = openHere();
      await b.append(eventsFor('a', 3));
      const lease = await claimWhole(b, 'a', 3);
      const [e1, e2, e3] = idsOf(lease);
      await b.retry(lease, 999);
      await b.deadLetter(lease, [{ id: e2!, status: 400, reason: 'bad' }]);
      expect([lease.count, idsOf(lease)]).toEqual([2, [e1, e3]]);
      expect(b.stats()).toMatchObject({ events: 2, bytes: lease.bytes, deadLetters: 1 });
      await b.deadLetter(lease, [
        { id: e2!, status: 400, reason: 'bad' },
        { id: `${b.bufferId}-0`, status: null, reason: 'x' },
      ]);
      await b.deadLetter(lease, []);
      await b.ack(lease, [e2!]);
      expect(b.stats()).toMatchObject({ events: 2, deadLetters: 1 });
      b.release(lease);
      const left = await claimWhole(b, 'a', 2);
      expect([idsOf(left), left.attempts, left.notBefore]).toEqual([[e1, e3], 1, 999]);
    });

    it('lists the backlog of exactly the tenants with events, leased ones included', async () => {
      const b = openHere();
      await b.append([
        ...eventsFor('a', 2, 0, 100),
        ...eventsFor('b', 1, 0, 200),
        ...eventsFor('a', 1, 2, 300),
      ]);
      const a = await claimWhole(b, 'a', 3);
      await b.ack(a, idsOf(a).slice(0, 1));
      await b.append(eventsFor('c', 1, 0, 400));
      await b.ack(await claimWhole(b, 'c', 1));
      const backlog = (await b.backlog()).sort((x, y) => x.tenant.localeCompare(y.tenant));
      expect(
        backlog.map(({ tenant, events, bytes, oldestReceivedAt }) => ({
          tenant,
          events,
          bytes,
          oldestReceivedAt,
        })),
      ).toEqual([
        { tenant: 'a', events: 2, bytes: a.bytes, oldestReceivedAt: 100 },
        { tenant: 'b', events: 1, bytes: b.stats().bytes - a.bytes, oldestReceivedAt: 200 },
      ]);
      // The allocation-free walk visits the same tenants, once each, with the same oldest times.
      const visited: [string, number][] = [];
      b.forEachTenant((tenant, oldest) => visited.push([tenant, oldest]));
      expect(visited.sort(([x], [y]) => x.localeCompare(y))).toEqual([
        ['a', 100],
        ['b', 200],
      ]);
    });

    it('lists only the N tenants whose oldest event is oldest, oldest first, when asked for them', async () => {
      const b = openHere();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 0, maxLength: 40 }),
          fc.integer({ min: 0, max: 12 }),
          async (times, limit) => {
            // A fresh set of tenant names per run; tenants left by earlier runs are older than every time here.
            const run = `r${Math.random().toString(36).slice(2, 8)}-`;
            const base = Date.now() + 10_000;
            await b.append(times.flatMap((t, i) => eventsFor(`${run}${i}`, 1, 0, base + t)));
            const all = (await b.backlog()).filter((x) => x.tenant.startsWith(run));
            const expected = all
              .map((x) => x.oldestReceivedAt)
              .sort((x, y) => x - y)
              .slice(0, limit);
            const mine = (await b.backlog({ oldest: 100_000 })).filter((x) => x.tenant.startsWith(run));
            const top = mine.slice(0, limit);
            expect(top.map((x) => x.oldestReceivedAt)).toEqual(expected);
            expect((await b.backlog({ oldest: limit })).length).toBe(
              Math.min(limit, (await b.backlog()).length),
            );
          },
        ),
        { numRuns: 30 },
      );
    });

    it('announces each commit per tenant, and stops notifying an unsubscribed listener', async () => {
      const b = openHere();
      const seen: Parameters<Parameters<EventBuffer['onCommit']>[0]>[0][] = [];
      const off = b.onCommit((n) => seen.push(n));
      await b.append([
        ...eventsFor('a', 2, 0, 100),
        ...eventsFor('b', 1, 0, 200),
        ...eventsFor('a', 1, 2, 300),
      ]);
      expect(sumNotices(seen)).toEqual(
        new Map([
          ['a', { count: 3, firstReceivedAt: 100 }],
          ['b', { count: 1, firstReceivedAt: 200 }],
        ]),
      );
      off();
      await b.append(eventsFor('a', 1));
      expect(sumNotices(seen).get('a')?.count).toBe(3);
    });

    it('is full at its byte cap and wakes whenOpen once acks bring it below', async () => {
      const b = openHere(1000);
      expect(b.admission()).toBe('open');
      await expect(settlesSoon(b.whenOpen())).resolves.toBe(true);
      await fill(b, 'a');
      const lease = await claimWhole(b, 'a', b.stats().events);
      const open = b.whenOpen();
      await b.append(eventsFor('a', 2));
      expect(await settlesSoon(open)).toBe(false);
      await b.ack(lease, idsOf(lease).slice(0, 1));
      // One event less than the count that first reached the cap, plus two more: still full.
      expect(b.admission()).toBe('full');
      expect(await settlesSoon(open)).toBe(false);
      await b.ack(lease);
      expect(b.admission()).toBe('open');
      expect(await settlesSoon(open)).toBe(true);
    });

    it('wakes whenOpen when dead letters bring it below the cap', async () => {
      const b = openHere(300);
      await fill(b, 'a');
      const lease = await claimWhole(b, 'a', b.stats().events);
      const open = b.whenOpen();
      await b.deadLetter(
        lease,
        idsOf(lease).map((id) => ({ id, status: null, reason: 'x' })),
      );
      expect(b.stats()).toMatchObject({ events: 0, bytes: 0 });
      expect(await settlesSoon(open)).toBe(true);
    });

    it('refuses calls after close, which is idempotent and releases whenOpen waiters', async () => {
      const b = openHere(100);
      await b.append(eventsFor('a', 3));
      const lease = await claimWhole(b, 'a', 3);
      const waiting = b.whenOpen();
      await b.close();
      await b.close();
      expect(await settlesSoon(waiting)).toBe(true);
      expect(await settlesSoon(b.whenOpen())).toBe(true);
      const closed = expect.objectContaining({ code: ErrorCodes.BUFFER_CLOSED }) as unknown;
      await expect(b.append(eventsFor('a', 1))).rejects.toEqual(closed);
      await expect(b.claim('a', ALL, ALL)).rejects.toEqual(closed);
      await expect(b.ack(lease)).rejects.toEqual(closed);
      await expect(b.retry(lease, 1)).rejects.toEqual(closed);
      await expect(
        b.deadLetter(lease, [{ id: idsOf(lease)[0] ?? 'x', status: null, reason: 'x' }]),
      ).rejects.toEqual(closed);
    });

    if (options.reopen) {
      it('never reuses an id across a reopen, even when the newest events were acknowledged', async () => {
        const dir = dirs.make();
        const b = openHere(ALL, dir);
        await b.append([...eventsFor('a', 2), ...eventsFor('b', 2)]);
        const acked = await claimWhole(b, 'b', 2);
        const last = Math.max(...acked.events().map((e) => e.seq));
        await b.ack(acked);
        await b.close();
        const again = openHere(ALL, dir);
        await again.append(eventsFor('b', 1, 2));
        const fresh = (await claimWhole(again, 'b', 1)).events()[0]!;
        expect(fresh.seq).toBeGreaterThan(last);
        expect(idsOf(await claimWhole(again, 'a', 2))).not.toContain(fresh.id);
      });

      it('keeps unacknowledged events, leased ones, ids, retry state and dead letters across close and reopen', async () => {
        const dir = dirs.make();
        const b = openHere(ALL, dir);
        await b.append([...eventsFor('a', 4, 0, 100), ...eventsFor('b', 2, 0, 200)]);
        const a = await claimWhole(b, 'a', 4);
        const ids = idsOf(a);
        await b.ack(a, ids.slice(0, 2));
        await b.retry(a, 999);
        await b.deadLetter(a, [{ id: ids[3]!, status: 500, reason: 'boom' }]);
        const held = await claimWhole(b, 'b', 2);
        const bIds = idsOf(held);
        const lastSeq = held.events().at(-1)!.seq;
        // Appended but not yet committed when close() starts: close commits it.
        const pending = b.append(eventsFor('b', 1, 2, 300));
        await b.close();
        await pending;
        const again = openHere(ALL, dir);
        expect(again.bufferId).toBe(b.bufferId);
        const a2 = await claimWhole(again, 'a', 1);
        expect([idsOf(a2), a2.attempts, a2.notBefore]).toEqual([[ids[2]], 1, 999]);
        const b2 = await claimWhole(again, 'b', 3);
        expect([ns(b2), idsOf(b2).slice(0, 2), b2.oldestReceivedAt]).toEqual([[0, 1, 2], bIds, 200]);
        const stats = again.stats();
        expect(stats).toMatchObject({ events: 4, deadLetters: 1, bytes: a2.bytes + b2.bytes });
        expect(stats.bytes).toBe((await again.backlog()).reduce((n, t) => n + t.bytes, 0));
        await again.append(eventsFor('c', 1));
        const c = await claimWhole(again, 'c', 1);
        expect(c.events()[0]!.seq, 'seqs keep increasing across a reopen').toBeGreaterThan(
          Math.max(lastSeq, ...b2.events().map((e) => e.seq)),
        );
      });
    }
  });
}
