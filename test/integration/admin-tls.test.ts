// The admin listener over HTTPS on loopback: /live and the /v1 API answered to a client that verifies the
// server against the test CA, refused to one trusting another CA; with clientCaFile only clients presenting a
// certificate that CA signed get in (probes included: mutual TLS is all or nothing on a listener).
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { Registry } from 'prom-client';
import { createAdminServer, type AdminServer } from '../../src/admin/server.js';
import { issueCert, makeCa, type Pem } from '../support/certs.js';
import { tempDir } from '../support/service.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function agent(ca: Pem, client?: Pem): Agent {
  const a = new Agent({
    connect: { ca: ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) },
  });
  cleanups.push(() => a.close());
  return a;
}

async function start(tls: { certFile: string; keyFile: string; clientCaFile?: string }) {
  const woken: string[] = [];
  const admin: AdminServer = createAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    registry: new Registry(),
    readiness: () => [],
    retryNow: (tenant) => {
      woken.push(tenant);
      return true;
    },
    tls,
  });
  cleanups.push(() => admin.close());
  const { port } = await admin.start();
  return { base: `https://127.0.0.1:${port}`, woken };
}

function certs() {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const ca = makeCa(dir.path);
  return { dir: dir.path, ca, server: issueCert(dir.path, ca, 'admin') };
}

describe('admin listener over HTTPS', () => {
  it('answers a client that verifies it, and refuses plain HTTP and a client trusting another CA', async () => {
    const { dir, ca, server } = certs();
    const { base, woken } = await start({ certFile: server.certFile, keyFile: server.keyFile });
    const live = await request(`${base}/live`, { dispatcher: agent(ca) });
    expect(live.statusCode).toBe(200);
    expect(await live.body.json()).toEqual({ status: 'up' });
    const wake = await request(`${base}/v1/tenants/acme/retry-now`, {
      method: 'POST',
      dispatcher: agent(ca),
    });
    expect(wake.statusCode).toBe(202);
    await wake.body.dump();
    expect(woken).toEqual(['acme']);

    const other = makeCa(dir, 'other-ca');
    await expect(request(`${base}/live`, { dispatcher: agent(other) })).rejects.toThrow(/certificate/i);
    await expect(
      request(base.replace('https:', 'http:') + '/live').then((r) => r.statusCode),
    ).rejects.toThrow();
  });

  it('with clientCaFile, takes only clients presenting a certificate that CA signed', async () => {
    const { dir, ca, server } = certs();
    const clientCa = makeCa(dir, 'operators-ca');
    const operator = issueCert(dir, clientCa, 'operator', 'client');
    const { base } = await start({
      certFile: server.certFile,
      keyFile: server.keyFile,
      clientCaFile: clientCa.certFile,
    });
    await expect(request(`${base}/live`, { dispatcher: agent(ca) })).rejects.toThrow();
    const res = await request(`${base}/live`, { dispatcher: agent(ca, operator) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
