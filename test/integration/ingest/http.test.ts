// Integration tests for the HTTP ingest against a fake buffer: real loopback sockets and fastify inject().
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gzipSync } from 'node:zlib';
import { setImmediate as tick } from 'node:timers/promises';
import { request } from 'undici';
import type { Admission, IncomingEvent } from '../../../src/buffer/types.js';
import { Secret } from '../../../src/config/secret.js';
import { ErrorCodes, LogdriverError } from '../../../src/errors.js';
import { createHttpIngest, type HttpIngest } from '../../../src/ingest/http.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** Records appended events; can refuse, report full or busy, or hold the append until the test releases it. */
class FakeBuffer {
  readonly calls: IncomingEvent[][] = [];
  readonly committed: IncomingEvent[] = [];
  state: Admission = 'open';
  failWith: Error | undefined = undefined;
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  hold(): () => void {
    this.#held = new Promise<void>((resolve) => (this.#release = resolve));
    return () => this.#release?.();
  }
  async append(events: readonly IncomingEvent[]): Promise<void> {
    this.calls.push([...events]);
    if (this.#held) await this.#held;
    if (this.failWith !== undefined) throw this.failWith;
    this.committed.push(...events);
  }
  admission(): Admission {
    return this.state;
  }
}

const open: HttpIngest[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

function setup(over: { token?: string; maxBodyBytes?: number; maxEventBytes?: number } = {}) {
  const fake = new FakeBuffer();
  const telemetry = new Telemetry(silentLogger(), { defaultMetrics: false });
  const ingest = createHttpIngest({
    listen: { host: '127.0.0.1', port: 0 },
    token: over.token === undefined ? undefined : new Secret(over.token),
    maxBodyBytes: over.maxBodyBytes ?? 64 * 1024,
    maxEventBytes: over.maxEventBytes ?? 4096,
    buffer: fake,
    telemetry,
  });
  open.push(ingest);
  const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    ingest.app.inject({ method: 'POST', url: '/v1/events', payload, headers });
  return { fake, telemetry, ingest, post };
}

async function metric(t: Telemetry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await t.registry.getSingleMetric(name)!.get();
  const hit = m.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}
const rejected = (t: Telemetry, reason: string) =>
  metric(t, 'logdriver_ingest_rejected_events_total', { source: 'http', reason });
const received = (t: Telemetry) => metric(t, 'logdriver_ingest_received_events_total', { source: 'http' });

const ev = (tenant: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ tenantId: tenant, ...extra });

describe('HTTP ingest over a real socket', () => {
  it('accepts one object and stores its exact bytes with a receive time', async () => {
    const { fake, telemetry, ingest } = setup();
    const { host, port } = await ingest.start();
    expect(host).toBe('127.0.0.1');
    const body = ev('acme', { timestampMillis: 1764000000000, n: 1.5 });
    const before = Date.now();
    const res = await request(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ accepted: 1 });
    expect(fake.committed).toHaveLength(1);
    expect(fake.committed[0]!.tenant).toBe('acme');
    expect(fake.committed[0]!.payload.toString()).toBe(body);
    expect(fake.committed[0]!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(fake.committed[0]!.receivedAt).toBeLessThanOrEqual(Date.now());
    expect(await received(telemetry)).toBe(1);
  });

  it('answers 413 in our JSON shape to a body above maxBodyBytes, and counts it', async () => {
    const { fake, telemetry, ingest } = setup({ maxBodyBytes: 1024 });
    const { port } = await ingest.start();
    const body = Array.from({ length: 40 }, (_, i) => ev('acme', { i })).join('\n');
    expect(body.length).toBeGreaterThan(1024);
    const res = await request(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', body });
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toMatchObject({ error: 'too_large' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'too_large')).toBe(1);
  });

  it('stops listening on close and reports not accepting', async () => {
    const { ingest } = setup();
    const { port } = await ingest.start();
    expect(ingest.accepting).toBe(true);
    await ingest.close();
    expect(ingest.accepting).toBe(false);
    await expect(
      request(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', body: ev('a') }),
    ).rejects.toThrow();
  });
});

describe('HTTP ingest: accepted shapes', () => {
  it('accepts an array, one event per element, in order', async () => {
    const { fake, post } = setup();
    const res = await post(`[${ev('a', { x: 1 })}, ${ev('b')}]`, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2 });
    expect(fake.committed.map((e) => e.tenant)).toEqual(['a', 'b']);
    expect(fake.committed.map((e) => e.payload.toString())).toEqual([ev('a', { x: 1 }), ev('b')]);
  });

  it('stores each array element with its bytes untouched (integers beyond 2^53, spelling, pretty-printing)', async () => {
    const { fake, post } = setup();
    const big = '{"tenantId":"a","big":12345678901234567890123}';
    const pretty = '{\n    "tenantId": "b",\n    "n": 1.0,\n    "id": 9007199254740993\n  }';
    const res = await post(`[\n  ${big},\n  ${pretty}\n]\n`, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: 2 });
    expect(fake.committed.map((e) => e.payload.toString())).toEqual([big, pretty]);
    expect(fake.committed.map((e) => e.tenant)).toEqual(['a', 'b']);
  });

  it('accepts NDJSON (even labelled application/json) and keeps each line byte for byte', async () => {
    const lines = ['{ "tenantId": "a",  "v": 1.0 }', ev('b', { s: 'ü' }), ev('c')];
    for (const type of ['application/x-ndjson', 'application/json']) {
      const { fake, post } = setup();
      const res = await post(`${lines[0]}\r\n\r\n${lines[1]}\n${lines[2]}\n`, { 'content-type': type });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ accepted: 3 });
      expect(fake.committed.map((e) => e.payload.toString('utf8'))).toEqual(lines);
    }
  });

