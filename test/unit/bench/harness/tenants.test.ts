// The tenants scenario counts the failing tenant's events beforehand with the producer's exact options.
import { describe, expect, it } from 'vitest';
import { countTenantEvents } from '../../../../bench/harness/runners/tenants.js';
import { generateEvents, generatorOptionsFrom } from '../../../../src/tools/load/index.js';

describe('countTenantEvents', () => {
  it('matches what `send` generates from the same flags', () => {
    const o = { count: 3000, tenants: 51, seed: 4242, start: 1_700_000_000_000 };
    // The options `logdriver send` builds from --count --tenants --skew 0 --seed --start --size 500.
    const sendOptions = generatorOptionsFrom(
      { count: o.count, tenants: o.tenants, skew: 0, seed: o.seed, start: o.start, size: 500 },
      { count: 1000, startMillis: Date.now() },
    );
    let expected = 0;
    for (const e of generateEvents(sendOptions)) {
      if ((JSON.parse(e.toString('utf8')) as { tenantId: string }).tenantId === 'tenant-0001') expected++;
    }
    expect(expected).toBeGreaterThan(0);
    expect(countTenantEvents(o, 'tenant-0001')).toBe(expected);
  });

  it('counts nothing for a tenant that is not generated', () => {
    expect(countTenantEvents({ count: 500, tenants: 51, seed: 1, start: 0 }, 'tenant-0099')).toBe(0);
  });
});
