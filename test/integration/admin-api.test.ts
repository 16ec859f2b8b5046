// The admin API on a running service (a child process): status, tenants, dead letters listed, replayed and
// purged live; and with admin.token, 401 without it, probes still open, the token never printed or answered.
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplayResult, StatusView, TenantView } from '../../src/admin/index.js';
import type { LetterView } from '../../src/buffer/index.js';
import type { TenantPage } from '../../src/cli/status.js';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import {
  event,
  eventually,
  httpBase,
  startChild,
  tempDir,
  testConfig,
  type ServiceProcess,
} from '../support/service.js';

interface Answer<T = unknown> {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  json: T;
}

type LetterPage = { deadLetters: LetterView[]; nextCursor: string | null };
type Purged = { purged: number; tenant: string | null };
interface AuditLine {
  msg: string;
  admin: { peer: string; auth: string; action: string } & Record<string, unknown>;
}

function auditLines(child: ServiceProcess): AuditLine[] {
  return child.stderr.filter((l) => l.includes('"msg":"admin: ')).map((l) => JSON.parse(l) as AuditLine);
}

async function call<T = unknown>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json: json as T };
}

function adminBase(child: ServiceProcess): string {
  return `http://127.0.0.1:${child.endpoints.admin!.port}`;
}

async function send(child: ServiceProcess, tenant: string, count: number): Promise<void> {
  const body = Array.from({ length: count }, (_, n) => event(tenant, n)).join('\n');
  const res = await request(`${httpBase(child.endpoints)}/v1/events`, { method: 'POST', body });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

describe('admin API on a running service', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function stopChild(child: ServiceProcess): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill('SIGTERM');
    await child.exited;
  }

  it('answers status and tenants, lists dead letters by tenant and page, purges only what is named, replays live', async () => {
    const dir = tempDir();
    const rejecting = await startMockSink({ keepEvents: true, mode: 'reject' });
    const down = await startMockSink({ keepEvents: true, mode: 'down' });
    cleanups.push(
      dir.remove,
      () => rejecting.close(),
      () => down.close(),
    );
    const raw = testConfig(`${dir.path}/data`, {
      defaultSink: { type: 'http', url: rejecting.url },
      tenants: { gamma: { sink: { type: 'http', url: down.url } } },
    });
    const child = await startChild(raw, dir.path);
    cleanups.push(() => stopChild(child));
    const base = adminBase(child);

    await send(child, 'acme', 5);
    await send(child, 'beta', 3);
    await send(child, 'gamma', 4);
    await eventually('8 dead letters and gamma retrying', async () => {
      const s = await call<StatusView>(base, 'GET', '/v1/status');
      const g = await call<TenantView>(base, 'GET', '/v1/tenants/gamma');
      return s.json.buffer.deadLetters === 8 && g.status === 200 && g.json.state === 'retrying';
    });

    const status = await call<StatusView>(base, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      version: '0.1.0',
      configGeneration: 1,
      ready: true,
      buffer: { events: 4, deadLetters: 8, tenants: 1, admission: 'open' },
      totals: { received: 12 },
    });
    expect(status.json.buffer.fileBytes).toBeGreaterThan(0);
    expect(typeof status.json.buffer.walBytes).toBe('number');
    expect(status.json.rates).toHaveProperty('deliveredPerSecond');
    expect(status.json.uptimeSeconds).toBeGreaterThanOrEqual(0);

    // Sorted by backlog: gamma (4 stored) first; paged two at a time.
    const first = await call<TenantPage>(base, 'GET', '/v1/tenants?limit=2');
    expect(first.status).toBe(200);
    expect(first.json.total).toBe(3);
    expect(first.json.tenants).toHaveLength(2);
    expect(first.json.tenants[0]).toMatchObject({
      tenant: 'gamma',
      events: 4,
      sink: 'http',
      state: 'retrying',
      deadLetters: 0,
    });
    expect(first.json.tenants[0]!.lastError).toMatchObject({ status: 503 });
    expect(first.json.tenants[0]!.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(first.json.nextCursor).toBe('2');
    const second = await call<TenantPage>(base, 'GET', `/v1/tenants?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.tenants).toHaveLength(1);
    expect(second.json.nextCursor).toBeNull();
    const names = [...first.json.tenants, ...second.json.tenants].map((t) => t.tenant);
    expect(names.sort()).toEqual(['acme', 'beta', 'gamma']);
    const byLetters = await call<TenantPage>(base, 'GET', '/v1/tenants?sort=deadLetters&limit=1');
    expect(byLetters.json.tenants[0]).toMatchObject({ tenant: 'acme', deadLetters: 5, events: 0 });
    expect((await call<TenantPage>(base, 'GET', '/v1/tenants?sort=bogus')).status).toBe(400);
    expect((await call<TenantPage>(base, 'GET', '/v1/tenants?limit=0')).status).toBe(400);
    expect((await call(base, 'GET', '/v1/tenants/nobody')).status).toBe(404);

    // Dead letters of one tenant, two per page, in order.
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/v1/dead-letters?tenant=acme&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page = await call<LetterPage>(base, 'GET', q);
      expect(page.status).toBe(200);
      for (const l of page.json.deadLetters) {
        expect(l).toMatchObject({ tenant: 'acme', status: 400 });
        seen.push((JSON.parse(l.payload) as { n: number }).n);
      }
      cursor = page.json.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(pages).toBe(3);
    const all = await call<LetterPage>(base, 'GET', '/v1/dead-letters');
    expect(all.json.deadLetters).toHaveLength(8);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (await call<LetterPage>(base, 'GET', `/v1/dead-letters?since=${future}`)).json.deadLetters,
    ).toEqual([]);
    expect((await call<LetterPage>(base, 'GET', '/v1/dead-letters?until=1')).json.deadLetters).toEqual([]);
    expect((await call(base, 'GET', '/v1/dead-letters?since=yesterday-ish')).status).toBe(400);

    // Purge names what it deletes.
    for (const body of [{}, { tenant: 'beta', all: true }, { all: 'yes' }]) {
      const bare = await call(base, 'POST', '/v1/dead-letters/purge', { body });
      expect(bare.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call<StatusView>(base, 'GET', '/v1/status')).json.buffer.deadLetters).toBe(8);
    const purged = await call<Purged>(base, 'POST', '/v1/dead-letters/purge', { body: { tenant: 'beta' } });
    expect(purged.json).toEqual({ purged: 3, tenant: 'beta' });

    // The sink is fixed; replay on the running service delivers acme's letters, in order.
    rejecting.set({ mode: 'ok' });
    const replay = await call<ReplayResult>(base, 'POST', '/v1/dead-letters/replay', {
      body: { tenant: 'acme' },
    });
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ replayed: 5, unreadable: 0, tenants: { acme: 5 } });
    await rejecting.waitFor((r) => r.unique === 5, 20_000);
    expect(rejecting.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    await eventually('acme delivered and deleted', async () => {
      const s = await call<StatusView>(base, 'GET', '/v1/status');
      return s.json.buffer.deadLetters === 0 && s.json.buffer.events === 4;
    });
    const again = await call<ReplayResult>(base, 'POST', '/v1/dead-letters/replay', { body: {} });
    expect(again.json).toMatchObject({ replayed: 0 });
    expect(
      (await call<Purged>(base, 'POST', '/v1/dead-letters/purge', { body: { all: true } })).json,
    ).toEqual({
      purged: 0,
      tenant: null,
    });

    // retry-now is there as before; every mutating call was logged with who and how many.
    expect((await call(base, 'POST', '/v1/tenants/gamma/retry-now')).status).toBe(202);
    // The log is written asynchronously: the last line may come just after its answer.
    await eventually('five audit lines', () => auditLines(child).length >= 5);
    const audit = auditLines(child);
    expect(audit.map((l) => [l.msg, l.admin.action, l.admin.auth])).toEqual([
      ['admin: dead letters purged', 'purge', 'loopback'],
      ['admin: dead letters replayed', 'replay', 'loopback'],
      ['admin: dead letters replayed', 'replay', 'loopback'],
      ['admin: dead letters purged', 'purge', 'loopback'],
      ['admin: retry now', 'retry-now', 'loopback'],
    ]);
    expect(audit[0]!.admin).toMatchObject({ purged: 3, tenant: 'beta' });
    expect(audit[1]!.admin).toMatchObject({ replayed: 5, tenant: 'acme' });
    expect(audit[0]!.admin.peer).toMatch(/127\.0\.0\.1/);
  });

  it('with admin.token: 401 without or with a wrong token, 200 with it; probes open; the token never shows', async () => {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true, mode: 'reject' });
    cleanups.push(dir.remove, () => sink.close());
    const token = `adm-${randomBytes(12).toString('hex')}`;
    const raw = testConfig(`${dir.path}/data`, {
      defaultSink: { type: 'stdout' },
      tenants: { acme: { sink: { type: 'http', url: sink.url } } },
      admin: { metricsRequireToken: true },
    });
    const stdout: string[] = [];
    const child = await startChild(raw, dir.path, { LOGDRIVER_ADMIN_TOKEN: token }, stdout);
    cleanups.push(() => stopChild(child));
    const base = adminBase(child);
    await send(child, 'acme', 2);
    await send(child, 'other', 2);
    await eventually('dead letters', async () => {
      const s = await call<StatusView>(base, 'GET', '/v1/status', { token });
      return s.json.buffer.deadLetters === 2;
    });

    const answers: Answer<Record<string, unknown>>[] = [];
    const checked = async (
      method: 'GET' | 'POST',
      path: string,
      opts: { body?: unknown; token?: string },
    ) => {
      const a = await call<Record<string, unknown>>(base, method, path, opts);
      answers.push(a);
      return a;
    };
    const routes: [method: 'GET' | 'POST', path: string, body?: unknown][] = [
      ['GET', '/v1/status'],
      ['GET', '/v1/tenants'],
      ['GET', '/v1/tenants/acme'],
      ['GET', '/v1/dead-letters?tenant=acme'],
      ['POST', '/v1/dead-letters/replay', { tenant: 'nobody' }],
      ['POST', '/v1/dead-letters/purge', { tenant: 'nobody' }],
      ['POST', '/v1/tenants/acme/retry-now'],
      ['GET', '/v1/no-such-route'],
      ['GET', '/metrics'],
    ];
    for (const [method, path, body] of routes) {
      for (const wrong of [undefined, 'not-the-token', `${token}x`, token.slice(0, -1)]) {
        const a = await checked(method, path, { body, token: wrong });
        expect(a.status, `${method} ${path} with ${wrong === undefined ? 'no token' : 'a wrong token'}`).toBe(
          401,
        );
        expect(String(a.headers['www-authenticate'])).toMatch(/^Bearer/);
      }
    }
    for (const [method, path, body] of routes) {
      const a = await checked(method, path, { body, token });
      const expected = path === '/v1/no-such-route' ? 404 : path.endsWith('retry-now') ? [202, 404] : 200;
      if (Array.isArray(expected)) expect(expected, `${method} ${path}`).toContain(a.status);
      else expect(a.status, `${method} ${path}`).toBe(expected);
    }
    for (const path of ['/live', '/ready', '/health']) {
      const a = await checked('GET', path, {});
      expect(a.status, path).toBe(200);
    }
    const letters = answers.find((a) => a.text.includes('"deadLetters":[{'));
    expect(letters?.json.deadLetters).toHaveLength(2);
    const purge = await checked('POST', '/v1/dead-letters/purge', { body: { all: true }, token });
    expect(purge.json).toMatchObject({ purged: 2 });

    await stopChild(child);
    const audit = auditLines(child);
    expect(audit.length).toBeGreaterThanOrEqual(4);
    for (const l of audit) expect(l.admin.auth).toBe('token');
    // The token is in no log line, no stdout line and no answer.
    for (const text of [...child.stderr, ...stdout, ...answers.map((a) => a.text)])
      expect(text).not.toContain(token);
  });
});
