// Fixed-rate pacing in time slices: send freely until ahead of schedule by one slice, then sleep once.
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacerOptions {
  /** Sleep only when at least this far ahead of schedule; events go out in bursts per slice. Default 10 ms. */
  readonly sliceMs?: number;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Keeps an absolute schedule (event k is due at start + k/rate): a stall is followed by a
 * catch-up burst, so the average rate over the run is the requested one. There is no
 * per-event timer: at 100k events/s a 10 ms slice means one sleep per 1,000 events.
 */
export class Pacer {
  readonly #perEventMs: number;
  readonly #sliceMs: number;
  readonly #now: () => number;
  readonly #signal: AbortSignal | undefined;
  #start: number | undefined;
  #granted = 0;

  constructor(ratePerSec: number, opts: PacerOptions = {}) {
    if (!(ratePerSec > 0 && Number.isFinite(ratePerSec)))
      throw new RangeError(`rate must be > 0, got ${ratePerSec}`);
    this.#perEventMs = 1000 / ratePerSec;
    this.#sliceMs = opts.sliceMs ?? 10;
    this.#now = opts.now ?? (() => performance.now());
    this.#signal = opts.signal;
  }

  /** Resolves when `n` more events may go out (the first call never waits). */
  async take(n: number): Promise<void> {
    const now = this.#now();
    this.#start ??= now;
    const due = this.#start + this.#granted * this.#perEventMs;
    this.#granted += n;
    const ahead = due - now;
    if (ahead >= this.#sliceMs) await sleep(ahead, undefined, { signal: this.#signal });
  }
}
