// The mock sink's HTTP control API (/_report, /_control, /_reset, /_received) used by out-of-process harnesses.
import { afterEach, describe, it, expect } from 'vitest';
import { request } from 'undici';
import { startMockSink, type MockSink, type MockSinkReport } from '../../../../src/tools/mock-sink/index.js';
import { envs, ndjson, post } from './helpers.js';

let sink: MockSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function getJson<T>(url: string): Promise<{ status: number; json: T }> {
  const res = await request(url);
  return { status: res.statusCode, json: (await res.body.json()) as T };
}

describe('mock sink control API', () => {
  it('switches modes through POST /_control and reports through GET /_report', async () => {
    sink = await startMockSink();
    const s = sink;
    expect((await post(s.url, ndjson(envs('acme', [1, 2])))).status).toBe(200);

    const down = await post(`${s.url}/_control`, JSON.stringify({ mode: 'down' }), {
      'content-type': 'application/json',
    });
    expect(down.status).toBe(200);
    expect(down.json).toMatchObject({ options: { mode: 'down' } });
    expect((await post(s.url, ndjson(envs('acme', [3])))).status).toBe(503);

    await post(`${s.url}/_control`, JSON.stringify({ mode: 'throttle', retryAfterSec: 4 }));
    const thr = await post(s.url, ndjson(envs('acme', [3])));
    expect([thr.status, thr.headers['retry-after']]).toEqual([429, '4']);

    await post(`${s.url}/_control`, JSON.stringify({ mode: 'ok' }));
    expect((await post(s.url, ndjson(envs('acme', [3])))).status).toBe(200);

    const report = await getJson<MockSinkReport>(`${s.url}/_report`);
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({
      requests: 4,
      events: 3,
      unique: 3,
      statusCounts: { '200': 2, '503': 1, '429': 1 },
      perTenant: { acme: { events: 3, unique: 3, duplicates: 0, orderViolations: 0 } },
    });
    expect(report.json.latencyMs.count).toBe(3);
  });

  it('refuses invalid control patches with 400 and keeps the previous options', async () => {
    sink = await startMockSink({ mode: 'ok' });
    const s = sink;
    for (const body of ['{"mode":"sideways"}', '{"port":1}', '{not json', '{"failRate":2}']) {
      const r = await post(`${s.url}/_control`, body, { 'content-type': 'application/json' });
      expect(r.status).toBe(400);
      expect((r.json as { error: string }).error.length).toBeGreaterThan(0);
    }
    expect(s.options()).toMatchObject({ mode: 'ok', failRate: 0 });
    expect((await post(s.url, ndjson(envs('acme', [1])))).status).toBe(200);
  });

  it('POST /_reset clears counts and ids so a resent batch is not a duplicate', async () => {
    sink = await startMockSink({ keepEvents: true });
    const s = sink;
    await post(s.url, ndjson(envs('acme', [1, 2])));
    const received = await getJson<{ id: string }[]>(`${s.url}/_received?tenant=acme`);
    expect(received.json.map((e) => e.id)).toEqual(['buf-1-1', 'buf-1-2']);

    const reset = await request(`${s.url}/_reset`, { method: 'POST' });
    await reset.body.dump();
    expect(reset.statusCode).toBe(204);
    expect(s.report()).toMatchObject({ requests: 0, events: 0, statusCounts: {}, perTenant: {} });

    await post(s.url, ndjson(envs('acme', [1, 2])));
    expect(s.report()).toMatchObject({ events: 2, unique: 2, duplicates: 0 });
  });

  it('masks credentials in the options it returns', async () => {
    sink = await startMockSink({ token: 'top-secret' });
    const r = await post(`${sink.url}/_control`, '{}', { 'content-type': 'application/json' });
    expect(JSON.stringify(r.json)).not.toContain('top-secret');
    expect(r.json).toMatchObject({ options: { token: '***' } });
  });
});
