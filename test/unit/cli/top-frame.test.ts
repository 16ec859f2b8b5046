// `logdriver top`'s frame renderer: a pure function of the API's answers and the terminal's size.
import { describe, expect, it } from 'vitest';
import type { StatusView, TenantView } from '../../../src/admin/index.js';
import { backlogRates, cut, renderFrame, sortTenants, type TopSample } from '../../../src/cli/top.js';

function status(over: Partial<StatusView> = {}): StatusView {
  return {
    version: '9.9.9',
    startedAt: 1_000_000,
    uptimeSeconds: 192,
    configGeneration: 4,
    ready: true,
    problems: [],
    buffer: {
      id: 'b',
      events: 600,
      bytes: 61_440,
      maxBytes: 1024 ** 3,
      deadLetters: 7,
      pendingEvents: 0,
      admission: 'open',
      diskFull: false,
      fileBytes: 0,
      walBytes: 0,
      cacheBytes: 0,
      chunks: 0,
      tenants: 3,
    },
    delivery: { lanes: 3, sendingBatches: 1, tenantsByState: { ok: 2, retrying: 1 } },
    totals: {
      received: 1000,
      rejected: 0,
      dropped: 0,
      committed: 1000,
      committedBytes: 0,
      delivered: 400,
      deleted: 0,
      retried: 0,
      deadLettered: 7,
      commits: 0,
      checkpoints: 0,
    },
    rates: {
      windowSeconds: 60,
      receivedPerSecond: 12,
      rejectedPerSecond: 0,
      droppedPerSecond: 0,
      committedPerSecond: 12,
      committedBytesPerSecond: 0,
      deliveredPerSecond: 10,
      deletedPerSecond: 0,
      retriedPerSecond: 0,
      deadLetteredPerSecond: 0,
      commitsPerSecond: 0,
      checkpointsPerSecond: 0,
    },
    ...over,
  };
}

