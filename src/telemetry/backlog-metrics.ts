// Backlog age on /metrics: how old the oldest undelivered event is, overall and for the few tenants furthest
// behind. The per-tenant series are a bounded set (the top N, recomputed at each scrape), so a tenant flood
// never becomes a metrics flood.
import { Gauge, type Registry } from 'prom-client';
import type { TenantBacklog } from '../buffer/types.js';

/** Tenants with their own age series: the N whose oldest event is oldest. */
export const OLDEST_TENANTS_SHOWN = 10;
/** Scrapes within this long share one read of the backlog (both gauges are filled from it). */
const SNAPSHOT_MS = 1_000;

export function registerBacklogMetrics(
  registry: Registry,
  /** The `limit` tenants whose oldest event is oldest (a longer or unsorted list is sorted here). */
  oldestBacklogs: (limit: number) => Promise<readonly TenantBacklog[]>,
  now: () => number = Date.now,
): void {
  let snapshot: { at: number; read: Promise<readonly TenantBacklog[]> } | undefined;
  const read = (): Promise<readonly TenantBacklog[]> => {
    const t = now();
    if (!snapshot || t - snapshot.at > SNAPSHOT_MS)
      snapshot = { at: t, read: oldestBacklogs(OLDEST_TENANTS_SHOWN).catch(() => []) };
    return snapshot.read;
  };
  const ageOf = (b: TenantBacklog): number => Math.max(0, now() - b.oldestReceivedAt) / 1000;

  new Gauge({
    name: 'logdriver_buffer_oldest_event_age_seconds',
    help: 'Age of the oldest stored (undelivered) event of any tenant; 0 when nothing is stored.',
    registers: [registry],
    async collect() {
      const tenants = await read();
      let oldest = Infinity;
      for (const b of tenants) oldest = Math.min(oldest, b.oldestReceivedAt);
      this.set(oldest === Infinity ? 0 : Math.max(0, now() - oldest) / 1000);
    },
  });
  new Gauge({
    name: 'logdriver_buffer_oldest_event_age_by_tenant_seconds',
    help: `Age of the oldest stored event of the ${OLDEST_TENANTS_SHOWN} tenants furthest behind (others not shown).`,
    labelNames: ['tenant'],
    registers: [registry],
    async collect() {
      const tenants = await read();
      const top = [...tenants]
        .sort((a, b) => a.oldestReceivedAt - b.oldestReceivedAt)
        .slice(0, OLDEST_TENANTS_SHOWN);
      this.reset();
      for (const b of top) this.set({ tenant: b.tenant }, ageOf(b));
    },
  });
}
