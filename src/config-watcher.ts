// Config refresh: re-reads the config file every interval and, when it changed, swaps the tenant routing
// (LOGDRIVER_CONFIG_REFRESH_INTERVAL). Only sinks change live; other keys need a restart.
import { readFileSync } from 'node:fs';
import { loadConfig } from './config/index.js';
import type { Router } from './delivery/index.js';
import type { Logger } from './telemetry/logger.js';

export class ConfigWatcher {
  readonly #file: string;
  readonly #intervalMs: number;
  readonly #router: Router;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #lastText: string | undefined;

  constructor(file: string, intervalMs: number, router: Router, log: Logger) {
    this.#file = file;
    this.#intervalMs = intervalMs;
    this.#router = router;
    this.#log = log;
    this.#lastText = this.#read();
  }

  start(): void {
    this.#timer = setInterval(() => this.check(), this.#intervalMs);
    this.#timer.unref();
  }

  #read(): string | undefined {
    try {
      return readFileSync(this.#file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Applies the file if its text changed; a broken file is logged and the running routing kept. */
  check(): void {
    const text = this.#read();
    if (text === undefined || text === this.#lastText) return;
    this.#lastText = text;
    try {
      const config = loadConfig({ file: this.#file });
      this.#router.update(config);
      this.#log.info(
        { tenants: Object.keys(config.tenants).length },
        'config refreshed: tenant sinks updated',
      );
    } catch (err) {
      this.#log.error(
        { err: (err as Error).message },
        'config refresh failed; keeping the running tenant sinks',
      );
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
