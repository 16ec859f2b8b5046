// Tenants parked until a time (a back-off handed back by their lane), as a binary min-heap on that time:
// one timer for all of them instead of one per tenant, O(log n) per tenant parked or woken.

export class WakeQueue {
  readonly #at: number[] = [];
  readonly #tenants: string[] = [];

  get size(): number {
    return this.#at.length;
  }

  /** The earliest wake-up time, or undefined when empty. */
  get next(): number | undefined {
    return this.#at[0];
  }

  push(at: number, tenant: string): void {
    let i = this.#at.length;
    this.#at.push(at);
    this.#tenants.push(tenant);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#at[parent]! <= at) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#at[i] = at;
    this.#tenants[i] = tenant;
  }

  /** Removes and returns the earliest entry (undefined when empty). */
  pop(): { at: number; tenant: string } | undefined {
    const n = this.#at.length;
    if (n === 0) return undefined;
    const top = { at: this.#at[0]!, tenant: this.#tenants[0]! };
    const at = this.#at.pop()!;
    const tenant = this.#tenants.pop()!;
    if (n > 1) {
      let i = 0;
      const size = n - 1;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && this.#at[child + 1]! < this.#at[child]!) child++;
        if (this.#at[child]! >= at) break;
        this.#move(child, i);
        i = child;
      }
      this.#at[i] = at;
      this.#tenants[i] = tenant;
    }
    return top;
  }

  clear(): void {
    this.#at.length = 0;
    this.#tenants.length = 0;
  }

  #move(from: number, to: number): void {
    this.#at[to] = this.#at[from]!;
    this.#tenants[to] = this.#tenants[from]!;
  }
}
