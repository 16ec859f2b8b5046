// Tenants waiting for a delivery lane, first come first served, each with the receive time of its oldest
// known event. A Map alone would do as a queue, but taking its first entry after many deletes from the front
// walks the deleted slots every time (V8 keeps them until it rehashes): a restart on 100,000 one-event tenants
// spent 5 % of its main thread there. So the order is an array read from a head index.

export class WaitQueue {
  /** Each waiting tenant's time, and its place in the arrival order (counted from the first tenant ever). */
  readonly #since = new Map<string, { since: number; readonly at: number }>();
  /**
   * Arrival order from #head on. A tenant removed (or removed and queued again, with a later place) leaves a
   * stale entry behind, skipped when reached.
   */
  #order: string[] = [];
  #head = 0;
  /** The place of #order[0]. */
  #base = 0;

  get size(): number {
    return this.#since.size;
  }

  get(tenant: string): number | undefined {
    return this.#since.get(tenant)?.since;
  }

  /** Queues the tenant at the back, or keeps its place and the older of the two times. */
  add(tenant: string, since: number): void {
    const known = this.#since.get(tenant);
    if (known !== undefined) {
      known.since = Math.min(known.since, since);
      return;
    }
    this.#since.set(tenant, { since, at: this.#base + this.#order.length });
    this.#order.push(tenant);
  }

  delete(tenant: string): boolean {
    return this.#since.delete(tenant);
  }

  /** Removes and returns the tenant waiting longest, or undefined when none waits. */
  shift(): { tenant: string; since: number } | undefined {
    while (this.#head < this.#order.length) {
      const at = this.#base + this.#head;
      const tenant = this.#order[this.#head]!;
      this.#order[this.#head++] = '';
      this.#compact();
      const entry = this.#since.get(tenant);
      if (entry === undefined || entry.at !== at) continue;
      this.#since.delete(tenant);
      return { tenant, since: entry.since };
    }
    return undefined;
  }

  clear(): void {
    this.#since.clear();
    this.#base += this.#order.length;
    this.#order = [];
    this.#head = 0;
  }

  /** Drops the consumed front once it is most of the array (amortised O(1) per shift). */
  #compact(): void {
    if (this.#head === this.#order.length || (this.#head >= 1024 && this.#head * 2 >= this.#order.length)) {
      this.#base += this.#head;
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }
}
