// Tenant name <-> small integer id and each tenant's backlog, cached in memory. New names and count
// changes are written inside the caller's transaction and only kept in memory once it commits.
import type { Statements } from './statements.js';

export interface TenantCounts {
  events: number;
  bytes: number;
}

export class TenantIds {
  readonly #st: Statements;
  readonly #ids = new Map<string, number>();
  readonly #counts = new Map<string, TenantCounts>();
  /** Names inserted by the transaction in progress: dropped again if it rolls back. */
  #uncommitted: string[] = [];
  /** Count changes of the transaction in progress. */
  #delta = new Map<string, TenantCounts>();

  constructor(st: Statements) {
    this.#st = st;
    for (const { tid, name, events, bytes } of st.tenants.all()) {
      this.#ids.set(name, tid);
      this.#counts.set(name, { events, bytes });
    }
  }

  find(name: string): number | undefined {
    return this.#ids.get(name);
  }

  /** The tenant's id, inserting it when new. Call only inside a write transaction. */
  idOf(name: string): number {
    let tid = this.#ids.get(name);
    if (tid === undefined) {
      tid = Number(this.#st.addTenant.run(name).lastInsertRowid);
      this.#ids.set(name, tid);
      this.#uncommitted.push(name);
    }
    return tid;
  }

  /** Records a change of a tenant's backlog in the transaction in progress. */
  add(name: string, events: number, bytes: number): void {
    const d = this.#delta.get(name);
    if (d) {
      d.events += events;
      d.bytes += bytes;
    } else this.#delta.set(name, { events, bytes });
  }

  /** Writes the recorded changes; call last inside the transaction. */
  writeDelta(): void {
    for (const [name, d] of this.#delta)
      this.#st.addTenantTotals.run(d.events, d.bytes, this.#ids.get(name)!);
  }

  /** Keeps the transaction's changes in memory; returns them as [tenant, events, bytes]. */
  commit(): [string, number, number][] {
    const out: [string, number, number][] = [];
    for (const [name, d] of this.#delta) {
      out.push([name, d.events, d.bytes]);
      const c = this.#counts.get(name);
      if (c) {
        c.events += d.events;
        c.bytes += d.bytes;
      } else this.#counts.set(name, { ...d });
    }
    this.#delta = new Map();
    this.#uncommitted = [];
    return out;
  }

  rollback(): void {
    for (const name of this.#uncommitted) this.#ids.delete(name);
    this.#uncommitted = [];
    this.#delta = new Map();
  }

  /**
   * Forgets tenants with no stored events (row and cache), so memory follows the active tenants, not every
   * tenantId a producer ever sent. Call between transactions; a returning tenant gets a new id.
   */
  prune(): number {
    let removed = 0;
    for (const [name, c] of this.#counts) {
      if (c.events !== 0) continue;
      this.#st.removeTenant.run(this.#ids.get(name)!);
      this.#ids.delete(name);
      this.#counts.delete(name);
      removed++;
    }
    for (const [name] of this.#ids) {
      if (this.#counts.has(name)) continue;
      this.#st.removeTenant.run(this.#ids.get(name)!);
      this.#ids.delete(name);
      removed++;
    }
    return removed;
  }

  /** Tenants with stored events, largest backlog first. */
  backlog(): { tenant: string; events: number; bytes: number }[] {
    const out: { tenant: string; events: number; bytes: number }[] = [];
    for (const [tenant, c] of this.#counts) if (c.events > 0) out.push({ tenant, ...c });
    return out.sort((a, b) => b.events - a.events);
  }
}
