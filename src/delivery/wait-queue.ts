// Tenants waiting for a delivery lane, first come first served, each with the receive time of its oldest
// known event. A Map alone would do as a queue, but taking its first entry after many deletes from the front
// walks the deleted slots every time (V8 keeps them until it rehashes): a restart on 100,000 one-event tenants
// spent 5 % of its main thread there. So the order is an array read from a head index. In a flood of tenant
// ids nearly every tenant waits here, so an entry is kept small: the Map holds a number (the tenant's place)
// and the times sit in a Float64Array beside the order, not in an object per tenant with a boxed number
// (~100 bytes a tenant before, ~50 now).

const INITIAL = 1024;

export class WaitQueue {
  /** Each waiting tenant's place in the arrival order (counted from the first tenant ever). */
  readonly #at = new Map<string, number>();
  /**
   * Arrival order from #head on, and each place's time. A tenant removed (or removed and queued again, with a
   * later place) leaves a stale entry behind, skipped when reached.
   */
  #order: string[] = [];
  #since = new Float64Array(INITIAL);
  #head = 0;
  /** The place of #order[0]. */
  #base = 0;

  get size(): number {
    return this.#at.size;
  }

  get(tenant: string): number | undefined {
    const at = this.#at.get(tenant);
    return at === undefined ? undefined : this.#since[at - this.#base];
  }

  /** Queues the tenant at the back, or keeps its place and the older of the two times. */
  add(tenant: string, since: number): void {
    const at = this.#at.get(tenant);
    if (at !== undefined) {
      const i = at - this.#base;
      this.#since[i] = Math.min(this.#since[i]!, since);
      return;
    }
    const i = this.#order.length;
    if (i === this.#since.length) {
      const grown = new Float64Array(2 * i);
      grown.set(this.#since);
      this.#since = grown;
    }
    this.#since[i] = since;
    this.#at.set(tenant, this.#base + i);
    this.#order.push(tenant);
  }

  delete(tenant: string): boolean {
    return this.#at.delete(tenant);
  }

  /** Removes and returns the tenant waiting longest, or undefined when none waits. */
  shift(): { tenant: string; since: number } | undefined {
    while (this.#head < this.#order.length) {
      const i = this.#head++;
      const tenant = this.#order[i]!;
      const since = this.#since[i]!;
      const current = this.#at.get(tenant) === this.#base + i;
      this.#order[i] = '';
      this.#compact();
      if (!current) continue;
      this.#at.delete(tenant);
      return { tenant, since };
    }
    return undefined;
  }

  clear(): void {
    this.#at.clear();
    this.#base += this.#order.length;
    this.#order = [];
    this.#since = new Float64Array(INITIAL);
    this.#head = 0;
  }

  /** Drops the consumed front once it is most of the array (amortised O(1) per shift). */
  #compact(): void {
    const head = this.#head;
    const length = this.#order.length;
    if (head === length) {
      // Emptied (the usual case when few tenants wait): start over in the same arrays, allocating nothing,
      // unless a flood grew the times array far past its start (its memory then goes back).
      this.#base += head;
      this.#order.length = 0;
      this.#head = 0;
      if (this.#since.length > 16 * INITIAL) this.#since = new Float64Array(INITIAL);
      return;
    }
    if (head >= 1024 && head * 2 >= length) {
      this.#base += head;
      this.#order = this.#order.slice(head);
      const since = new Float64Array(Math.max(INITIAL, 2 * (length - head)));
      since.set(this.#since.subarray(head, length));
      this.#since = since;
      this.#head = 0;
    }
  }
}
