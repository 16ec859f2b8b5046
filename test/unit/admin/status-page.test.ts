// The status page's template and route without a socket: every producer-chosen value is escaped, failing
// tenants are marked, the table is cut to the chosen sort's top rows, and admin.token guards the page
// (Bearer or Basic) without the token ever appearing in it.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createAdminServer,
  type AdminSource,
  type StatusView,
  type TenantView,
} from '../../../src/admin/index.js';
import { escapeHtml, renderPage, sparkline } from '../../../src/admin/status-page/index.js';
import { Secret } from '../../../src/config/secret.js';

const TOKEN = 'page-admin-token-Zq81';
const XSS = `"><img src=x onerror=alert(1)><script>alert('t')</script>&amp;`;

const STATUS = {
  version: '9.9.9',
  startedAt: 0,
  uptimeSeconds: 3725,
  configGeneration: 2,
  ready: false,
  problems: ['disk full: <b>no</b> space'],
  buffer: {
    id: 'b',
    events: 1234,
    bytes: 5 * 1024 * 1024,
    maxBytes: 100 * 1024 * 1024,
    deadLetters: 3,
    pendingEvents: 0,
    admission: 'open',
    diskFull: true,
    fileBytes: 4096,
    walBytes: 0,
    cacheBytes: 0,
    chunks: 1,
    tenants: 2,
  },
  delivery: { lanes: 2, sendingBatches: 0, tenantsByState: { retrying: 1, ok: 1 } },
  totals: { delivered: 77 },
  rates: { receivedPerSecond: 1.5, deliveredPerSecond: 0.5 },
} as unknown as StatusView;

function tenant(name: string, over: Partial<TenantView> = {}): TenantView {
  return {
    tenant: name,
    events: 0,
    bytes: 0,
    oldestReceivedAt: null,
    oldestAgeMs: null,
    deadLetters: 0,
    sink: 'http',
    state: 'ok',
    nextAttemptAt: null,
    lastError: null,
    lastDeliveredAt: null,
    inFlightBatches: 0,
    ...over,
  };
}

function fakeSource(tenants: TenantView[]): AdminSource {
  return {
    status: () => STATUS,
    tenants: () => Promise.resolve(tenants.slice()),
    tenant: () => Promise.resolve(undefined),
    deadLetters: () => Promise.resolve([]),
    replay: () => Promise.resolve({ replayed: 0, unreadable: 0, tenants: {} }),
    purge: () => Promise.resolve(0),
    retryNow: () => true,
    series: () => ({
      sampleSeconds: 5,
      receivedPerSecond: [0, 4, 2],
      deliveredPerSecond: [0, 1, 1],
      backlogEvents: [0, 10, 30, 20],
    }),
    close: () => undefined,
  };
}

function server(tenants: TenantView[], token?: string) {
  return createAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    registry: new Registry(),
    readiness: () => [],
    source: fakeSource(tenants),
    token: token === undefined ? undefined : new Secret(token),
  }).app;
}