  it('accepts a gzip-encoded body', async () => {
    const { fake, post } = setup();
    const res = await post(gzipSync(`${ev('a')}\n${ev('b')}\n`), { 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    expect(fake.committed.map((e) => e.payload.toString())).toEqual([ev('a'), ev('b')]);
  });
});

describe('HTTP ingest: refusals', () => {
  it('refuses the whole request when line 3 is bad JSON, naming it, and appends nothing', async () => {
    const { fake, telemetry, post } = setup();
    const res = await post([ev('a'), ev('b'), '{"tenantId": "c",', ev('d')].join('\n'));
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe('malformed_json');
    expect(body.message).toMatch(/^line 3: /);
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'malformed_json')).toBe(1);
    expect(await received(telemetry)).toBe(0);
  });

  const cases: [string, string | Buffer, number, string, RegExp][] = [
    ['missing tenant', '{"event":"x"}', 400, 'missing_tenant', /^line 1: tenantId is missing$/],
    ['tenantId of 257 chars', ev('t'.repeat(257)), 400, 'invalid_tenant', /^line 1: tenantId is longer/],
    ['a non-object', '[1, 2]', 400, 'not_an_object', /^element 1: /],
    ['a non-object line', `${ev('a')}\n"hi"`, 400, 'not_an_object', /^line 2: /],
    ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]), 400, 'invalid_utf8', /^line 1: /],
    ['an empty body', '', 400, 'empty', /empty/],
    [
      'an oversized event',
      `${ev('a')}\n${ev('a', { pad: 'x'.repeat(5000) })}`,
      413,
      'too_large',
      /^line 2: /,
    ],
  ];
  for (const [name, payload, status, reason, message] of cases) {
    it(`refuses ${name} with ${status} ${reason}`, async () => {
      const { fake, telemetry, post } = setup();
      const res = await post(payload);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ error: reason, message: expect.stringMatching(message) as unknown });
      expect(fake.calls).toHaveLength(0);
      expect(await rejected(telemetry, reason)).toBe(1);
    });
  }

  it('accepts a tenantId of exactly 256 chars', async () => {
    const { post } = setup();
    expect((await post(ev('t'.repeat(256)))).statusCode).toBe(200);
  });

  it('answers 413 when a gzip body inflates past maxBodyBytes, 400 to corrupt gzip, 415 to unknown encodings', async () => {
    const { fake, telemetry, post } = setup({ maxBodyBytes: 1024 });
    const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
    expect(bomb.length).toBeLessThan(1024);
    const big = await post(bomb, { 'content-encoding': 'gzip' });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'too_large' });
    const corrupt = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json()).toMatchObject({ error: 'malformed_gzip' });
    const br = await post(ev('a'), { 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
    expect(br.json()).toMatchObject({ error: 'unsupported_encoding' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'too_large')).toBe(1);
    expect(await rejected(telemetry, 'malformed_gzip')).toBe(1);
    expect(await rejected(telemetry, 'unsupported_encoding')).toBe(1);
  });

  it('answers 405 with Allow to other methods and 404 to unknown paths', async () => {
    const { ingest } = setup();
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const res = await ingest.app.inject({ method, url: '/v1/events' });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
    const res = await ingest.app.inject({ method: 'POST', url: '/v1/nope', payload: ev('a') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('HTTP ingest: back-pressure and durability', () => {
  it('answers 503 with Retry-After while the buffer is full, then accepts again', async () => {
    const { fake, telemetry, post } = setup();
    fake.state = 'full';
    const res = await post(ev('a'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ error: 'buffer_full' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'buffer_full')).toBe(1);
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'http' })).toBe(1);
    fake.state = 'open';
    expect((await post(ev('a'))).statusCode).toBe(200);
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'http' })).toBe(0);
  });

  it('answers 503 buffer_busy with Retry-After while too much waits for a commit, without reporting blocked', async () => {
    const { fake, telemetry, post } = setup();
    fake.state = 'busy';
    const res = await post(`${ev('a')}\n${ev('b')}`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ error: 'buffer_busy' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'buffer_busy')).toBe(1);
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'http' })).toBe(0);
    fake.state = 'open';
    expect((await post(ev('a'))).statusCode).toBe(200);
  });

  it('checks admission again after reading the body', async () => {
    const { fake, telemetry, ingest } = setup();
    // The gate runs before the body is read; the buffer fills while it arrives.
    ingest.app.addHook('preHandler', (_req, _reply, done) => {
      fake.state = 'full';
      done();
    });
    const res = await ingest.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: `${ev('a')}\n${ev('b')}`,
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'buffer_full' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'buffer_full')).toBe(2);
  });

  it('answers 503 with Retry-After when append rejects, counting every event of the request', async () => {
    const errors: [Error, string][] = [
      [new LogdriverError(ErrorCodes.BUFFER_FULL, 'full'), 'buffer_full'],
      [new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'closed'), 'shutting_down'],
      [new Error('disk I/O error'), 'buffer_error'],
    ];
    for (const [error, reason] of errors) {
      const { fake, telemetry, post } = setup();
      fake.failWith = error;
      const res = await post(`${ev('a')}\n${ev('b')}`);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ error: reason });
      expect(fake.committed).toHaveLength(0);
      expect(await rejected(telemetry, reason)).toBe(2);
    }
  });

  it('does not answer before append resolves', async () => {
    const { fake, post } = setup();
    const release = fake.hold();
    let settled = false;
    const pending = post(ev('a')).then((r) => {
      settled = true;
      return r;
    });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    for (let i = 0; i < 20; i++) await tick();
    expect(settled).toBe(false);
    release();
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(fake.committed).toHaveLength(1);
  });

  it('answers 503 shutting_down once paused', async () => {
    const { fake, telemetry, ingest, post } = setup();
    ingest.pause();
    expect(ingest.accepting).toBe(false);
    const res = await post(ev('a'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ error: 'shutting_down' });
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'shutting_down')).toBe(1);
  });
});

describe('HTTP ingest: bearer token', () => {
  it('refuses a missing or wrong token with 401 and WWW-Authenticate, accepts the right one', async () => {
    const { fake, telemetry, post } = setup({ token: 's3cret-token' });
    const attempts: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer s3cret-token-but-longer' },
      { authorization: 'Basic s3cret-token' },
      { authorization: 's3cret-token' },
    ];
    for (const headers of attempts) {
      const res = await post(ev('a'), headers);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
      expect(res.body).not.toContain('s3cret');
    }
    expect(fake.calls).toHaveLength(0);
    expect(await rejected(telemetry, 'unauthorized')).toBe(attempts.length);
    expect((await post(ev('a'), { authorization: 'Bearer s3cret-token' })).statusCode).toBe(200);
    expect((await post(ev('b'), { authorization: 'bearer s3cret-token' })).statusCode).toBe(200);
    expect(fake.committed.map((e) => e.tenant)).toEqual(['a', 'b']);
  });

  it('checks the token before the buffer state', async () => {
    const { fake, telemetry, post } = setup({ token: 't' });
    fake.state = 'full';
    expect((await post(ev('a'))).statusCode).toBe(401);
    expect(await rejected(telemetry, 'buffer_full')).toBe(0);
  });
});
