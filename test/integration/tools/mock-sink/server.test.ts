// The mock sink over real loopback sockets: bodies recorded, duplicates and order checked, failures injected.
import { afterEach, describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { startMockSink, type MockSink } from '../../../../src/tools/mock-sink/index.js';
import { envs, ndjson, post } from './helpers.js';

let sink: MockSink | undefined;
async function start(opts: Parameters<typeof startMockSink>[0] = {}): Promise<MockSink> {
  sink = await startMockSink(opts);
  return sink;
}
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('mock sink: recording', () => {
  it('records NDJSON, JSON-array and gzip bodies and keeps per-tenant order of acknowledged events', async () => {
    const s = await start({ keepEvents: true });
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    const a = await post(`${s.url}/ingest`, ndjson(envs('acme', [1, 2, 3])));
    expect(a).toMatchObject({ status: 200, json: { accepted: 3 } });
    const b = await post(`${s.url}/x`, JSON.stringify(envs('globex', [4, 5])), {
      'content-type': 'application/json',
    });
    expect(b.status).toBe(200);
    const c = await post(`${s.url}/`, gzipSync(ndjson(envs('acme', [6]))), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(c.status).toBe(200);

    const r = s.report();
    expect(r).toMatchObject({ requests: 3, events: 6, unique: 6, duplicates: 0, orderViolations: 0 });
    expect(r.statusCounts).toEqual({ '200': 3 });
    expect(r.perTenant).toEqual({
      acme: { events: 4, unique: 4, duplicates: 0, orderViolations: 0 },
      globex: { events: 2, unique: 2, duplicates: 0, orderViolations: 0 },
    });
    expect(r.latencyMs.count).toBe(6);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(0);
    expect(r.firstAt).not.toBeNull();
    expect(s.received('acme').map((e) => e.id)).toEqual(['buf-1-1', 'buf-1-2', 'buf-1-3', 'buf-1-6']);
    expect(s.received('acme')[0]!.event).toMatchObject({ iclFields: { requestId: 'req-1' } });
  });

  it("reports its process's CPU seconds so far, for benchmarks to take differences", async () => {
    const s = await start();
    const cpu = (): number => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    };
    const before = cpu();
    const r = s.report();
    const after = cpu();
    expect(r.cpuSeconds).toBeGreaterThan(0);
    expect(r.cpuSeconds).toBeGreaterThanOrEqual(before);
    expect(r.cpuSeconds).toBeLessThanOrEqual(after);
  });

  it('counts redeliveries as duplicates and a lower newly seen seq as an order violation', async () => {
    const s = await start();
    await post(s.url, ndjson(envs('acme', [1, 2, 5])));
    await post(s.url, ndjson(envs('acme', [2, 3]))); // 2 again: duplicate; 3 < 5: order violation
    await post(s.url, ndjson(envs('globex', [4]))); // other tenant: its own order
    const r = s.report();
    expect(r).toMatchObject({ events: 6, unique: 5, duplicates: 1, orderViolations: 1 });
    expect(r.perTenant.acme).toEqual({ events: 5, unique: 4, duplicates: 1, orderViolations: 1 });
    expect(r.perTenant.globex).toEqual({ events: 1, unique: 1, duplicates: 0, orderViolations: 0 });
  });

  it('answers 400 to a garbage body, counts it, and records nothing', async () => {
    const s = await start();
    const r = await post(s.url, 'this is not json\n{"id":1}');
    expect(r.status).toBe(400);
    expect((r.json as { error: string }).error).toMatch(/line 1/);
    const bad = await post(s.url, Buffer.from('nope'), { 'content-encoding': 'gzip' });
    expect(bad.status).toBe(400);
    expect(s.report()).toMatchObject({ requests: 2, badRequests: 2, events: 0, statusCounts: { '400': 2 } });
  });

  it('answers 413 to a body above maxBodyBytes', async () => {
    const s = await start({ maxBodyBytes: 1024 });
    const r = await post(
      s.url,
      ndjson(
        envs(
          'acme',
          Array.from({ length: 50 }, (_, i) => i),
        ),
      ),
    );
    expect(r.status).toBe(413);
    expect(s.report()).toMatchObject({ badRequests: 1, events: 0 });
  });

  it('waits latencyMs before answering, and waitFor resolves once the predicate holds', async () => {
    const s = await start({ latencyMs: 150 });
    const waiting = s.waitFor((r) => r.events >= 2, 5_000);
    const t0 = Date.now();
    await post(s.url, ndjson(envs('acme', [1, 2])));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await waiting).events).toBe(2);
    await expect(s.waitFor((r) => r.events > 2, 50)).rejects.toMatchObject({
      code: 'MOCK_SINK_WAIT_TIMEOUT',
    });
  });

  it('refuses non-POST ingest with 405 and does not count it as a request', async () => {
    const s = await start();
    const res = await request(`${s.url}/ingest`, { method: 'GET' });
    await res.body.dump();
    expect(res.statusCode).toBe(405);
    expect(s.report().requests).toBe(0);
  });
});

