// The backlog age gauges: the oldest stored event overall, and only the N tenants furthest behind by name.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { TenantBacklog } from '../../../src/buffer/types.js';
import { OLDEST_TENANTS_SHOWN, registerBacklogMetrics } from '../../../src/telemetry/backlog-metrics.js';

const NOW = 1_764_000_000_000;
const tenant = (name: string, ageS: number): TenantBacklog => ({
  tenant: name,
  events: 1,
  bytes: 100,
  oldestReceivedAt: NOW - ageS * 1000,
});

async function scrape(backlog: readonly TenantBacklog[]) {
  const registry = new Registry();
  registerBacklogMetrics(
    registry,
    () => Promise.resolve(backlog),
    () => NOW,
  );
  const overall = (await registry.getSingleMetric('logdriver_buffer_oldest_event_age_seconds')!.get()).values;
  const byTenant = (
    await registry.getSingleMetric('logdriver_buffer_oldest_event_age_by_tenant_seconds')!.get()
  ).values;
  return { overall, byTenant };
}

describe('backlog age metrics', () => {
  it('report the oldest event overall and the tenants furthest behind, at most N of them', async () => {
    const backlog = Array.from({ length: 1000 }, (_, i) => tenant(`t${i}`, i));
    const { overall, byTenant } = await scrape(backlog);
    expect(overall).toEqual([{ labels: {}, value: 999 }]);
    expect(byTenant).toHaveLength(OLDEST_TENANTS_SHOWN);
    expect(byTenant[0]).toEqual({ labels: { tenant: 't999' }, value: 999 });
    expect(byTenant.map((v) => v.labels.tenant)).toEqual(
      Array.from({ length: OLDEST_TENANTS_SHOWN }, (_, i) => `t${999 - i}`),
    );
  });

  it('are 0 and empty when nothing is stored', async () => {
    const { overall, byTenant } = await scrape([]);
    expect(overall).toEqual([{ labels: {}, value: 0 }]);
    expect(byTenant).toEqual([]);
  });
});
