// The chunk directory: every stored chunk, per tenant in order, with the buffer's totals (the one copy of its
// counts). A flood of tenant ids makes a tenant per event, each with one chunk that is neither cached nor
// leased most of the time. Such a tenant is kept "cold": its chunk's row as seven numbers in one typed array,
// the Map holding the row's slot. Measured after full collections (chunk-directory.property.test.ts), a cold
// tenant costs ~170 bytes with its Map entry and the array's growth slack, the same tenant as objects (a
// TenantQueue, its array, a Chunk and two boxed numbers) ~240; in a running service's heap snapshot the objects
// weighed more. A cold tenant gets its objects back ("warm") when delivery claims it.
import { TenantQueue, newChunk, type Chunk } from './chunks.js';
import type { ChunkRow } from './statements.js';
import type { TenantBacklog } from '../types.js';

const ID = 0;
const FIRST_SEQ = 1;
const COUNT = 2;
const BYTES = 3;
const FIRST_RECEIVED_AT = 4;
const ATTEMPTS = 5;
const NOT_BEFORE = 6;
const FIELDS = 7;
const INITIAL_SLOTS = 1024;

/** Chunk rows in one Float64Array (every field is an integer below 2^53), with a free list of slots. */
class ColdRows {
  rows = new Float64Array(FIELDS * INITIAL_SLOTS);
  #free: number[] = [];
  #end = 0;
  live = 0;

  get capacity(): number {
    return this.rows.length / FIELDS;
  }

  put(r: ChunkRow): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#end === this.capacity) this.#resize(Math.ceil(this.capacity * 1.5));
      slot = this.#end++;
    }
    const o = slot * FIELDS;
    const rows = this.rows;
    rows[o + ID] = r.id;
    rows[o + FIRST_SEQ] = r.firstSeq;
    rows[o + COUNT] = r.count;
    rows[o + BYTES] = r.bytes;
    rows[o + FIRST_RECEIVED_AT] = r.firstReceivedAt;
    rows[o + ATTEMPTS] = r.attempts;
    rows[o + NOT_BEFORE] = r.notBefore;
    this.live++;
    return slot;
  }

  row(slot: number, tenant: string): ChunkRow {
    const o = slot * FIELDS;
    const rows = this.rows;
    return {
      id: rows[o + ID]!,
      tenant,
      firstSeq: rows[o + FIRST_SEQ]!,
      count: rows[o + COUNT]!,
      bytes: rows[o + BYTES]!,
      firstReceivedAt: rows[o + FIRST_RECEIVED_AT]!,
      attempts: rows[o + ATTEMPTS]!,
      notBefore: rows[o + NOT_BEFORE]!,
    };
  }

  get(slot: number, field: number): number {
    return this.rows[slot * FIELDS + field]!;
  }

  drop(slot: number): void {
    this.#free.push(slot);
    this.live--;
  }

  /** True when most of the array is free slots: worth compacting once a flood has drained. */
  get sparse(): boolean {
    return this.capacity > INITIAL_SLOTS && this.live < this.capacity / 4;
  }

  /**
   * Moves every live row to the front, in the order `slots` yields them, each given its new slot; the caller
   * records the new slots.
   */
  compact(slots: Iterable<number>, moved: (newSlot: number) => void): void {
    const old = this.rows;
    this.rows = new Float64Array(FIELDS * Math.max(INITIAL_SLOTS, Math.ceil(this.live * 1.5)));
    let n = 0;
    for (const slot of slots) {
      this.rows.set(old.subarray(slot * FIELDS, slot * FIELDS + FIELDS), n * FIELDS);
      moved(n++);
    }
    this.#end = n;
    this.#free = [];
  }

  #resize(slots: number): void {
    const rows = new Float64Array(FIELDS * slots);
    rows.set(this.rows.subarray(0, this.#end * FIELDS));
    this.rows = rows;
  }
}

export class ChunkDirectory {
  /** Per tenant: its queue of chunks as objects, or the slot of its one cold chunk. */
  readonly #queues = new Map<string, TenantQueue | number>();
  readonly #cold = new ColdRows();
  events = 0;
  bytes = 0;
  chunks = 0;

  /** Tenants with stored events. */
  get tenants(): number {
    return this.#queues.size;
  }

  /** Tenants kept cold (for tests and figures). */
  get coldTenants(): number {
    return this.#cold.live;
  }

  /**
   * Adds a committed chunk at the end of its tenant's queue. A chunk without lines of a tenant with nothing
   * else stored stays a cold row (undefined is returned); otherwise it is a Chunk, returned.
   */
  add(row: ChunkRow, lines: Buffer | undefined): Chunk | undefined {
    this.chunks++;
    this.events += row.count;
    this.bytes += row.bytes;
    const known = this.#queues.get(row.tenant);
    if (known === undefined && !lines) {
      this.#queues.set(row.tenant, this.#cold.put(row));
      return undefined;
    }
    const c = newChunk(row, lines);
    let q: TenantQueue;
    if (known === undefined) this.#queues.set(row.tenant, (q = new TenantQueue(c)));
    else {
      q = typeof known === 'number' ? this.#warm(row.tenant, known) : known;
      q.chunks.push(c);
    }
    q.events += row.count;
    q.bytes += row.bytes;
    return c;
  }

  /** The tenant's queue of chunk objects (a cold tenant is warmed), or undefined when it has nothing stored. */
  queue(tenant: string): TenantQueue | undefined {
    const known = this.#queues.get(tenant);
    return typeof known === 'number' ? this.#warm(tenant, known) : known;
  }

