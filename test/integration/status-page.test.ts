// The admin listener's status page in headless Chromium (Debian's chromium, driven by playwright-core) against
// a real child service: it renders, shows a failing tenant as failing and a hostile tenant id as text, sorts
// on a header click, refreshes itself with the browser's credentials, and holds 1,000 tenants in its layout.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StatusView, TenantView } from '../../src/admin/index.js';
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

const CHROMIUM = process.env.LOGDRIVER_CHROMIUM ?? '/usr/bin/chromium';
const XSS = `"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

function adminBase(child: ServiceProcess): string {
  return `http://127.0.0.1:${child.endpoints.admin!.port}`;
}

async function getJson<T>(url: string, token?: string): Promise<T> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await request(url, { headers });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as T;
}

async function send(child: ServiceProcess, lines: string[]): Promise<void> {
  const res = await request(`${httpBase(child.endpoints)}/v1/events`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

/**
 * Evaluates browser-side code given as text (the test program has no DOM types); the result is what the
 * page computed, typed by the caller.
 */
function inPage<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** What the layout check reads in the page: widths, and the first tenant cell (the long id). */
const LAYOUT = `(() => {
  const cell = document.querySelector('tbody tr td.tenant');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    tableRight: document.querySelector('table.tenants').getBoundingClientRect().right,
    cellText: cell.textContent,
    cellTitle: cell.getAttribute('title'),
    truncated: cell.scrollWidth > cell.clientWidth,
    ellipsis: getComputedStyle(cell).textOverflow,
  };
})()`;

/** Console errors and page errors (a CSP violation is reported as a console error). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

describe('status page in headless Chromium', () => {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    // Fails, never skips: the page's test is part of the suite (.ci/run installs chromium where missing).
    if (!existsSync(CHROMIUM))
      throw new Error(
        `headless Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; ` +
          '.ci/run does this) or point LOGDRIVER_CHROMIUM at a Chromium binary',
      );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Chromium refuses to start its sandbox as root (CI containers).
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function service(raw: Record<string, unknown>, dir: string, env: NodeJS.ProcessEnv = {}) {
    const child = await startChild(raw, dir, env);
    cleanups.push(async () => {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
      child.proc.kill('SIGTERM');
      await child.exited;
    });
    return child;
  }

  async function context(opts: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const ctx = await browser!.newContext(opts);
    cleanups.push(() => ctx.close());
    return ctx;
  }

  it('renders totals, shows the failing tenant as failing and a hostile id as text, sorts, refreshes (token)', async () => {
    const dir = tempDir();
    const ok = await startMockSink({ mode: 'ok' });
    const down = await startMockSink({ mode: 'down' });
    const reject = await startMockSink({ mode: 'reject' });
    cleanups.push(
      dir.remove,
      () => ok.close(),
      () => down.close(),
      () => reject.close(),
    );
    const token = `page-${randomBytes(12).toString('hex')}`;
    const raw = testConfig(`${dir.path}/data`, {
      // The hostile tenant goes to the rejecting default: its dead letters keep it listed.
      defaultSink: { type: 'http', url: reject.url },
      tenants: {
        acme: { sink: { type: 'http', url: ok.url } },
        gamma: { sink: { type: 'http', url: down.url } },
      },
    });
    const child = await service(raw, dir.path, { LOGDRIVER_ADMIN_TOKEN: token });
    const base = adminBase(child);
    await send(child, [
      ...Array.from({ length: 3 }, (_, n) => event('acme', n)),
      ...Array.from({ length: 4 }, (_, n) => event('gamma', n)),
      ...Array.from({ length: 2 }, (_, n) => event(XSS, n)),
    ]);
    await eventually('gamma retrying, the hostile tenant dead-lettered, acme delivered', async () => {
      const s = await getJson<StatusView>(`${base}/v1/status`, token);
      const g = await getJson<TenantView>(`${base}/v1/tenants/gamma`, token);
      return g.state === 'retrying' && s.buffer.deadLetters === 2 && s.totals.delivered === 3;
    });

    // Without credentials the 401's Basic challenge ends the load (headless Chromium has no login prompt to
    // show); with a wrong password the browser gets the 401 and no tenant data.
    const anon = await (await context()).newPage();
    await expect(anon.goto(`${base}/`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const wrong = await (
      await context({ httpCredentials: { username: 'admin', password: 'nope' } })
    ).newPage();
    const refused = await wrong.goto(`${base}/`);
    expect(refused!.status()).toBe(401);
    expect(await wrong.content()).not.toContain('gamma');

    // With them (HTTP Basic, the token as password) the page renders and refreshes itself.
    const page = await (await context({ httpCredentials: { username: 'admin', password: token } })).newPage();
    const errors = watchErrors(page);
    const res = await page.goto(`${base}/?sort=tenant`);
    expect(res!.status()).toBe(200);
    expect(await page.title()).toBe('logdriver status');
    expect(await page.textContent('.totals .version')).toBe('0.1.0');
    expect(await page.textContent('.totals .badge')).toBe('ready');
    expect(await page.textContent('[data-total="dead-letters"] dd')).toBe('2');
    expect(await page.locator('svg.spark').count()).toBe(3);

    const gamma = page.locator('tr[data-tenant="gamma"]');
    expect(await gamma.getAttribute('class')).toMatch(/\bfailing\b/);
    expect(await gamma.locator('td.state').textContent()).toBe('retrying');
    expect(await gamma.locator('td.error').textContent()).toMatch(/^503 /);
    const stateCell = `document.querySelector('tr[data-tenant="gamma"] td.state')`;
    expect(await inPage(page, `getComputedStyle(${stateCell}).fontWeight`)).toBe('600');
    // acme delivered everything; if its lane is still listed it is not failing.
    const acme = await inPage<string[]>(
      page,
      `[...document.querySelectorAll('tr[data-tenant="acme"]')].map((t) => t.className)`,
    );
    for (const cls of acme) expect(cls).not.toMatch(/\bfailing\b/);

    // The hostile id is text: first in tenant order (`"` sorts before letters), nothing it names exists.
    const first = page.locator('tbody tr').first();
    expect(await first.locator('td.tenant').textContent()).toBe(XSS);
    expect(await first.locator('td.tenant').getAttribute('title')).toBe(XSS);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await inPage(page, 'window.__pwned')).toBeUndefined();

    // Clicking the backlog header sorts by backlog: gamma (4 stored) comes first.
    await page.click('th a[data-sort="backlog"]');
    await page.waitForURL(/\?sort=backlog$/);
    expect(await page.getAttribute('th[aria-sort="descending"] a', 'data-sort')).toBe('backlog');
    expect(await page.locator('tbody tr').first().getAttribute('data-tenant')).toBe('gamma');

    // The inline script re-fetched the page (with the browser's credentials) and kept the sort.
    await page.waitForSelector('#refresh-state:has-text("live")');
    expect(await page.getAttribute('main#live', 'data-sort')).toBe('backlog');
    expect(await page.locator('tbody tr').first().getAttribute('data-tenant')).toBe('gamma');
    expect(await page.content()).not.toContain(token);
    expect(errors).toEqual([]);
  });

  it('holds 1,000 tenants: the top 200 by backlog, no horizontal overflow, long ids cut with the full id kept', async () => {
    const dir = tempDir();
    const down = await startMockSink({ mode: 'down' });
    cleanups.push(dir.remove, () => down.close());
    const raw = testConfig(`${dir.path}/data`, {
      defaultSink: { type: 'http', url: down.url },
      delivery: { retry: { initialMs: 500, maxMs: 2000 } },
    });
    const child = await service(raw, dir.path);
    const base = adminBase(child);
    const long = `tenant-${'x'.repeat(240)}-end`;
    const ids = Array.from({ length: 999 }, (_, i) => `t-${String(i).padStart(4, '0')}`);
    await send(child, [
      ...ids.map((id, n) => event(id, n)),
      // The long id has the largest backlog, so it is on the first row.
      ...Array.from({ length: 3 }, (_, n) => event(long, n)),
    ]);
    await eventually('1,000 tenants stored', async () => {
      const s = await getJson<StatusView>(`${base}/v1/status`);
      return s.buffer.tenants === 1000 && s.buffer.events === 1002;
    });

    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 600, height: 900 },
    ]) {
      const page = await (await context({ viewport })).newPage();
      const errors = watchErrors(page);
      await page.goto(`${base}/`);
      expect(await page.locator('tbody tr').count()).toBe(200);
      expect(await page.textContent('.note')).toBe('showing 200 of 1,000 tenants, sorted by backlog');
      const layout = await inPage<{ scrollWidth: number; innerWidth: number; tableRight: number }>(
        page,
        LAYOUT,
      );
      expect(layout.scrollWidth, `viewport ${viewport.width}`).toBeLessThanOrEqual(layout.innerWidth);
      expect(layout.tableRight).toBeLessThanOrEqual(layout.innerWidth);
      expect(layout).toMatchObject({
        cellText: long,
        cellTitle: long,
        truncated: true,
        ellipsis: 'ellipsis',
      });
      expect(errors).toEqual([]);
    }
  });
});
