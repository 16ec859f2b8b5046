// Both sides of a model-based buffer run: the backend under test and the in-memory reference, kept in step.
import { expect } from 'vitest';
import type { CommitNotice, EventBuffer, IncomingEvent, Lease } from '../../../src/buffer/types.js';
import { MemoryBuffer, MemoryStore } from '../../support/memory-buffer.js';

/** Opens (or reopens, when `dir` was used before) a backend with the given byte cap. */
export type OpenBuffer = (dir: string, opts: { maxBytes: number }) => EventBuffer;

export const HUGE = Number.MAX_SAFE_INTEGER;

/** One lease as both sides issued it. */
export interface LeasePair {
  readonly ref: Lease;
  readonly real: Lease;
}

/**
 * Both sides of the run. The reference numbers events under the backend's bufferId, and seqs are global and
 * assigned in append-call order on both sides, so ids, lines and byte counts compare exactly.
 */
export class World {
  ref: MemoryBuffer;
  real: EventBuffer;
  readonly store: MemoryStore;
  /** Leases holding events on both sides, oldest first. A reopen voids them all. */
  held: LeasePair[] = [];
  /** Recently emptied or released leases: settling them again must change nothing. */
  spent: LeasePair[] = [];
  notices: CommitNotice[] = [];
  clock = 1_700_000_000_000;
  #unsubscribe: () => void = () => undefined;

  constructor(
    readonly open: OpenBuffer,
    readonly dir: string,
    readonly maxBytes: number,
    readonly tenants: readonly string[],
  ) {
    this.real = open(dir, { maxBytes });
    this.store = new MemoryStore(this.real.bufferId);
    this.ref = new MemoryBuffer({ store: this.store, maxBytes });
    this.#subscribe();
  }

  #subscribe(): void {
    this.#unsubscribe = this.real.onCommit((n) => this.notices.push(n));
  }

  tenant(i: number): string {
    return this.tenants[i % this.tenants.length]!;
  }

  incoming(spec: readonly EventSpec[]): IncomingEvent[] {
    return spec.map(({ tenant, payload, dt }) => {
      this.clock += dt;
      return { tenant: this.tenant(tenant), payload: Buffer.from(payload), receivedAt: this.clock };
    });
  }

  /** A held lease, or now and then a spent one (held ones first in the index space). */
  lease(i: number): LeasePair | undefined {
    const all = [...this.held, ...this.spent];
    return all.length === 0 ? undefined : all[i % all.length];
  }

  /** Ids to name in a partial settle: the lease's own and, to be ignored, other leases' and unknown ones. */
  ids(pair: LeasePair, picks: readonly number[]): string[] {
    const own = pair.ref.events().map((e) => e.id);
    const others = this.held.filter((p) => p !== pair).flatMap((p) => p.ref.events().map((e) => e.id));
    // Seq 0 is never used: an id no event has.
    const pool = [...own, ...own, ...others.slice(0, 4), `${this.ref.bufferId}-0`];
    return picks.map((p) => pool[p % pool.length]!);
  }

  /** After a settle of `pair`: both sides agree on it, and an emptied lease moves to the spent ones. */
  settled(pair: LeasePair): void {
    expectLease(pair);
    if (pair.ref.count > 0 || !this.held.includes(pair)) return;
    this.held = this.held.filter((p) => p !== pair);
    this.spent = [pair, ...this.spent].slice(0, 3);
  }

  /** The notices received since `notices` was last reset add up to exactly these appended events. */
  expectNotices(appended: readonly IncomingEvent[]): void {
    expect(sumNotices(this.notices), 'commit notices').toEqual(sumNotices([noticeOf(appended)]));
  }

  /**
   * Closes the backend with leases held (they all become void) and opens it again. `pending` is an append
   * made just before: close commits it, so it resolves.
   */
  async reopen(pending: Promise<void> = Promise.resolve()): Promise<void> {
    await this.close();
    await pending;
    await this.ref.close();
    this.held = [];
    this.spent = [];
    const bufferId = this.real.bufferId;
    this.real = this.open(this.dir, { maxBytes: this.maxBytes });
    expect(this.real.bufferId, 'bufferId survives a reopen').toBe(bufferId);
    this.ref = new MemoryBuffer({ store: this.store, maxBytes: this.maxBytes });
    this.#subscribe();
    await this.verify();
  }

  /** Every observable answer of the backend equals the reference's. */
  async verify(): Promise<void> {
    const [rs, ms] = [this.real.stats(), this.ref.stats()];
    expect({ events: rs.events, bytes: rs.bytes, deadLetters: rs.deadLetters }).toEqual({
      events: ms.events,
      bytes: ms.bytes,
      deadLetters: ms.deadLetters,
    });
    expect(rs.pendingEvents, 'nothing pending once every append resolved').toBe(0);
    expect(this.real.admission(), 'admission').toBe(this.ref.admission());
    expect(await backlogOf(this.real)).toEqual(await backlogOf(this.ref));
    for (const pair of this.held) expectLease(pair);
  }

  /** Ends a run: gives every lease back, then claims and acks everything, comparing each lease. */
  async finish(): Promise<void> {
    for (const { ref, real } of this.held) {
      this.real.release(real);
      this.ref.release(ref);
    }
    this.held = [];
    for (const tenant of this.tenants) {
      for (;;) {
        const real = await this.real.claim(tenant, HUGE, HUGE);
        if (!real) break;
        const ref = await this.ref.claim(tenant, real.count, HUGE);
        expect(ref?.count, 'the backend leased events the reference does not have').toBe(real.count);
        expectLease({ ref: ref!, real });
        await this.real.ack(real);
        await this.ref.ack(ref!);
      }
      expect(this.ref.unleased(tenant), `${tenant}: events left unclaimed`).toBe(0);
    }
    await this.verify();
    expect(this.real.stats()).toMatchObject({ events: 0, bytes: 0 });
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.real.close();
  }
}

