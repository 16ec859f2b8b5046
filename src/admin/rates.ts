// Rates for /v1/status and the status page's sparklines: the telemetry's running totals (and the buffer's
// backlog, when given) sampled every few seconds into a bounded ring, so a status call answers "per second
// over the last minute" and the page draws the last few minutes without any bookkeeping on the hot path.
import type { Totals } from '../telemetry/telemetry.js';

const SAMPLE_MS = 5000;
/** 13 samples 5 s apart: the rates' window of one minute once the service has run that long. */
const RATE_SAMPLES = 13;
/** 61 samples 5 s apart: the sparklines' five minutes. The ring never holds more. */
const SERIES_SAMPLES = 61;

export type Rates = {
  /** Seconds the rates are measured over (0 until the first sample after the start). */
  readonly windowSeconds: number;
} & { readonly [K in keyof Totals as `${K & string}PerSecond`]: number };

/** The sampled history, oldest first, for sparklines. */
export interface Series {
  /** Seconds between samples (nominal). */
  readonly sampleSeconds: number;
  /** Events received and delivered per second between consecutive samples (one fewer than samples). */
  readonly receivedPerSecond: number[];
  readonly deliveredPerSecond: number[];
  /** Stored events at each sample (empty when no backlog gauge was given). */
  readonly backlogEvents: number[];
}

interface Sample {
  readonly at: number;
  readonly totals: Totals;
  readonly backlog: number | undefined;
}

export class RateWindow {
  readonly #totals: Totals;
  readonly #backlog: (() => number) | undefined;
  readonly #sampleMs: number;
  readonly #ring: Sample[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(totals: Totals, sampleMs = SAMPLE_MS, backlog?: () => number) {
    this.#totals = totals;
    this.#sampleMs = sampleMs;
    this.#backlog = backlog;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), sampleMs);
    this.#timer.unref();
  }

  #sample(): void {
    let backlog: number | undefined;
    try {
      backlog = this.#backlog?.();
    } catch {
      backlog = undefined; // a closing buffer: the gap shows as a missing point, never as a crash
    }
    this.#ring.push({ at: performance.now(), totals: { ...this.#totals }, backlog });
    if (this.#ring.length > SERIES_SAMPLES) this.#ring.shift();
  }

  /** Per-second rates from the oldest sample in the last minute to now. */
  rates(): Rates {
    const oldest = this.#ring[Math.max(0, this.#ring.length - RATE_SAMPLES)]!;
    const seconds = (performance.now() - oldest.at) / 1000;
    const out: Record<string, number> = { windowSeconds: Math.round(seconds * 10) / 10 };
    for (const key of Object.keys(this.#totals) as (keyof Totals)[]) {
      const delta = this.#totals[key] - oldest.totals[key];
      out[`${key}PerSecond`] = seconds >= 1 ? Math.round((delta / seconds) * 10) / 10 : 0;
    }
    return out as Rates;
  }

  /** The ring as series, oldest first (at most SERIES_SAMPLES points). */
  series(): Series {
    const perSecond = (key: keyof Totals): number[] => {
      const out: number[] = [];
      for (let i = 1; i < this.#ring.length; i++) {
        const a = this.#ring[i - 1]!;
        const b = this.#ring[i]!;
        const seconds = (b.at - a.at) / 1000;
        out.push(seconds > 0 ? Math.round(((b.totals[key] - a.totals[key]) / seconds) * 10) / 10 : 0);
      }
      return out;
    };
    return {
      sampleSeconds: this.#sampleMs / 1000,
      receivedPerSecond: perSecond('received'),
      deliveredPerSecond: perSecond('delivered'),
      backlogEvents: this.#ring.flatMap((s) => (s.backlog === undefined ? [] : [s.backlog])),
    };
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