  /** A chunk that left (acknowledged or dead-lettered whole); false when the directory no longer holds it. */
  remove(c: Chunk): boolean {
    const q = this.#queues.get(c.tenant);
    if (typeof q !== 'object' || !q.chunks.includes(c)) return false;
    q.remove(c);
    this.chunks--;
    q.events -= c.count;
    q.bytes -= c.bytes;
    this.events -= c.count;
    this.bytes -= c.bytes;
    // Tenants with nothing stored are forgotten: producers choose tenant ids, memory must follow the active ones.
    if (q.chunks.length === 0) this.#queues.delete(c.tenant);
    return true;
  }

  /** A chunk's remainder after some of its events left: its new count and bytes. */
  resize(c: Chunk, count: number, bytes: number): void {
    const q = this.#queues.get(c.tenant);
    if (typeof q === 'object') {
      q.events -= c.count - count;
      q.bytes -= c.bytes - bytes;
    }
    this.events -= c.count - count;
    this.bytes -= c.bytes - bytes;
    c.count = count;
    c.bytes = bytes;
  }

  /**
   * Turns the tenant cold when its one chunk has no lines in memory, is not split or leased, and nothing else
   * holds it (`held`: a commit or a load in progress). The Chunk object is out of the directory afterwards:
   * it gets count 0, which every holder reads as gone.
   */
  cool(tenant: string, held: (c: Chunk) => boolean): void {
    const q = this.#queues.get(tenant);
    if (typeof q !== 'object' || q.chunks.length !== 1) return;
    const c = q.chunks[0]!;
    if (c.lines || c.state || c.leasedWhole || c.pins > 0 || held(c)) return;
    this.#queues.set(tenant, this.#cold.put(c));
    c.count = 0;
    c.bytes = 0;
  }

  /** One tenant's figures, without warming it. */
  totals(tenant: string): TenantBacklog | undefined {
    const known = this.#queues.get(tenant);
    if (known === undefined) return undefined;
    return this.#view(tenant, known);
  }

  /** Every tenant with its oldest receive time, in the order tenants first stored events. */
  forEach(visit: (tenant: string, oldestReceivedAt: number) => void): void {
    // Map.forEach: a for...of over the entries would make an array per tenant.
    this.#queues.forEach((known, tenant) => visit(tenant, this.#oldestAt(known)));
  }

  /** Every tenant's figures, in the order tenants first stored events. */
  all(): TenantBacklog[] {
    return Array.from(this.#queues, ([tenant, known]) => this.#view(tenant, known));
  }

  /**
   * The `limit` tenants whose oldest event is oldest, oldest first: a bounded insertion allocating nothing per
   * tenant (/metrics asks this at every scrape; a copy and sort of a million tenants took about a second).
   */
  oldest(limit: number): TenantBacklog[] {
    const top: { tenant: string; at: number }[] = [];
    if (limit <= 0) return [];
    this.forEach((tenant, at) => {
      if (top.length === limit && at >= top[limit - 1]!.at) return;
      let i = top.length;
      while (i > 0 && top[i - 1]!.at > at) i--;
      top.splice(i, 0, { tenant, at });
      if (top.length > limit) top.pop();
    });
    return top.map((t) => this.#view(t.tenant, this.#queues.get(t.tenant)!));
  }

  /** The `n` tenants with the most stored events, most first (bounded like oldest()). */
  largest(n: number): TenantBacklog[] {
    const top: { tenant: string; events: number }[] = [];
    if (n <= 0) return [];
    this.#queues.forEach((known, tenant) => {
      const events = typeof known === 'number' ? this.#cold.get(known, COUNT) : known.events;
      if (top.length === n && events <= top[n - 1]!.events) return;
      let i = top.length;
      while (i > 0 && top[i - 1]!.events < events) i--;
      top.splice(i, 0, { tenant, events });
      if (top.length > n) top.pop();
    });
    return top.map((t) => this.#view(t.tenant, this.#queues.get(t.tenant)!));
  }

  #oldestAt(known: TenantQueue | number): number {
    return typeof known === 'number'
      ? this.#cold.get(known, FIRST_RECEIVED_AT)
      : known.chunks[0]!.firstReceivedAt;
  }

  #view(tenant: string, known: TenantQueue | number): TenantBacklog {
    if (typeof known === 'number')
      return {
        tenant,
        events: this.#cold.get(known, COUNT),
        bytes: this.#cold.get(known, BYTES),
        oldestReceivedAt: this.#cold.get(known, FIRST_RECEIVED_AT),
      };
    return {
      tenant,
      events: known.events,
      bytes: known.bytes,
      oldestReceivedAt: known.chunks[0]!.firstReceivedAt,
    };
  }

  #warm(tenant: string, slot: number): TenantQueue {
    const row = this.#cold.row(slot, tenant);
    this.#cold.drop(slot);
    const q = new TenantQueue(newChunk(row));
    q.events = row.count;
    q.bytes = row.bytes;
    // Same key: the tenant keeps its place in the Map's order.
    this.#queues.set(tenant, q);
    if (this.#cold.sparse) this.#compactCold();
    return q;
  }

  /** After a flood drained: the rows move to a smaller array (one pass over the tenants, amortised). */
  #compactCold(): void {
    const cold: string[] = [];
    const slots: number[] = [];
    for (const [tenant, known] of this.#queues)
      if (typeof known === 'number') {
        cold.push(tenant);
        slots.push(known);
      }
    let i = 0;
    this.#cold.compact(slots, (slot) => this.#queues.set(cold[i++]!, slot));
  }
}
