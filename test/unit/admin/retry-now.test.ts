// The admin listener's retry-now call: wakes a tenant's lane, from loopback peers only.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../../src/admin/index.js';

function admin(known: string[], woken: string[]) {
  return createAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    registry: new Registry(),
    readiness: () => [],
    retryNow: (tenant) => {
      woken.push(tenant);
      return known.includes(tenant);
    },
  });
}

describe('POST /v1/tenants/:tenant/retry-now', () => {
  it('wakes the named tenant (202), 404 for a tenant without a lane', async () => {
    const woken: string[] = [];
    const { app } = admin(['acme corp'], woken);
    const ok = await app.inject({ method: 'POST', url: '/v1/tenants/acme%20corp/retry-now' });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ tenant: 'acme corp' });
    const missing = await app.inject({ method: 'POST', url: '/v1/tenants/nobody/retry-now' });
    expect(missing.statusCode).toBe(404);
    expect(woken).toEqual(['acme corp', 'nobody']);
    await app.close();
  });

  it('refuses a peer that is not on loopback (the admin listener has no token yet)', async () => {
    const woken: string[] = [];
    const { app } = admin(['acme'], woken);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tenants/acme/retry-now',
      remoteAddress: '10.1.2.3',
    });
    expect(res.statusCode).toBe(403);
    expect(woken).toEqual([]);
    for (const remoteAddress of ['::1', '::ffff:127.0.0.1', '127.0.0.2']) {
      const r = await app.inject({ method: 'POST', url: '/v1/tenants/acme/retry-now', remoteAddress });
      expect(r.statusCode, remoteAddress).toBe(202);
    }
    await app.close();
  });

  it('does not exist when the service gives no retryNow', async () => {
    const { app } = createAdminServer({
      listen: { host: '127.0.0.1', port: 0 },
      registry: new Registry(),
      readiness: () => [],
    });
    const res = await app.inject({ method: 'POST', url: '/v1/tenants/acme/retry-now' });
    expect(res.statusCode).toBe(404);
    await app.close();
  });
});
