// Who may call the admin listener: the bearer-token check, the loopback rule without a token, and which
// routes stay open for probes; mutating calls are logged with who and how many, never with the token.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { admit, bearerMatches, createAdminServer, type AdminSource } from '../../../src/admin/index.js';
import { Secret } from '../../../src/config/secret.js';

const TOKEN = 's3cret-admin-token';

describe('bearerMatches', () => {
  const secret = new Secret(TOKEN);
  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer  ${TOKEN} `, true],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Bearer ${TOKEN.toUpperCase()}`, false],
    ['Bearer ', false],
    [`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, false],
    [TOKEN, false],
    ['', false],
  ])('%j -> %s', (header, expected) => {
    expect(bearerMatches(secret, header)).toBe(expected);
  });

  it('refuses a missing or repeated header', () => {
    expect(bearerMatches(secret, undefined)).toBe(false);
    expect(bearerMatches(secret, [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`])).toBe(false);
  });
});

describe('admit', () => {
  const secret = new Secret(TOKEN);
  it('with a token: every checked request needs it, from any peer', () => {
    expect(admit(secret, false, undefined, '127.0.0.1')).toMatchObject({ ok: false, status: 401 });
    expect(admit(secret, true, 'Bearer nope', '127.0.0.1')).toMatchObject({ ok: false, status: 401 });
    expect(admit(secret, true, `Bearer ${TOKEN}`, '10.1.2.3')).toEqual({ ok: true, via: 'token' });
  });

  it('without a token: reads are open, guarded calls from loopback peers only', () => {
    expect(admit(undefined, false, undefined, '10.1.2.3')).toEqual({ ok: true, via: 'open' });
    expect(admit(undefined, true, undefined, '10.1.2.3')).toMatchObject({ ok: false, status: 403 });
    expect(admit(undefined, true, undefined, undefined)).toMatchObject({ ok: false, status: 403 });
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.9.9.9'])
      expect(admit(undefined, true, undefined, peer, '127.0.0.1:9100'), peer).toEqual({
        ok: true,
        via: 'loopback',
      });
    for (const host of ['localhost:9100', 'localhost', '[::1]:9100', '127.0.0.1'])
      expect(admit(undefined, true, undefined, '127.0.0.1', host), host).toEqual({
        ok: true,
        via: 'loopback',
      });
  });

  it('refuses a loopback peer whose Host names another machine (DNS rebinding from a web page)', () => {
    for (const host of [
      'evil.example:9100',
      'evil.example',
      '127.0.0.1.evil.example',
      'localhost.evil',
      undefined,
    ])
      expect(admit(undefined, true, undefined, '127.0.0.1', host), String(host)).toMatchObject({
        ok: false,
        status: 403,
      });
    // Reads stay open without a token, whatever the host.
    expect(admit(undefined, false, undefined, '127.0.0.1', 'evil.example')).toEqual({
      ok: true,
      via: 'open',
    });
  });
});

function fakeSource(calls: string[]): AdminSource {
  return {
    status: () => ({ version: 'test' }) as unknown as ReturnType<AdminSource['status']>,
    tenants: () => Promise.resolve([]),
    tenant: () => Promise.resolve(undefined),
    deadLetters: () => Promise.resolve([]),
    replay: (tenant) => {
      calls.push(`replay ${tenant ?? '*'}`);
      return Promise.resolve({ replayed: 2, unreadable: 0, tenants: { acme: 2 } });
    },
    purge: (tenant) => {
      calls.push(`purge ${tenant ?? '*'}`);
      return Promise.resolve(1);
    },
    retryNow: () => true,
    close: () => undefined,
  };
}

function server(
  opts: { token?: string; metricsRequireToken?: boolean; rateLimitPerClient?: number },
  calls: string[],
  logs: string[],
) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  return createAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    registry: new Registry(),
    readiness: () => [],
    source: fakeSource(calls),
    token: opts.token === undefined ? undefined : new Secret(opts.token),
    metricsRequireToken: opts.metricsRequireToken,
    log: pino({ level: 'info' }, sink),
    rateLimitPerClient: opts.rateLimitPerClient,
  });
}

