// A counting semaphore with FIFO waiters: bounds how many batches are being sent at once, overall.

export class Limiter {
  readonly #max: number;
  #used = 0;
  /**
   * Waiters in arrival order from #head on. A head index instead of Array.shift: with a waiter per tenant
   * (a restart on a backlog of 200k tenants), shift's O(n) move made each release the service's hot spot.
   */
  #waiters: ((() => void) | undefined)[] = [];
  #head = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get inUse(): number {
    return this.#used;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  acquire(): Promise<void> {
    if (this.#used < this.#max) {
      this.#used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!;
      this.#waiters[this.#head++] = undefined;
      // Drop the consumed front once it is most of the array (amortised O(1) per release).
      if (this.#head >= 1024 && this.#head * 2 >= this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      // Hand the slot straight to the next waiter, so a steady stream of new callers cannot starve it.
      next();
    } else this.#used--;
  }
}
