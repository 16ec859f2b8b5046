// Config refresh: keeps the Router's tenant routing in step with its sources, the config file (re-read every
// configRefreshIntervalMs and on SIGHUP) and, when tenantSource.url is set, a configuration broker (fetched on
// the same schedule and on SIGHUP). The broker's tenants win over the file's; a bad new config from either is
// logged once and the running routing kept. Only sinks change live; other keys need a restart.
import { unwatchFile, watchFile } from 'node:fs';
import type { Config } from './config/index.js';
import type { Router } from './delivery/index.js';
import type { Logger } from './telemetry/logger.js';
import type { Telemetry } from './telemetry/telemetry.js';
import {
  BrokerSource,
  FileSource,
  TenantSourceMetrics,
  mergeRouting,
  type TenantDocument,
} from './tenant-source/index.js';

/** What a reload did. */
export type ReloadOutcome = 'updated' | 'unchanged' | 'failed';

type Routing = Pick<Config, 'defaultSink' | 'tenants'>;

/** While delivery waits for a first broker answer, retries start at this delay and double up to the cap. */
const HELD_RETRY_FIRST_MS = 1000;
const HELD_RETRY_MAX_MS = 60_000;
/** How often the config file's status is looked at for a change (a stat; the file is read only when it changed). */
const FILE_WATCH_INTERVAL_MS = 2_000;

export interface ConfigWatcherOptions {
  readonly config: Config;
  /** The config file, when the service was started with one. */
  readonly file?: string | undefined;
  readonly router: Router;
  readonly log: Logger;
  readonly telemetry: Telemetry;
}

export class ConfigWatcher {
  readonly #intervalMs: number;
  readonly #router: Router;
  readonly #log: Logger;
  readonly #metrics: TenantSourceMetrics;
  readonly #file: FileSource | undefined;
  readonly #broker: BrokerSource | undefined;
  /** The parts of the routing in force. */
  #fileRouting: Routing;
  #brokerDoc: TenantDocument | undefined;
  #timer: NodeJS.Timeout | undefined;
  #heldRetry: NodeJS.Timeout | undefined;
  #heldDelayMs = HELD_RETRY_FIRST_MS;
  #onRouted: (() => void) | undefined;
  #fetching: Promise<void> | undefined;
  #fetchAgain = false;
  #closed = false;

  /** Throws when tenantSource.caFile cannot be read (a config error: the start fails). */
  constructor(opts: ConfigWatcherOptions) {
    const { config } = opts;
    this.#intervalMs = config.configRefreshIntervalMs;
    this.#router = opts.router;
    this.#log = opts.log;
    this.#metrics = new TenantSourceMetrics(opts.telemetry.registry);
    this.#file = opts.file === undefined ? undefined : new FileSource(opts.file);
    const { url } = config.tenantSource;
    this.#broker =
      url === undefined ? undefined : new BrokerSource({ ...config.tenantSource, url }, config.dataDir);
    this.#fileRouting = { defaultSink: config.defaultSink, tenants: config.tenants };
  }

