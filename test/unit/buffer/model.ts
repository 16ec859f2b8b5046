// The model-based half of the buffer conformance suite: a backend and the in-memory reference run the same
// random commands side by side, and after each one every observable answer must agree.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { CommitNotice, IncomingEvent } from '../../../src/buffer/types.js';
import { HUGE, World, type EventSpec } from './world.js';

export { World, type OpenBuffer } from './world.js';
type Cmd = fc.AsyncCommand<object, World>;

class Append implements Cmd {
  constructor(readonly batches: readonly (readonly EventSpec[])[]) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batches = this.batches.map((b) => w.incoming(b));
    w.notices = [];
    // Concurrent calls: they may share one commit, and every promise must still resolve.
    await Promise.all(batches.map((b) => w.real.append(b)));
    for (const b of batches) await w.ref.append(b);
    expectNotices(w.notices, batches.flat());
    await w.verify();
  }
  toString = () => `append(${this.batches.map((b) => b.length).join('+')})`;
}

class AppendAndAck implements Cmd {
  constructor(
    readonly batch: readonly EventSpec[],
    readonly picks: readonly number[],
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batch = w.incoming(this.batch);
    const { ref, real } = w.pick(this.picks);
    // Appends and deletes issued in the same turn share a transaction in SQLite.
    await Promise.all([w.real.append(batch), w.real.ack(real)]);
    await w.ref.append(batch);
    await w.ref.ack(ref);
    await w.verify();
  }
  toString = () => `appendAndAck(${this.batch.length}, [${this.picks.join(',')}])`;
}

class Read implements Cmd {
  constructor(
    readonly tenant: number,
    readonly anchor: number,
    readonly limit: number,
    readonly maxBytes: number,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const tenant = w.tenants[this.tenant % w.tenants.length]!;
    const keys = w.keys(tenant);
    const key = this.anchor < 0 || keys.length === 0 ? 0 : keys[this.anchor % keys.length]!;
    const afterReal = key === 0 ? 0 : w.seqOf.get(key)!;
    const real = await w.real.read(tenant, afterReal, this.limit, this.maxBytes);
    const ref = await w.ref.read(tenant, key, this.limit, this.maxBytes);
    // The reference is the spec; these restate its rules so a failure names the broken one.
    expect(real.length).toBeLessThanOrEqual(this.limit);
    if (ref.length > 0)
      expect(real.length, 'read returns at least one event when any exists').toBeGreaterThan(0);
    if (real.length > 1)
      expect(real.reduce((n, e) => n + e.payload.byteLength, 0)).toBeLessThanOrEqual(this.maxBytes);
    w.match(real, ref, afterReal);
  }
  toString = () => `read(t${this.tenant}, after#${this.anchor}, ${this.limit}, ${this.maxBytes}B)`;
}

class Ack implements Cmd {
  constructor(readonly picks: readonly number[]) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const { ref, real } = w.pick(this.picks);
    await w.real.ack(real);
    await w.ref.ack(ref);
    await w.verify();
  }
  toString = () => `ack([${this.picks.join(',')}])`;
}

class RetryLater implements Cmd {
  constructor(
    readonly picks: readonly number[],
    readonly delayMs: number,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const { ref, real } = w.pick(this.picks);
    await w.real.retryLater(real, w.clock + this.delayMs);
    await w.ref.retryLater(ref, w.clock + this.delayMs);
    await w.verify();
  }
  toString = () => `retryLater([${this.picks.join(',')}], +${this.delayMs})`;
}

class DeadLetter implements Cmd {
  constructor(
    readonly picks: readonly number[],
    readonly status: number | null,
    readonly reason: string,
  ) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const { ref, real } = w.pick(this.picks);
    await w.real.deadLetter(real.map((event) => ({ event, status: this.status, reason: this.reason })));
    await w.ref.deadLetter(ref.map((event) => ({ event, status: this.status, reason: this.reason })));
    await w.verify();
  }
  toString = () => `deadLetter([${this.picks.join(',')}], ${this.status})`;
}

class Reopen implements Cmd {
  constructor(readonly pending: readonly EventSpec[]) {}
  check = () => true;
  async run(_m: object, w: World): Promise<void> {
    const batch = w.incoming(this.pending);
    // Appended but not yet committed when close() starts: close commits it, so the promise resolves.
    const appended = batch.length > 0 ? w.real.append(batch) : Promise.resolve();
    await w.ref.append(batch);
    await w.close();
    await appended;
    await w.reopen();
  }
  toString = () => `closeAndReopen(pending ${this.pending.length})`;
}

/** The notices of one append command count exactly its events per tenant, from the first one's receive time. */
function expectNotices(notices: readonly CommitNotice[], appended: readonly IncomingEvent[]): void {
  const want = new Map<string, { count: number; firstReceivedAt: number }>();
  for (const e of appended) {
    const t = want.get(e.tenant);
    if (t) t.count++;
    else want.set(e.tenant, { count: 1, firstReceivedAt: e.receivedAt });
  }
  const got = new Map<string, { count: number; firstReceivedAt: number }>();
  for (const n of notices) {
    for (const [tenant, { count, firstReceivedAt }] of n) {
      const t = got.get(tenant);
      if (t) {
        t.count += count;
        t.firstReceivedAt = Math.min(t.firstReceivedAt, firstReceivedAt);
      } else got.set(tenant, { count, firstReceivedAt });
    }
  }
  expect(got).toEqual(want);
}

// Arbitrary bytes (the buffer must not care) and real JSON events.
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.json({ maxDepth: 2 }).map((j) => new Uint8Array(Buffer.from(`{"tenantId":"t","v":${j}}`))),
);
const eventSpec = fc.record({ tenant: fc.nat(7), payload, dt: fc.oneof(fc.constant(0), fc.nat(1000)) });
const batch = fc.array(eventSpec, { minLength: 1, maxLength: 8 });
const picks = fc.array(fc.nat(), { maxLength: 6 });

export function commandsArb(reopen: boolean): fc.Arbitrary<Iterable<Cmd>> {
  const cmds: fc.Arbitrary<Cmd>[] = [
    fc.array(batch, { minLength: 1, maxLength: 3 }).map((b) => new Append(b)),
    fc.tuple(batch, picks).map(([b, p]) => new AppendAndAck(b, p)),
    fc
      .tuple(fc.nat(7), fc.integer({ min: -1, max: 20 }), fc.integer({ min: 1, max: 6 }), fc.nat(300))
      .map(([t, a, l, b]) => new Read(t, a, l, b)),
    picks.map((p) => new Ack(p)),
    fc.tuple(picks, fc.nat(60_000)).map(([p, d]) => new RetryLater(p, d)),
    fc
      .tuple(
        picks,
        fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
        fc.string({ maxLength: 30 }),
      )
      .map(([p, s, r]) => new DeadLetter(p, s, r)),
  ];
  if (reopen) cmds.push(fc.array(eventSpec, { maxLength: 4 }).map((b) => new Reopen(b)));
  return fc.commands(cmds, { maxCommands: 30 });
}

/** Tenant names: plain, unicode, the longest allowed, and random well-formed strings. */
export const tenantsArb = fc.uniqueArray(
  fc.oneof(
    fc.constantFrom('acme', 'globex', 'ünïcødé-😀', 'x'.repeat(256), 'with space', 'a\u0000b'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** Small caps make isFull() flip during a run; the huge one never does. */
export const maxBytesArb = fc.oneof(fc.integer({ min: 100, max: 3000 }), fc.constant(HUGE));