describe('mock sink: injected failures', () => {
  it('failRate 1 answers 503 (or failStatus 500) to everything and records nothing', async () => {
    const s = await start({ failRate: 1 });
    for (let i = 0; i < 5; i++) expect((await post(s.url, ndjson(envs('acme', [i])))).status).toBe(503);
    s.set({ failStatus: 500 });
    expect((await post(s.url, ndjson(envs('acme', [9])))).status).toBe(500);
    expect(s.report()).toMatchObject({ requests: 6, events: 0, statusCounts: { '503': 5, '500': 1 } });
  });

  it('failRate 0.5 with a seed makes reproducible decisions', async () => {
    const outcomes = async (): Promise<number[]> => {
      const s = await startMockSink({ failRate: 0.5, seed: 42 });
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push((await post(s.url, ndjson(envs('acme', [i])))).status);
      await s.close();
      return got;
    };
    const first = await outcomes();
    expect(first).toEqual(await outcomes());
    expect(first).toContain(200);
    expect(first).toContain(503);
  });

  it('mode reject answers 400 with a JSON error, throttle 429 with Retry-After, down 503', async () => {
    const s = await start({ mode: 'reject' });
    const rej = await post(s.url, ndjson(envs('acme', [1])));
    expect(rej.status).toBe(400);
    expect(rej.json).toMatchObject({ error: expect.stringMatching(/reject/) as unknown });
    s.set({ mode: 'throttle', retryAfterSec: 7 });
    const thr = await post(s.url, ndjson(envs('acme', [1])));
    expect(thr.status).toBe(429);
    expect(thr.headers['retry-after']).toBe('7');
    s.set({ mode: 'down' });
    expect((await post(s.url, ndjson(envs('acme', [1])))).status).toBe(503);
    s.set({ mode: 'ok' });
    expect((await post(s.url, ndjson(envs('acme', [1])))).status).toBe(200);
    expect(s.report()).toMatchObject({ events: 1, badRequests: 0 });
  });

  it('enforces the bearer token (and basic credentials) with 401', async () => {
    const s = await start({ token: 's3cret' });
    expect((await post(s.url, ndjson(envs('acme', [1])))).status).toBe(401);
    const wrong = { 'content-type': 'application/x-ndjson', authorization: 'Bearer nope' };
    expect((await post(s.url, ndjson(envs('acme', [1])), wrong)).status).toBe(401);
    const right = { 'content-type': 'application/x-ndjson', authorization: 'Bearer s3cret' };
    expect((await post(s.url, ndjson(envs('acme', [1])), right)).status).toBe(200);
    s.set({ token: undefined, basic: { username: 'u', password: 'p' } });
    const basic = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
    expect((await post(s.url, ndjson(envs('acme', [2])), basic)).status).toBe(200);
    expect((await post(s.url, ndjson(envs('acme', [3])), right)).status).toBe(401);
    expect(s.report()).toMatchObject({ events: 2, statusCounts: { '401': 3, '200': 2 } });
  });

  it('answers 503 with Retry-After during an outage window, then recovers', async () => {
    const s = await start({ outages: [{ startMs: 0, endMs: 800, retryAfterSec: 3 }] });
    const during = await post(s.url, ndjson(envs('acme', [1])));
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('3');
    const wait = s.report().startedAt + 850 - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    expect((await post(s.url, ndjson(envs('acme', [1])))).status).toBe(200);
    expect(s.report()).toMatchObject({ events: 1, statusCounts: { '503': 1, '200': 1 } });
  });

  it('timeoutRate 1 holds the request until the socket is destroyed after hangMs', async () => {
    const s = await start({ timeoutRate: 1, hangMs: 100 });
    await expect(post(s.url, ndjson(envs('acme', [1])), undefined, 5_000)).rejects.toMatchObject({
      code: expect.stringMatching(/^UND_ERR_(SOCKET|CLOSED)$/) as unknown,
    });
    expect(s.report()).toMatchObject({ requests: 1, events: 0, statusCounts: { timeout: 1 } });
  });

  it('timeoutRate 1 with a long hang makes the client time out first; close() still returns promptly', async () => {
    const s = await start({ timeoutRate: 1, hangMs: 60_000 });
    await expect(post(s.url, ndjson(envs('acme', [1])), undefined, 200)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('does not record a batch whose client left during the latency delay', async () => {
    const s = await start({ latencyMs: 400 });
    const sent = request(s.url, {
      method: 'POST',
      body: ndjson(envs('acme', [1])),
      signal: AbortSignal.timeout(100),
    });
    await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    const r = await s.waitFor((x) => (x.statusCounts.aborted ?? 0) === 1, 5_000);
    expect(r.events).toBe(0);
  });
});
