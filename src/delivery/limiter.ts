// A counting semaphore with FIFO waiters: bounds how many batches are being sent at once, overall.

export class Limiter {
  readonly #max: number;
  #used = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get inUse(): number {
    return this.#used;
  }

  acquire(): Promise<void> {
    if (this.#used < this.#max) {
      this.#used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    // Hand the slot straight to the next waiter, so a steady stream of new callers cannot starve it.
    if (next) next();
    else this.#used--;
  }
}
