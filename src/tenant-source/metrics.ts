// Metrics of the tenant sources (the config file and the broker): last good refresh, failures, cache use.
// Labels are the source only ('file' or 'broker'), never a tenant.
import { Counter, Gauge, type Registry } from 'prom-client';

export type SourceName = 'file' | 'broker';

export class TenantSourceMetrics {
  readonly #lastSuccess: Gauge<'source'>;
  readonly #failures: Counter<'source'>;
  readonly #fromCache: Gauge;
  readonly #held: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#lastSuccess = new Gauge({
      name: 'logdriver_config_last_refresh_timestamp_seconds',
      help: 'Unix time of the last successful tenant config refresh (applied or confirmed unchanged), by source.',
      labelNames: ['source'],
      registers,
    });
    this.#failures = new Counter({
      name: 'logdriver_config_refresh_failures_total',
      help: 'Tenant config refreshes that failed or were refused (the running config was kept), by source.',
      labelNames: ['source'],
      registers,
    });
    this.#fromCache = new Gauge({
      name: 'logdriver_config_broker_cache_in_use',
      help: '1 while the tenant config in force is the cached copy because the broker was not reached at start.',
      registers,
    });
    this.#held = new Gauge({
      name: 'logdriver_config_delivery_held',
      help: '1 while delivery waits for a first tenant config (broker not reached, no usable cache).',
      registers,
    });
  }

  refreshed(source: SourceName): void {
    this.#lastSuccess.set({ source }, Date.now() / 1000);
    if (source === 'broker') this.#fromCache.set(0);
  }

  refreshFailed(source: SourceName): void {
    this.#failures.inc({ source });
  }

  cacheInUse(): void {
    this.#fromCache.set(1);
  }

  deliveryHeld(held: boolean): void {
    this.#held.set(held ? 1 : 0);
  }
}
