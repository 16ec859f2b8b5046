// Bad input over ZeroMQ and HTTP: each kind refused and counted by reason, valid traffic keeps flowing.
import { Push } from 'zeromq';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import type { Service } from '../../src/app.js';
import { event, eventually, httpBase, startInProcess, tempDir, testConfig } from '../support/service.js';

const MAX_EVENT = 4096;

async function rejected(service: Service, source: string, reason: string): Promise<number> {
  const metric = await service.telemetry.registry
    .getSingleMetric('logdriver_ingest_rejected_events_total')!
    .get();
  return metric.values.find((v) => v.labels.source === source && v.labels.reason === reason)?.value ?? 0;
}

describe('bad input', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup() {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true });
    cleanups.push(dir.remove, () => sink.close());
    const service = await startInProcess(
      testConfig(dir.path, {
        ingest: { maxEventBytes: MAX_EVENT },
        defaultSink: { type: 'http', url: sink.url },
      }),
    );
    cleanups.push(() => service.stop());
    return { sink, service };
  }

  const badFrames: [reason: string, frame: Buffer][] = [
    ['malformed_json', Buffer.from('{"tenantId":"acme",')],
    ['missing_tenant', Buffer.from('{"event":"x"}')],
    ['invalid_tenant', Buffer.from(JSON.stringify({ tenantId: 'x'.repeat(257) }))],
    ['invalid_tenant', Buffer.from('{"tenantId":""}')],
    ['not_an_object', Buffer.from('[1,2,3]')],
    ['invalid_utf8', Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d])],
    ['too_large', Buffer.from(JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(MAX_EVENT) }))],
  ];

  it('refuses every kind of bad ZeroMQ frame, counts it, and delivers the valid frames around it', async () => {
    const { sink, service } = await setup();
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    // Closed last, after the service: a peer closing while the service unbinds can abort libzmq 4.3.5.
    cleanups.unshift(() => push.close());
    let n = 0;
    for (const [, frame] of badFrames) {
      await push.send(event('acme', n++));
      await push.send(frame);
    }
    // A multipart message: each frame is one event, judged on its own.
    await push.send([Buffer.from(event('acme', n++)), Buffer.from('not json')]);
    await push.send(event('acme', n++));
    await sink.waitFor((r) => r.unique === n, 20_000);
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    const expected = new Map<string, number>();
    for (const [reason] of badFrames) expected.set(reason, (expected.get(reason) ?? 0) + 1);
    expected.set('malformed_json', expected.get('malformed_json')! + 1);
    for (const [reason, count] of expected)
      expect(await rejected(service, 'zmq', reason), reason).toBe(count);
    expect(service.telemetry.totals.rejected).toBe(badFrames.length + 1);
  });

  it('reads an NDJSON ZeroMQ frame line by line: a bad line is refused alone, the others are delivered', async () => {
    const { sink, service } = await setup();
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    // Closed last, after the service: a peer closing while the service unbinds can abort libzmq 4.3.5.
    cleanups.unshift(() => push.close());
    const lines = [
      event('acme', 0),
      '',
      event('acme', 1),
      '{"tenantId":',
      `${event('acme', 2)}\r`,
      '{"x":1}',
    ];
    await push.send(`${lines.join('\n')}\n`);
    await push.send(`${event('acme', 3)}\n`); // one event with a trailing newline
    await sink.waitFor((r) => r.unique === 4, 20_000);
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([0, 1, 2, 3]);
    expect(await rejected(service, 'zmq', 'malformed_json')).toBe(1);
    expect(await rejected(service, 'zmq', 'missing_tenant')).toBe(1);
  });

  it('refuses bad HTTP requests whole, naming the first bad line, while valid requests succeed', async () => {
    const { sink, service } = await setup();
    const url = `${httpBase(service.endpoints)}/v1/events`;
    const post = async (body: Buffer | string, headers: Record<string, string> = {}) => {
      const res = await request(url, { method: 'POST', body, headers });
      return {
        status: res.statusCode,
        body: (await res.body.json()) as { error?: string; message?: string },
      };
    };
    let n = 0;
    const valid = async () => expect((await post(event('acme', n++))).status).toBe(200);

    await valid();
    const third = await post([event('acme', 1000), event('acme', 1001), '{"tenantId":'].join('\n'));
    expect(third.status).toBe(400);
    expect(third.body.message).toMatch(/line 3/);
    await valid();
    const missing = await post([event('acme', 1002), '{"x":1}'].join('\n'));
    expect(missing).toMatchObject({ status: 400, body: { error: 'missing_tenant' } });
    expect(missing.body.message).toMatch(/line 2/);
    await valid();
    expect((await post(Buffer.from([0xff, 0xfe, 0xfd]))).status).toBe(400);
    await valid();
    expect((await post(JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(MAX_EVENT) }))).status).toBe(413);
    await valid();
    expect((await post('x'.repeat(17 * 1024 * 1024))).status).toBe(413);
    await valid();
    expect((await post('')).status).toBe(400);
    await valid();

    await sink.waitFor((r) => r.unique === n, 20_000);
    // Nothing of a refused request was stored: only the valid events, in order.
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    await eventually('buffer drained', () => service.buffer.stats().events === 0);
    expect(await rejected(service, 'http', 'malformed_json')).toBe(1);
    expect(await rejected(service, 'http', 'missing_tenant')).toBe(1);
    expect(await rejected(service, 'http', 'invalid_utf8')).toBe(1);
    expect(await rejected(service, 'http', 'too_large')).toBe(2);
    // The service is still healthy after all of it.
    const health = await request(`http://127.0.0.1:${service.endpoints.admin!.port}/health`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });
});