describe('status page template', () => {
  it('escapes text and attribute values', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('shows a producer-chosen tenant id and error reason as text only', () => {
    const html = renderPage(
      {
        status: STATUS,
        tenants: [
          tenant(XSS, {
            state: 'retrying',
            events: 5,
            lastError: { reason: `<iframe src="javascript:alert(2)">`, status: 503, at: 1000 },
          }),
        ],
        total: 1,
        sort: 'backlog',
        series: undefined,
        now: 2000,
      },
      'n0nce',
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<iframe');
    expect(html).not.toContain("<script>alert('t')");
    expect(html).not.toContain('<b>no</b>');
    expect(html).toContain(escapeHtml(XSS));
    expect(html).toContain('&lt;iframe src=&quot;javascript:alert(2)&quot;&gt;');
    // Exactly the page's own inline script, carrying the nonce.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="n0nce">');
  });

  it('marks retrying, auth_failed and held tenants as failing, and no others', () => {
    const states = ['ok', 'idle', 'retrying', 'auth_failed', 'held'] as const;
    const html = renderPage(
      {
        status: STATUS,
        tenants: states.map((s) => tenant(`t-${s}`, { state: s })),
        total: 5,
        sort: 'tenant',
        series: undefined,
        now: 0,
      },
      'n',
    );
    for (const s of states) {
      const tr = new RegExp(`<tr class="([^"]*)" data-tenant="t-${s}"`).exec(html)![1]!;
      expect(tr.split(' ').includes('failing'), s).toBe(['retrying', 'auth_failed', 'held'].includes(s));
    }
  });

  it('draws a sparkline as an inline SVG polyline, flat until there are two points', () => {
    expect(sparkline([1, 3, 2], 'x', 'label')).toMatch(
      /^<svg [^>]*><title>label: now 2, max 3<\/title><polyline /,
    );
    expect(sparkline([], 'x', 'label')).toContain('collecting samples');
  });
});

describe('GET / on the admin listener', () => {
  it('serves the page with a CSP nonce, sorted by the chosen column, cut to 200 of 1,000 rows', async () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      tenant(`tenant-${String(i).padStart(4, '0')}`, { events: i, oldestAgeMs: 1000 - i }),
    );
    const app = server(many);
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(String(res.headers['content-security-policy']))![1]!;
    expect(res.body).toContain(`<script nonce="${escapeHtml(nonce)}">`);
    expect(res.body).toContain('showing 200 of 1,000 tenants, sorted by backlog');
    expect(res.body.match(/<tr class=/g)).toHaveLength(200);
    expect(/data-tenant="([^"]+)"/.exec(res.body)![1]).toBe('tenant-0999');
    const byAge = await app.inject({ method: 'GET', url: '/?sort=age&limit=5' });
    expect(byAge.body.match(/<tr class=/g)).toHaveLength(5);
    expect(/data-tenant="([^"]+)"/.exec(byAge.body)![1]).toBe('tenant-0000');
    expect(byAge.body).toContain('aria-sort="descending"><a href="?sort=age"');
    // Totals and sparklines.
    expect(res.body).toContain('<span class="version">9.9.9</span>');
    expect(res.body).toContain('not ready');
    expect(res.body.match(/<svg class="spark/g)).toHaveLength(3);
  });

  it('with admin.token: 401 with a Basic challenge without it; Bearer or Basic (token as password) open it', async () => {
    const app = server([tenant('acme')], TOKEN);
    const none = await app.inject({ method: 'GET', url: '/' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="logdriver-admin"/);
    expect(none.body).not.toContain('acme');
    const basic = (user: string, pass: string) =>
      `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    for (const authorization of ['Bearer wrong', basic('admin', 'wrong'), basic(TOKEN, ''), TOKEN]) {
      const res = await app.inject({ method: 'GET', url: '/', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
    for (const authorization of [`Bearer ${TOKEN}`, basic('admin', TOKEN), basic('', TOKEN)]) {
      const res = await app.inject({ method: 'GET', url: '/', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(200);
      expect(res.body).toContain('data-tenant="acme"');
      expect(res.body).not.toContain(TOKEN);
      expect(JSON.stringify(res.headers)).not.toContain(TOKEN);
    }
    // The /v1/ API still takes only Bearer.
    const v1 = await app.inject({
      method: 'GET',
      url: '/v1/status',
      headers: { authorization: basic('a', TOKEN) },
    });
    expect(v1.statusCode).toBe(401);
  });

  it('answers the refresh script with the live part only: no style or script to re-run', async () => {
    const res = await server([tenant(XSS, { state: 'held', heldBecause: 'misconfigured' })]).inject({
      method: 'GET',
      url: '/?sort=errors',
      headers: { 'x-status-page': 'fragment' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^<main id="live" data-sort="errors"[^]*<\/main>$/);
    expect(res.body).not.toMatch(/<script|<style|<img/);
    expect(res.body).toContain('held (misconfigured)');
  });

  it('without admin.token the page is open, as /v1/ reads are', async () => {
    const res = await server([]).inject({ method: 'GET', url: '/', remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('nothing to show');
  });
});