describe('admin listener with admin.token', () => {
  it('401 with WWW-Authenticate on /v1/ without the token; probes and /metrics open; 200 with it', async () => {
    const calls: string[] = [];
    const logs: string[] = [];
    const { app } = server({ token: TOKEN }, calls, logs);
    for (const url of ['/v1/status', '/v1/tenants', '/v1/dead-letters', '/v1/anything', '/v1']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers['www-authenticate'], url).toMatch(/^Bearer/);
    }
    const post = await app.inject({
      method: 'POST',
      url: '/v1/dead-letters/replay',
      headers: { authorization: 'Bearer wrong' },
      payload: {},
    });
    expect(post.statusCode).toBe(401);
    expect(calls).toEqual([]);
    for (const url of ['/live', '/ready', '/health', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await app.inject({ method: 'GET', url: '/v1/status', headers: auth })).json()).toEqual({
      version: 'test',
    });
    // The token is good from any peer.
    const replay = await app.inject({
      method: 'POST',
      url: '/v1/dead-letters/replay',
      headers: auth,
      payload: { tenant: 'acme' },
      remoteAddress: '10.1.2.3',
    });
    expect(replay.statusCode).toBe(200);
    expect(calls).toEqual(['replay acme']);
    const line = JSON.parse(logs.find((l) => l.includes('admin: dead letters replayed'))!) as {
      admin: Record<string, unknown>;
    };
    expect(line.admin).toMatchObject({ peer: '10.1.2.3', auth: 'token', action: 'replay', replayed: 2 });
    expect(logs.join('')).not.toContain(TOKEN);
    await app.close();
  });

  it('metricsRequireToken guards /metrics with the token', async () => {
    const { app } = server({ token: TOKEN, metricsRequireToken: true }, [], []);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const ok = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    await app.close();
  });
});

describe('admin listener without a token', () => {
  it('serves reads to anyone and takes mutating calls from loopback peers only', async () => {
    const calls: string[] = [];
    const logs: string[] = [];
    const { app } = server({}, calls, logs);
    const read = await app.inject({ method: 'GET', url: '/v1/status', remoteAddress: '10.1.2.3' });
    expect(read.statusCode).toBe(200);
    for (const url of ['/v1/dead-letters/replay', '/v1/dead-letters/purge', '/v1/tenants/acme/retry-now']) {
      const res = await app.inject({
        method: 'POST',
        url,
        payload: { all: true },
        remoteAddress: '10.1.2.3',
      });
      expect(res.statusCode, url).toBe(403);
    }
    expect(calls).toEqual([]);
    const purge = await app.inject({ method: 'POST', url: '/v1/dead-letters/purge', payload: { all: true } });
    expect(purge.json()).toEqual({ purged: 1, tenant: null });
    expect(calls).toEqual(['purge *']);
    const line = JSON.parse(logs.find((l) => l.includes('admin: dead letters purged'))!) as {
      admin: Record<string, unknown>;
    };
    expect(line.admin).toMatchObject({ peer: '127.0.0.1', auth: 'loopback', action: 'purge', purged: 1 });
    await app.close();
  });

  it('metricsRequireToken without a token keeps /metrics to loopback peers', async () => {
    const { app } = server({ metricsRequireToken: true }, [], []);
    expect((await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await app.close();
  });
});

describe('admin listener per-client rate limit', () => {
  it('answers 429 with Retry-After past rateLimitPerClient /v1/ requests in a second; probes and /metrics are never limited', async () => {
    const { app } = server({ rateLimitPerClient: 3 }, [], []);
    const codes: number[] = [];
    let limited: { headers: Record<string, unknown> } | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({ method: 'GET', url: '/v1/status' });
      codes.push(res.statusCode);
      if (res.statusCode === 429) limited = res;
    }
    expect(codes).toEqual([200, 200, 200, 429]);
    expect(limited!.headers['retry-after']).toBeDefined();
    for (let i = 0; i < 10; i++) {
      for (const url of ['/live', '/ready', '/health', '/metrics'])
        expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});
