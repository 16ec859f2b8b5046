// Tenant sinks from a configuration broker: a real loopback HTTP(S) broker, the service in process, mock sinks.
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/app.js';
import { configSchema } from '../../src/config/index.js';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import type { MockSink } from '../../src/tools/mock-sink/index.js';
import { issueCert, makeCa } from '../support/certs.js';
import { event, eventually, httpBase, tempDir, testConfig } from '../support/service.js';

const TOKEN = 'broker-token-7f3a9c';
const DOC_SECRET = 'sink-secret-in-document-51e2';

/** A loopback broker: answers the current document with its ETag, honours If-None-Match, records requests. */
class Broker {
  doc = '';
  etag = '"v1"';
  contentType = 'application/json';
  readonly requests: IncomingHttpHeaders[] = [];
  readonly #server: Server;
  port = 0;

  constructor(tls?: { cert: string; key: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.requests.push(req.headers);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      if (req.headers['if-none-match'] === this.etag) {
        res.writeHead(304, { etag: this.etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': this.contentType, etag: this.etag }).end(this.doc);
    };
    this.#server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  }

  setTenants(tenants: Record<string, string>, etag: string): void {
    const entries = Object.entries(tenants).map(([t, url]) => [t, { sink: { type: 'http', url } }] as const);
    this.doc = JSON.stringify({ tenants: Object.fromEntries(entries) });
    this.etag = etag;
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A logger whose JSON lines the test reads. */
function capturingLogger(): { log: pino.Logger; lines: string[]; count: (msg: string) => number } {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const count = (msg: string) => lines.filter((l) => l.includes(`"msg":"${msg}`)).length;
  return { log, lines, count };
}

async function post(service: Service, body: string): Promise<void> {
  const res = await request(`${httpBase(service.endpoints)}/v1/events`, { method: 'POST', body });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

function nsOf(sink: MockSink, tenant: string): number[] {
  return sink.received(tenant).map((r) => (r.event as { n: number }).n);
}

describe('tenant config from a configuration broker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(tls = false) {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const a = await startMockSink({ keepEvents: true });
    const b = await startMockSink({ keepEvents: true });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    let caFile: string | undefined;
    let broker: Broker;
    if (tls) {
      const ca = makeCa(dir.path);
      const cert = issueCert(dir.path, ca, 'broker');
      caFile = ca.certFile;
      broker = new Broker({ cert: cert.cert, key: cert.key });
    } else broker = new Broker();
    await broker.listen();
    cleanups.push(() => broker.close());
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${broker.port}/v1/tenants?site=eu`;
    const raw = testConfig(join(dir.path, 'data'), {
      tenantSource: { url, token: TOKEN, ...(caFile ? { caFile } : {}) },
      configRefreshIntervalMs: 0, // fetches happen at start and on reload(), so the test decides when
    });
    const start = async (logger = capturingLogger()) => {
      const service = await startService(configSchema.parse(raw), { log: logger.log });
      cleanups.push(() => service.stop());
      return { service, ...logger };
    };
    return { dir, a, b, broker, raw, start };
  }

  it('routes by the broker over HTTPS, revalidates with the ETag, and re-routes on a changed document', async () => {
    const { a, b, broker, start } = await setup(true);
    broker.setTenants({ acme: a.url }, '"v1"');
    const { service, lines, count } = await start();
    expect(count('tenant config loaded from the broker')).toBe(1);
    expect(broker.requests[0]).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/json',
    });
    expect(broker.requests[0]!['if-none-match']).toBeUndefined();

    await post(service, event('acme', 0));
    await a.waitFor((r) => r.unique === 1, 10_000);

    // Nothing changed: the second request carries the ETag and gets 304; the routing stays.
    service.reload();
    await eventually('the 304 logged', () => count('tenant config from the broker unchanged') === 1);
    expect(broker.requests[1]!['if-none-match']).toBe('"v1"');
    await post(service, event('acme', 1));
    await a.waitFor((r) => r.unique === 2, 10_000);

    // A new document: the tenant's next batch goes to its new sink.
    broker.setTenants({ acme: b.url }, '"v2"');
    service.reload();
    await eventually('the change applied', () => count('tenant config from the broker applied') === 1);
    await post(service, event('acme', 2));
    await b.waitFor((r) => r.unique === 1, 10_000);
    expect(nsOf(b, 'acme')).toEqual([2]);
    expect(nsOf(a, 'acme')).toEqual([0, 1]);

    const metrics = await service.telemetry.registry.metrics();
    expect(metrics).toMatch(/logdriver_config_last_refresh_timestamp_seconds\{source="broker"\} [1-9]/);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('refuses a bad document with one logged reason and keeps the running routing', async () => {
    const { a, b, broker, start } = await setup();
    broker.setTenants({ acme: a.url }, '"v1"');
    const { service, lines, count } = await start();
    const refused = 'tenant config from the broker refused';

    // A schema error; the document carries a secret that must not reach the log.
    broker.doc = JSON.stringify({
      tenants: { acme: { sink: { type: 'http', url: b.url, auth: { bearer: DOC_SECRET }, bogus: 1 } } },
    });
    broker.etag = '"bad1"';
    service.reload();
    await eventually('the refusal logged', () => count(refused) === 1);
    const line = lines.find((l) => l.includes(refused))!;
    expect(line).toContain('tenants.acme.sink.bogus: unknown key');
    expect(line).not.toContain(DOC_SECRET);

    // Not JSON at all, with the secret next to the error.
    broker.doc = `{"tenants": {"acme": ${DOC_SECRET}}}`;
    broker.etag = '"bad2"';
    service.reload();
    await eventually('the second refusal logged', () => count(refused) === 2);
    expect(lines.find((l) => l.includes(refused) && l.includes('not valid JSON'))).toBeDefined();

    // A sink that validates but cannot be built (its CA file is missing).
    broker.doc = JSON.stringify({
      tenants: { acme: { sink: { type: 'http', url: b.url, tls: { caFile: '/nonexistent/ca.pem' } } } },
    });
    broker.etag = '"bad3"';
    service.reload();
    await eventually('the third refusal logged', () => count(refused) === 3);

    await post(service, event('acme', 0));
    await a.waitFor((r) => r.unique === 1, 10_000);
    expect(b.report().unique).toBe(0);
    expect(lines.join('\n')).not.toContain(DOC_SECRET);
    expect(lines.join('\n')).not.toContain(TOKEN);
    const metrics = await service.telemetry.registry.metrics();
    expect(metrics).toContain('logdriver_config_refresh_failures_total{source="broker"} 3');
  });

  it('routes from the cached copy when the broker is down at the next start', async () => {
    const { a, broker, raw, start } = await setup();
    broker.setTenants({ acme: a.url }, '"v1"');
    const first = await start();
    await post(first.service, event('acme', 0));
    await a.waitFor((r) => r.unique === 1, 10_000);
    await first.service.stop();

    const cacheFile = join(String(raw.dataDir), 'tenants-cache.json');
    expect(existsSync(cacheFile)).toBe(true);
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(cacheFile, 'utf8')).not.toContain(TOKEN);

    await broker.close();
    const second = await start();
    expect(second.count('broker not reached at start')).toBe(1);
    expect(second.count('routing tenants from the cached broker copy')).toBe(1);
    await post(second.service, event('acme', 1));
    await a.waitFor((r) => r.unique === 2, 10_000);
    expect(nsOf(a, 'acme')).toEqual([0, 1]);
    expect(await second.service.telemetry.registry.metrics()).toContain(
      'logdriver_config_broker_cache_in_use 1',
    );
  });

  it('holds delivery without broker or cache, and delivers once the broker answers', async () => {
    const { a, broker, start } = await setup();
    broker.setTenants({ acme: a.url }, '"v1"');
    const port = broker.port;
    await broker.close();
    const { service, count } = await start();
    expect(count('no tenant config from the broker and no usable cached copy')).toBe(1);
    // Stored, not sent to the default sink while the routing is unknown.
    await post(service, event('acme', 0));
    expect(service.buffer.stats().events + service.buffer.stats().pendingEvents).toBeGreaterThan(0);

    await broker.listen(port);
    service.reload();
    await a.waitFor((r) => r.unique === 1, 10_000);
    expect(nsOf(a, 'acme')).toEqual([0]);
  });

  it('fails the start on an unreadable tenantSource.caFile, leaving the data directory free', async () => {
    const { dir, raw, start } = await setup();
    (raw.tenantSource as { caFile: string }).caFile = join(dir.path, 'missing-ca.pem');
    await expect(start()).rejects.toThrow(/tenantSource\.caFile: cannot read/);
    delete (raw.tenantSource as { caFile?: string }).caFile;
    const { service } = await start(); // the lock was released by the failed start
    expect(service.endpoints.http).toBeDefined();
  });

  it('refuses a broker whose certificate another CA signed', async () => {
    const { dir, a, broker, raw, start } = await setup(true);
    broker.setTenants({ acme: a.url }, '"v1"');
    const other = makeCa(dir.path, 'other-ca');
    (raw.tenantSource as { caFile: string }).caFile = other.certFile;
    const { service, lines, count } = await start();
    expect(count('broker not reached at start')).toBe(1);
    expect(lines.find((l) => l.includes('broker not reached at start'))).toMatch(/TLS/);
    expect(broker.requests).toHaveLength(0);
    expect(await service.telemetry.registry.metrics()).toContain('logdriver_config_delivery_held 1');
  });
});
