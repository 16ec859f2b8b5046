// The model-based half of the buffer conformance suite: a backend and the in-memory reference run the same
// random commands side by side (leases paired), and after each one every observable answer must agree.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { IncomingEvent } from '../../../src/buffer/types.js';
import { HUGE, World, expectLease, type EventSpec, type LeasePair } from './world.js';

export { World, type OpenBuffer } from './world.js';
type Cmd = fc.AsyncCommand<object, World>;

/** Runs a command's body, then checks the commit notices it caused (of `appended` only) and every answer. */
async function step(
  w: World,
  appended: readonly IncomingEvent[],
  body: () => Promise<void> | void,
): Promise<void> {
  w.notices = [];
  await body();
  w.expectNotices(appended);
  await w.verify();
}

/** `ids` of a partial settle, or undefined for the whole lease. */
const idsFor = (w: World, pair: LeasePair, picks: readonly number[] | null) =>
  picks === null ? undefined : w.ids(pair, picks);
const showPicks = (picks: readonly number[] | null) => (picks === null ? 'all' : `[${picks.join(',')}]`);

class Append implements Cmd {
  constructor(readonly batches: readonly (readonly EventSpec[])[]) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batches = this.batches.map((b) => w.incoming(b));
    await step(w, batches.flat(), async () => {
      // Concurrent calls: they may share one commit (and one notice), and every promise must still resolve.
      await Promise.all(batches.map((b) => w.real.append(b)));
      for (const b of batches) await w.ref.append(b);
    });
  }
  toString = () => `append(${this.batches.map((b) => b.length).join('+')})`;
}

class Claim implements Cmd {
  constructor(
    readonly tenant: number,
    readonly maxEvents: number,
    readonly maxBytes: number,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const tenant = w.tenant(this.tenant);
    await step(w, [], async () => {
      const free = w.ref.unleased(tenant);
      const real = await w.real.claim(tenant, this.maxEvents, this.maxBytes);
      expect(real !== undefined, 'a lease exactly when an event is free').toBe(free > 0);
      if (!real) return;
      // The reference takes the greedy prefix; a backend may stop short of it (at a storage boundary), so the
      // reference then takes exactly as many. These restate the limits so a failure names the broken one.
      expect(real.count, 'at least one event').toBeGreaterThanOrEqual(1);
      expect(real.count, 'at most maxEvents').toBeLessThanOrEqual(this.maxEvents);
      if (real.count > 1) expect(real.bytes, 'within maxBytes').toBeLessThanOrEqual(this.maxBytes);
      expect(real.count, 'no more than the free events').toBeLessThanOrEqual(free);
      const pair = { ref: (await w.ref.claim(tenant, real.count, HUGE))!, real };
      expectLease(pair);
      expect(real.more, 'more').toBe(pair.ref.more);
      w.held.push(pair);
    });
  }
  toString = () => `claim(t${this.tenant}, ${this.maxEvents}, ${this.maxBytes}B)`;
}

class Ack implements Cmd {
  constructor(
    readonly lease: number,
    readonly picks: readonly number[] | null,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const pair = w.lease(this.lease);
    await step(w, [], async () => {
      if (!pair) return;
      const ids = idsFor(w, pair, this.picks);
      await w.real.ack(pair.real, ids);
      await w.ref.ack(pair.ref, ids);
      w.settled(pair);
    });
  }
  toString = () => `ack(#${this.lease}, ${showPicks(this.picks)})`;
}

class Retry implements Cmd {
  constructor(
    readonly lease: number,
    readonly delayMs: number,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const pair = w.lease(this.lease);
    await step(w, [], async () => {
      if (!pair) return;
      await w.real.retry(pair.real, w.clock + this.delayMs);
      await w.ref.retry(pair.ref, w.clock + this.delayMs);
      w.settled(pair);
    });
  }
  toString = () => `retry(#${this.lease}, +${this.delayMs})`;
}

class DeadLetter implements Cmd {
  constructor(
    readonly lease: number,
    readonly picks: readonly number[],
    readonly status: number | null,
    readonly reason: string,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const pair = w.lease(this.lease);
    await step(w, [], async () => {
      if (!pair) return;
      const rejections = w
        .ids(pair, this.picks)
        .map((id) => ({ id, status: this.status, reason: this.reason }));
      await w.real.deadLetter(pair.real, rejections);
      await w.ref.deadLetter(pair.ref, rejections);
      w.settled(pair);
    });
  }
  toString = () => `deadLetter(#${this.lease}, ${showPicks(this.picks)}, ${this.status})`;
}

