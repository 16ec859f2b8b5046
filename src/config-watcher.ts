// Config refresh: re-reads the config file every interval (LOGDRIVER_CONFIG_REFRESH_INTERVAL) or on demand
// (SIGHUP) and, when it changed, swaps the tenant routing. Only sinks change live; other keys need a restart.
import { readFileSync } from 'node:fs';
import { loadConfig } from './config/index.js';
import type { Router } from './delivery/index.js';
import type { Logger } from './telemetry/logger.js';

/** What a reload did. */
export type ReloadOutcome = 'updated' | 'unchanged' | 'failed';

export class ConfigWatcher {
  readonly #file: string;
  readonly #intervalMs: number;
  readonly #router: Router;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #lastText: string | undefined;
  #closed = false;

  constructor(file: string, intervalMs: number, router: Router, log: Logger) {
    this.#file = file;
    this.#intervalMs = intervalMs;
    this.#router = router;
    this.#log = log;
    this.#lastText = this.#read();
  }

  /** Starts the periodic check; with an interval of 0 the file is only re-read by reload(). */
  start(): void {
    if (this.#intervalMs <= 0 || this.#closed) return;
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
    this.#apply(text, 'config refreshed: tenant sinks updated');
  }

  /**
   * Re-reads the file now (SIGHUP) and applies it if it changed. Logs exactly one line saying what happened;
   * never throws: a broken or unreadable file keeps the running routing.
   */
  reload(): ReloadOutcome {
    const file = this.#file;
    if (this.#closed) {
      this.#log.info({ file }, 'config reload ignored: the service is stopping');
      return 'unchanged';
    }
    const text = this.#read();
    if (text === undefined) {
      this.#log.error(
        { file },
        'config reload failed: cannot read the file; keeping the running tenant sinks',
      );
      return 'failed';
    }
    if (text === this.#lastText) {
      this.#log.info({ file }, 'config reloaded: file unchanged, tenant sinks kept');
      return 'unchanged';
    }
    return this.#apply(text, 'config reloaded: tenant sinks updated');
  }

  #apply(text: string, done: string): ReloadOutcome {
    this.#lastText = text;
    try {
      const config = loadConfig({ file: this.#file });
      this.#router.update(config);
      this.#log.info({ file: this.#file, tenants: Object.keys(config.tenants).length }, done);
      return 'updated';
    } catch (err) {
      this.#log.error(
        { file: this.#file, err: (err as Error).message },
        'config refresh failed; keeping the running tenant sinks',
      );
      return 'failed';
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
  }
}
