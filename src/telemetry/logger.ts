// The service logger: pino JSON lines on stderr (stdout belongs to the stdout sink's events).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'logdriver' } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for tests and tools that have nothing to say. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Lets through at most `limit` messages per key per window, then one summary of what it held back, so a
 * producer sending garbage cannot flood the log.
 */
export class LogThrottle {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { start: number; seen: number }>();

  constructor(limit = 10, windowMs = 10_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Returns whether to log now, and how many messages of this key were suppressed in the window that ended. */
  admit(key: string, now = Date.now()): { log: boolean; suppressed: number } {
    // Keys can come from producers (tenant ids): forget them all rather than grow without bound.
    if (this.#windows.size > 10_000) this.#windows.clear();
    let w = this.#windows.get(key);
    let suppressed = 0;
    if (!w || now - w.start >= this.#windowMs) {
      if (w && w.seen > this.#limit) suppressed = w.seen - this.#limit;
      w = { start: now, seen: 0 };
      this.#windows.set(key, w);
    }
    w.seen++;
    return { log: w.seen <= this.#limit, suppressed };
  }
}