class Release implements Cmd {
  constructor(readonly lease: number) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const pair = w.lease(this.lease);
    await step(w, [], () => {
      if (!pair) return;
      // Its events become the tenant's oldest free ones: the next claim must take them first.
      w.real.release(pair.real);
      w.ref.release(pair.ref);
      w.settled(pair);
    });
  }
  toString = () => `release(#${this.lease})`;
}

class AppendAndAck implements Cmd {
  constructor(
    readonly batch: readonly EventSpec[],
    readonly lease: number,
    readonly picks: readonly number[] | null,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batch = w.incoming(this.batch);
    const pair = w.lease(this.lease);
    await step(w, batch, async () => {
      const ids = pair && idsFor(w, pair, this.picks);
      // An append and a delete issued in the same turn may share one commit.
      await Promise.all([w.real.append(batch), pair && w.real.ack(pair.real, ids)]);
      await w.ref.append(batch);
      if (!pair) return;
      await w.ref.ack(pair.ref, ids);
      w.settled(pair);
    });
  }
  toString = () => `appendAndAck(${this.batch.length}, #${this.lease}, ${showPicks(this.picks)})`;
}

class Reopen implements Cmd {
  constructor(readonly pending: readonly EventSpec[]) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batch = w.incoming(this.pending);
    // Appended but not yet committed when close() starts: close commits it, so the promise resolves.
    const appended = batch.length > 0 ? w.real.append(batch) : Promise.resolve();
    await w.ref.append(batch);
    await w.reopen(appended);
  }
  toString = () => `closeAndReopen(pending ${this.pending.length})`;
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
// Arbitrary bytes (the buffer must not care), real JSON events, and pretty-printed ones whose CR/LF the
// stored line turns into spaces.
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.json({ maxDepth: 2 }).map((j) => bytes(`{"tenantId":"t","v":${j}}`)),
  fc
    .tuple(fc.json({ maxDepth: 1 }), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([j, nl]) => bytes(`{${nl}  "tenantId": "t",${nl}  "v": ${j}${nl}}${nl}`)),
);
const eventSpec = fc.record({ tenant: fc.nat(7), payload, dt: fc.oneof(fc.constant(0), fc.nat(1000)) });
const batch = fc.array(eventSpec, { minLength: 1, maxLength: 8 });
/** Half the time a whole-lease settle, else ids picked among the lease's own, other leases' and unknown ones. */
const picks = fc.option(fc.array(fc.nat(), { maxLength: 6 }), { nil: null, freq: 2 });
const lease = fc.nat();

export function commandsArb(reopen: boolean): fc.Arbitrary<Iterable<Cmd>> {
  const claim = fc
    .tuple(
      fc.nat(7),
      fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(HUGE)),
      fc.oneof(fc.nat(600), fc.constant(HUGE)),
    )
    .map(([t, n, b]): Cmd => new Claim(t, n, b));
  // Weighted so that runs append and claim often enough to keep several leases in play; `size: '+1'` makes
  // runs of about 20 commands (the default size gives about 5).
  const cmds: fc.WeightedArbitrary<Cmd>[] = [
    { weight: 3, arbitrary: fc.array(batch, { minLength: 1, maxLength: 3 }).map((b) => new Append(b)) },
    { weight: 4, arbitrary: claim },
    { weight: 2, arbitrary: fc.tuple(lease, picks).map(([l, p]) => new Ack(l, p)) },
    { weight: 2, arbitrary: fc.tuple(lease, fc.nat(60_000)).map(([l, d]) => new Retry(l, d)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          lease,
          fc.array(fc.nat(), { maxLength: 6 }),
          fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
          fc.string({ maxLength: 30 }),
        )
        .map(([l, p, s, r]) => new DeadLetter(l, p, s, r)),
    },
    { weight: 2, arbitrary: lease.map((l) => new Release(l)) },
    { weight: 2, arbitrary: fc.tuple(batch, lease, picks).map(([b, l, p]) => new AppendAndAck(b, l, p)) },
  ];
  if (reopen)
    cmds.push({ weight: 1, arbitrary: fc.array(eventSpec, { maxLength: 4 }).map((b) => new Reopen(b)) });
  return fc.commands([fc.oneof(...cmds)], { maxCommands: 40, size: '+1' });
}

/** Tenant names: plain, unicode, the longest allowed, and random well-formed strings. */
export const tenantsArb = fc.uniqueArray(
  fc.oneof(
    fc.constantFrom('acme', 'globex', 'ünïcødé-😀', 'x'.repeat(256), 'with space', 'a\u0000b', 'q"uote\\'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** Small caps make admission() flip to `full` during a run; the huge one never does. */
export const maxBytesArb = fc.oneof(fc.integer({ min: 100, max: 5000 }), fc.constant(HUGE));
