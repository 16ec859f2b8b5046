// Both sides of a model-based buffer run: the backend under test and the in-memory reference, kept in step.
import { expect } from 'vitest';
import type { CommitNotice, EventBuffer, IncomingEvent, StoredEvent } from '../../../src/buffer/types.js';
import { MemoryBuffer, MemoryStore } from '../../support/memory-buffer.js';

/** Opens (or reopens, when `dir` was used before) a backend with the given byte cap. */
export type OpenBuffer = (dir: string, opts: { maxBytes: number }) => EventBuffer;

export const HUGE = Number.MAX_SAFE_INTEGER;

/** Both sides of the run. Events are matched by the reference's seq ("key"): both keep per-tenant append order. */
export class World {
  ref: MemoryBuffer;
  real: EventBuffer;
  readonly store = new MemoryStore();
  /** Latest StoredEvent of both sides for every key ever seen (acked and dead-lettered ones stay: stale handles). */
  readonly pairs = new Map<number, { ref: StoredEvent; real: StoredEvent }>();
  /** The backend's id and seq for each key, and the key of each backend id: ids must be stable and never reused. */
  readonly idOf = new Map<number, string>();
  readonly seqOf = new Map<number, number>();
  readonly keyOfId = new Map<string, number>();
  notices: CommitNotice[] = [];
  clock = 1_700_000_000_000;
  #unsubscribe: () => void = () => undefined;

  constructor(
    readonly open: OpenBuffer,
    readonly dir: string,
    readonly maxBytes: number,
    readonly tenants: readonly string[],
  ) {
    this.ref = new MemoryBuffer({ store: this.store, maxBytes });
    this.real = open(dir, { maxBytes });
    this.#subscribe();
  }

  #subscribe(): void {
    this.#unsubscribe = this.real.onCommit((n) => this.notices.push(n));
  }

  async reopen(): Promise<void> {
    this.#unsubscribe();
    const bufferId = this.real.bufferId;
    this.real = this.open(this.dir, { maxBytes: this.maxBytes });
    expect(this.real.bufferId, 'bufferId survives a reopen').toBe(bufferId);
    this.ref = new MemoryBuffer({ store: this.store, maxBytes: this.maxBytes });
    this.#subscribe();
    await this.verify();
  }

  /** Known keys, ascending; of one tenant when given. */
  keys(tenant?: string): number[] {
    const all = [...this.pairs]
      .filter(([, p]) => tenant === undefined || p.ref.tenant === tenant)
      .map(([k]) => k);
    return all.sort((a, b) => a - b);
  }

  /** Distinct keys chosen by arbitrary indexes (stale ones included). */
  pick(picks: readonly number[]): { ref: StoredEvent[]; real: StoredEvent[] } {
    const keys = this.keys();
    const chosen = keys.length === 0 ? [] : [...new Set(picks.map((p) => keys[p % keys.length]!))];
    return {
      ref: chosen.map((k) => this.pairs.get(k)!.ref),
      real: chosen.map((k) => this.pairs.get(k)!.real),
    };
  }

  incoming(spec: readonly EventSpec[]): IncomingEvent[] {
    return spec.map(({ tenant, payload, dt }) => {
      this.clock += dt;
      return {
        tenant: this.tenants[tenant % this.tenants.length]!,
        payload: Buffer.from(payload),
        receivedAt: this.clock,
      };
    });
  }

  /** Matches `real` against `ref` position by position and records (or checks) the key -> id mapping. */
  match(real: readonly StoredEvent[], ref: readonly StoredEvent[], afterRealSeq: number): void {
    expect(real.map((e) => e.payload)).toEqual(ref.map((e) => e.payload));
    let last = afterRealSeq;
    real.forEach((r, i) => {
      const m = ref[i]!;
      expect({
        tenant: r.tenant,
        receivedAt: r.receivedAt,
        attempts: r.attempts,
        nextAttemptAt: r.nextAttemptAt,
      }).toEqual({
        tenant: m.tenant,
        receivedAt: m.receivedAt,
        attempts: m.attempts,
        nextAttemptAt: m.nextAttemptAt,
      });
      expect(r.seq, 'seq strictly increases in read order').toBeGreaterThan(last);
      last = r.seq;
      const known = this.idOf.get(m.seq);
      if (known === undefined) {
        expect(this.keyOfId.has(r.id), `id ${r.id} was already used by another event`).toBe(false);
        this.idOf.set(m.seq, r.id);
        this.seqOf.set(m.seq, r.seq);
        this.keyOfId.set(r.id, m.seq);
      } else {
        expect(r.id, 'an event keeps its id').toBe(known);
        expect(r.seq, 'an event keeps its seq').toBe(this.seqOf.get(m.seq));
      }
      this.pairs.set(m.seq, { ref: m, real: r });
    });
  }

  /** Every observable answer of the backend equals the reference's. */
  async verify(): Promise<void> {
    const [rs, ms] = [this.real.stats(), this.ref.stats()];
    expect({ events: rs.events, bytes: rs.bytes, deadLetters: rs.deadLetters }).toEqual({
      events: ms.events,
      bytes: ms.bytes,
      deadLetters: ms.deadLetters,
    });
    expect(this.real.isFull(), 'isFull').toBe(this.ref.isFull());
    const byTenant = (a: { tenant: string }, b: { tenant: string }) => (a.tenant < b.tenant ? -1 : 1);
    expect((await this.real.backlog()).sort(byTenant)).toEqual((await this.ref.backlog()).sort(byTenant));
    for (const tenant of this.tenants) {
      const real = await this.real.read(tenant, 0, HUGE, HUGE);
      const ref = await this.ref.read(tenant, 0, HUGE, HUGE);
      this.match(real, ref, 0);
    }
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.real.close();
  }
}

export interface EventSpec {
  readonly tenant: number;
  readonly payload: Uint8Array;
  readonly dt: number;
}