  /**
   * The first broker answer, before delivery starts (else a broker tenant's stored events would go to the
   * default sink): the broker's document, else the cached copy. Resolves true when delivery may start; false
   * when neither was usable: then `onRouted` is called once a broker answer is in force (retried with back-off).
   */
  async load(): Promise<boolean> {
    const broker = this.#broker;
    if (!broker) return true;
    const cache = broker.loadCache();
    const fetched = await broker.fetch();
    const where = { broker: broker.shownUrl };
    if (fetched.kind === 'changed') {
      const refused = this.#applyBroker(fetched.doc);
      if (refused === undefined) {
        this.#accepted(fetched.accept());
        this.#log.info(
          { ...where, tenants: Object.keys(fetched.doc.tenants).length },
          'tenant config loaded from the broker',
        );
        return true;
      }
      this.#metrics.refreshFailed('broker');
      this.#log.error({ ...where, reason: refused }, 'tenant config from the broker refused at start');
    } else if (fetched.kind === 'unchanged' && cache.kind === 'found') {
      if (this.#applyBroker(cache.doc) === undefined) {
        this.#metrics.refreshed('broker');
        this.#log.info(
          { ...where, cacheFile: broker.cacheFile },
          'tenant config loaded: the broker confirmed the cached copy',
        );
        return true;
      }
    } else if (fetched.kind !== 'unchanged') {
      this.#metrics.refreshFailed('broker');
      this.#log.error(
        { ...where, reason: fetched.reason },
        fetched.kind === 'refused'
          ? 'tenant config from the broker refused at start'
          : 'broker not reached at start',
      );
    }
    if (cache.kind === 'found') {
      const refused = this.#applyBroker(cache.doc);
      if (refused === undefined) {
        this.#metrics.cacheInUse();
        this.#log.warn(
          { ...where, cacheFile: broker.cacheFile, savedAt: cache.savedAt },
          'routing tenants from the cached broker copy; the broker is asked again at each refresh',
        );
        return true;
      }
      broker.forget();
      this.#log.error({ cacheFile: broker.cacheFile, reason: refused }, 'cached broker copy refused');
    } else if (cache.kind === 'unusable') {
      this.#log.error({ cacheFile: broker.cacheFile, reason: cache.reason }, 'cached broker copy not usable');
    }
    this.#metrics.deliveryHeld(true);
    this.#log.error(
      { ...where, cacheFile: broker.cacheFile },
      'no tenant config from the broker and no usable cached copy: delivery held until the broker answers',
    );
    return false;
  }

  /** Called once when a held start gets its first broker answer in force. */
  onRouted(fn: () => void): void {
    this.#onRouted = fn;
    this.#scheduleHeldRetry();
  }

  /**
   * Starts watching: the config file is applied when it changes (its status looked at every 2 s), and both
   * sources are read every configRefreshIntervalMs when that is set (0: the broker only at start and SIGHUP).
   */
  start(): void {
    if (this.#closed) return;
    if (this.#file)
      watchFile(this.#file.file, { interval: FILE_WATCH_INTERVAL_MS, persistent: false }, this.#onFileChange);
    if (this.#intervalMs <= 0) return;
    this.#timer = setInterval(() => this.check(), this.#intervalMs);
    this.#timer.unref();
  }

  readonly #onFileChange = (): void => {
    if (!this.#closed) this.#checkFile();
  };

  /** One periodic check: the file if its text changed, and a broker fetch. */
  check(): void {
    this.#checkFile();
    if (this.#broker) void this.#refreshBroker(false);
  }

  #checkFile(): void {
    const read = this.#file?.read();
    if (read?.kind === 'changed') this.#applyFile(read.routing, 'config refreshed: tenant sinks updated');
    else if (read?.kind === 'invalid') this.#fileRefused(read.reason);
  }

  /**
   * SIGHUP: re-reads the file now and applies it if it changed (one line saying what happened), and fetches
   * the broker now (one more line). Never throws: a broken source keeps the running routing.
   */
  reload(): ReloadOutcome {
    if (this.#closed) {
      this.#log.info({ file: this.#file?.file }, 'config reload ignored: the service is stopping');
      return 'unchanged';
    }
    if (this.#broker) void this.#refreshBroker(true);
    if (!this.#file) return 'unchanged';
    const file = this.#file.file;
    const read = this.#file.read();
    switch (read.kind) {
      case 'unreadable':
        this.#log.error(
          { file },
          'config reload failed: cannot read the file; keeping the running tenant sinks',
        );
        this.#metrics.refreshFailed('file');
        return 'failed';
      case 'unchanged':
        this.#metrics.refreshed('file');
        this.#log.info({ file }, 'config reloaded: file unchanged, tenant sinks kept');
        return 'unchanged';
      case 'invalid':
        this.#fileRefused(read.reason);
        return 'failed';
      case 'changed':
        return this.#applyFile(read.routing, 'config reloaded: tenant sinks updated');
    }
  }

  #applyFile(routing: Routing, done: string): ReloadOutcome {
    const file = this.#file?.file;
    try {
      this.#router.update(mergeRouting(routing, this.#brokerDoc));
    } catch (err) {
      this.#fileRefused((err as Error).message);
      return 'failed';
    }
    this.#fileRouting = routing;
    this.#metrics.refreshed('file');
    this.#log.info({ file, tenants: Object.keys(routing.tenants).length }, done);
    return 'updated';
  }

  #fileRefused(reason: string): void {
    this.#metrics.refreshFailed('file');
    this.#log.error(
      { file: this.#file?.file, err: reason },
      'config refresh failed; keeping the running tenant sinks',
    );
  }

  /** Puts a broker document in force; returns why it was refused (a sink that cannot be built). */
  #applyBroker(doc: TenantDocument): string | undefined {
    try {
      this.#router.update(mergeRouting(this.#fileRouting, doc));
    } catch (err) {
      return (err as Error).message;
    }
    this.#brokerDoc = doc;
    return undefined;
  }

  #accepted(cacheProblem: string | undefined): void {
    this.#metrics.refreshed('broker');
    if (cacheProblem !== undefined)
      this.#log.warn({ reason: cacheProblem }, 'tenant cache file not written; the new config is in force');
  }

  /** One fetch at a time; a reload during a fetch fetches once more after it (the broker may have changed). */
  #refreshBroker(asked: boolean): Promise<void> {
    if (this.#fetching) {
      this.#fetchAgain ||= asked;
      return this.#fetching;
    }
    this.#fetching = (async () => {
      let again = asked;
      do {
        this.#fetchAgain = false;
        await this.#fetchOnce(again);
        again = this.#fetchAgain;
      } while (again && !this.#closed);
    })().finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  async #fetchOnce(asked: boolean): Promise<void> {
    const broker = this.#broker!;
    const fetched = await broker.fetch();
    if (this.#closed) return;
    const where = { broker: broker.shownUrl };
    switch (fetched.kind) {
      case 'unchanged':
        this.#metrics.refreshed('broker');
        if (asked) this.#log.info(where, 'tenant config from the broker unchanged');
        else this.#log.debug(where, 'tenant config from the broker unchanged');
        return;
      case 'failed':
        this.#metrics.refreshFailed('broker');
        this.#log.error(
          { ...where, reason: fetched.reason },
          'tenant config refresh from the broker failed; keeping the running tenant sinks',
        );
        return;
      case 'refused':
        this.#brokerRefused(fetched.reason);
        return;
      case 'changed': {
        const refused = this.#applyBroker(fetched.doc);
        if (refused !== undefined) {
          this.#brokerRefused(refused);
          return;
        }
        this.#accepted(fetched.accept());
        this.#log.info(
          { ...where, tenants: Object.keys(fetched.doc.tenants).length },
          'tenant config from the broker applied',
        );
        this.#routed();
      }
    }
  }

  #brokerRefused(reason: string): void {
    this.#metrics.refreshFailed('broker');
    this.#log.error(
      { broker: this.#broker!.shownUrl, reason },
      'tenant config from the broker refused; keeping the running tenant sinks',
    );
  }

  /** A held start's first broker answer is in force: delivery may begin. */
  #routed(): void {
    const fn = this.#onRouted;
    if (!fn) return;
    this.#onRouted = undefined;
    if (this.#heldRetry) clearTimeout(this.#heldRetry);
    this.#metrics.deliveryHeld(false);
    fn();
  }

  #scheduleHeldRetry(): void {
    if (this.#closed || !this.#onRouted) return;
    const delay = this.#heldDelayMs;
    this.#heldDelayMs = Math.min(delay * 2, HELD_RETRY_MAX_MS);
    this.#heldRetry = setTimeout(() => {
      void this.#refreshBroker(false).finally(() => this.#scheduleHeldRetry());
    }, delay);
    this.#heldRetry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#onRouted = undefined;
    if (this.#file) unwatchFile(this.#file.file, this.#onFileChange);
    if (this.#timer) clearInterval(this.#timer);
    if (this.#heldRetry) clearTimeout(this.#heldRetry);
    await this.#broker?.close();
  }
}