/** Both sides of a lease hold the same events, lines and counts; retry state at least the reference's. */
export function expectLease({ ref, real }: LeasePair): void {
  expect({
    tenant: real.tenant,
    count: real.count,
    bytes: real.bytes,
    oldestReceivedAt: real.oldestReceivedAt,
  }).toEqual({
    tenant: ref.tenant,
    count: ref.count,
    bytes: ref.bytes,
    oldestReceivedAt: ref.oldestReceivedAt,
  });
  // latin1 keeps every byte and gives a readable diff.
  expect(real.ndjson().toString('latin1'), 'ndjson').toBe(ref.ndjson().toString('latin1'));
  const show = (l: Lease) => l.events().map((e) => ({ ...e, payload: e.payload.toString('latin1') }));
  expect(show(real), 'events').toEqual(show(ref));
  // A backend may keep retry state per storage unit (a chunk), shared with events outside this lease.
  expect(real.attempts, 'attempts').toBeGreaterThanOrEqual(ref.attempts);
  expect(real.notBefore, 'notBefore').toBeGreaterThanOrEqual(ref.notBefore);
}

async function backlogOf(b: EventBuffer): Promise<unknown[]> {
  return (await b.backlog())
    .map(({ tenant, events, bytes, oldestReceivedAt }) => ({ tenant, events, bytes, oldestReceivedAt }))
    .sort((x, y) => (x.tenant < y.tenant ? -1 : 1));
}

/** What one commit of exactly these events announces. */
export function noticeOf(events: readonly IncomingEvent[]): CommitNotice {
  const out = new Map<string, { count: number; firstReceivedAt: number }>();
  for (const e of events) {
    const t = out.get(e.tenant);
    if (t) t.count++;
    else out.set(e.tenant, { count: 1, firstReceivedAt: e.receivedAt });
  }
  return out;
}

/** Notices merged the way a backend may merge concurrent appends: counts add up, the earliest time wins. */
export function sumNotices(
  notices: readonly CommitNotice[],
): Map<string, { count: number; firstReceivedAt: number }> {
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
  return got;
}

/** Resolves true if `p` settles within a few event-loop turns, false if it is still pending. */
export async function settlesSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

export interface EventSpec {
  readonly tenant: number;
  readonly payload: Uint8Array;
  readonly dt: number;
}
