// Rates for /v1/status: the telemetry's running totals sampled every few seconds into a short ring, so a
// status call answers "per second over the last minute" without any bookkeeping on the hot path.
import type { Totals } from '../telemetry/telemetry.js';

const SAMPLE_MS = 5000;
/** 13 samples 5 s apart: a window of one minute once the service has run that long. */
const SAMPLES = 13;

export type Rates = {
  /** Seconds the rates are measured over (0 until the first sample after the start). */
  readonly windowSeconds: number;
} & { readonly [K in keyof Totals as `${K & string}PerSecond`]: number };

export class RateWindow {
  readonly #totals: Totals;
  readonly #ring: { at: number; totals: Totals }[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(totals: Totals, sampleMs = SAMPLE_MS) {
    this.#totals = totals;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), sampleMs);
    this.#timer.unref();
  }

  #sample(): void {
    this.#ring.push({ at: performance.now(), totals: { ...this.#totals } });
    if (this.#ring.length > SAMPLES) this.#ring.shift();
  }

  /** Per-second rates from the oldest sample in the window to now. */
  rates(): Rates {
    const oldest = this.#ring[0]!;
    const seconds = (performance.now() - oldest.at) / 1000;
    const out: Record<string, number> = { windowSeconds: Math.round(seconds * 10) / 10 };
    for (const key of Object.keys(this.#totals) as (keyof Totals)[]) {
      const delta = this.#totals[key] - oldest.totals[key];
      out[`${key}PerSecond`] = seconds >= 1 ? Math.round((delta / seconds) * 10) / 10 : 0;
    }
    return out as Rates;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