function tenant(name: string, events: number, over: Partial<TenantView> = {}): TenantView {
  return {
    tenant: name,
    events,
    bytes: events * 100,
    oldestReceivedAt: events > 0 ? 1_000_000 : null,
    oldestAgeMs: events > 0 ? events * 1000 : null,
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

const LONG = `tenant-with-a-very-long-name-${'x'.repeat(80)}`;
const failing = tenant('globex', 300, {
  state: 'retrying',
  deadLetters: 7,
  lastError: { reason: 'sink answered 503 Service Unavailable '.repeat(5), status: 503, at: 1_150_000 },
});
const tenants = [tenant('acme', 100), failing, tenant(LONG, 200), tenant('idle-one', 0, { state: 'idle' })];
const sample = (at: number, list: TenantView[] = tenants): TopSample => ({
  at,
  status: status(),
  tenants: list,
  total: list.length,
});

/** The tenant names of the table's rows, in order. */
function rowNames(frame: string): string[] {
  const lines = frame.split('\n');
  const head = lines.findIndex((l) => /^\s+tenant\s/.test(l));
  return lines.slice(head + 1, -1).map((l) => l.slice(2).split(/\s+/)[0]!);
}

describe('top frame', () => {
  it('shows the header and every tenant, sorted by backlog, with the failing tenant marked', () => {
    const frame = renderFrame({
      sample: sample(0),
      base: 'http://127.0.0.1:9100',
      sort: 'backlog',
      width: 160,
    });
    expect(frame).toContain('logdriver 9.9.9 at http://127.0.0.1:9100  up 3m12s  ready');
    expect(frame).toMatch(/600 events {2}60\.0 KiB of 1\.0 GiB {2}3 tenants {2}7 dead letters/);
    // The first frame has no previous one: the service's own rates.
    expect(frame).toContain('ingest 12/s  delivery 10/s  dead-lettered 0/s (over 60 s)');
    expect(rowNames(frame)).toEqual([
      'globex',
      'tenant-with-a-very-long-name-xxxxxxxxxx…',
      'acme',
      'idle-one',
    ]);
    const globex = frame.split('\n').find((l) => l.includes('globex'))!;
    expect(globex).toMatch(
      /^! globex\s+retrying\s+300\s+29\.3 KiB\s+5m00s\s+-\s+7 42s ago: 503 sink answered 503/,
    );
    expect(globex).toContain(' 7 42s ago: 503 sink answered 503 Service Unavailable');
    for (const l of frame.split('\n').filter((x) => /acme|idle-one/.test(x)))
      expect(l.startsWith(' ')).toBe(true);
  });

  it('cuts every line to the width and the rows to the height', () => {
    for (const width of [40, 72, 100, 133]) {
      const frame = renderFrame({ sample: sample(0), base: 'http://h:1', sort: 'backlog', width, height: 9 });
      const lines = frame.split('\n');
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(width);
      expect(lines.length).toBeLessThanOrEqual(9);
      // 9 lines: 5 of header, the table head, 2 rows, the footer.
      expect(rowNames(frame)).toHaveLength(2);
      expect(lines.at(-1)).toMatch(/^sorted by backlog; 2 of 4 tenants/);
    }
    // The long name is cut (with "…"), the short ones are whole.
    const narrow = renderFrame({ sample: sample(0), base: 'x', sort: 'backlog', width: 80 });
    expect(narrow).not.toContain(LONG);
    expect(narrow).toMatch(/tenant-with-[a-z-]*…/);
    expect(narrow).toContain(' acme ');
  });

  it('computes per-tenant backlog rates between two refreshes and sorts by them', () => {
    const before = sample(0, [tenant('acme', 100), tenant('globex', 300), tenant('initech', 50)]);
    const after = sample(2000, [tenant('acme', 140), tenant('globex', 100), tenant('new', 10)]);
    const rates = backlogRates(before, after);
    expect(Object.fromEntries(rates)).toEqual({ acme: 20, globex: -100 });
    expect(sortTenants(after.tenants, 'rate', rates).map((t) => t.tenant)).toEqual(['acme', 'globex', 'new']);
    const frame = renderFrame({ sample: after, previous: before, base: 'x', sort: 'rate', width: 120 });
    expect(rowNames(frame)).toEqual(['acme', 'globex', 'new']);
    expect(frame).toMatch(/acme .* \+20\/s/);
    expect(frame).toMatch(/globex .* -100\/s/);
    // Service rates from the totals between the two samples (here unchanged: 0/s).
    expect(frame).toContain('ingest 0/s  delivery 0/s  dead-lettered 0/s (last 2.0 s)');
  });

  it('sorts by age and by most recent error', () => {
    const list = [
      tenant('a', 1),
      tenant('b', 5, { lastError: { reason: 'x', status: null, at: 10 } }),
      tenant('c', 3, { lastError: { reason: 'y', status: 500, at: 20 } }),
    ];
    const none = new Map<string, number>();
    expect(sortTenants(list, 'age', none).map((t) => t.tenant)).toEqual(['b', 'c', 'a']);
    expect(sortTenants(list, 'errors', none).map((t) => t.tenant)).toEqual(['c', 'b', 'a']);
    expect(sortTenants(list, 'backlog', none).map((t) => t.tenant)).toEqual(['b', 'c', 'a']);
  });

  it('says so when there are no tenants, and when the service is not ready', () => {
    const frame = renderFrame({
      sample: { at: 0, status: status({ ready: false, problems: ['disk full'] }), tenants: [], total: 0 },
      base: 'x',
      sort: 'backlog',
      width: 100,
    });
    expect(frame).toContain('NOT READY: disk full');
    expect(frame).toContain('(no tenants with stored events, lanes or dead letters)');
  });

  it('cut marks a cut and counts code points', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    expect(cut('ééééé', 3)).toBe('éé…');
    // A hostile tenant id or sink reason cannot send escape sequences to the terminal.
    expect(cut('evil\u001b]0;owned\u0007name', 40)).toBe('evil?]0;owned?name');
    expect(cut('a\u009bb\u007fc\r\n', 40)).toBe('a?b?c??');
  });
});
