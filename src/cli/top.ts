// `logdriver top`: a live terminal view of a running service's tenants by backlog and rate, from the admin API.
// The frame is a pure function of the API's answers and the terminal's size (renderFrame); log-update redraws it
// in place every interval. Not a TTY, or --once: one plain-text frame and exit.
//
// The admin API has no per-tenant rates, so the rate column is computed here: the change of a tenant's backlog
// (stored events) per second between two refreshes. It is "+" while events arrive faster than they are
// delivered and "-" while the backlog drains; it is "-" (unknown) on the first frame and with --once.
import { emitKeypressEvents } from 'node:readline';
import { styleText } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogUpdate } from 'log-update';
import type { StatusView, TenantState, TenantView } from '../admin/index.js';
import {
  AdminClient,
  DEFAULT_ADMIN_URL,
  addApiFlags,
  formatAge,
  printable,
  withApi,
  type ApiFlags,
} from './admin-client.js';
import { formatBytes } from '../config/units.js';

export const TOP_SORTS = ['backlog', 'rate', 'age', 'errors'] as const;
export type TopSort = (typeof TOP_SORTS)[number];

/** One refresh: what the API answered, and when (ms, any monotonic-enough clock). */
export interface TopSample {
  readonly at: number;
  readonly status: StatusView;
  readonly tenants: readonly TenantView[];
  /** Tenants the service knows (the page may hold fewer). */
  readonly total: number;
}

export interface FrameInput {
  readonly sample: TopSample;
  /** The refresh before, for rates; absent on the first frame. */
  readonly previous?: TopSample;
  readonly base: string;
  readonly sort: TopSort;
  /** Columns available; every line is cut to this. */
  readonly width: number;
  /** Lines available (header, table head, rows, footer); undefined: no limit (plain output). */
  readonly height?: number;
  /** Tenant rows at most (--limit). */
  readonly limit?: number;
  /** The last line (key help, a failed refresh); a default is written when absent. */
  readonly footer?: string;
}

const FAILING: ReadonlySet<TenantState> = new Set(['retrying', 'auth_failed', 'held']);

/** Per-tenant backlog change per second between two samples; only tenants in both. */
export function backlogRates(previous: TopSample | undefined, sample: TopSample): Map<string, number> {
  const out = new Map<string, number>();
  if (!previous) return out;
  const seconds = (sample.at - previous.at) / 1000;
  if (!(seconds > 0)) return out;
  const before = new Map(previous.tenants.map((t) => [t.tenant, t.events]));
  for (const t of sample.tenants) {
    const was = before.get(t.tenant);
    if (was !== undefined) out.set(t.tenant, (t.events - was) / seconds);
  }
  return out;
}

/** Sorts a copy; `rate` puts the fastest-growing backlog first and tenants without a rate last. */
export function sortTenants(
  tenants: readonly TenantView[],
  sort: TopSort,
  rates: ReadonlyMap<string, number>,
): TenantView[] {
  const byName = (a: TenantView, b: TenantView): number =>
    a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0;
  const cmp: Record<TopSort, (a: TenantView, b: TenantView) => number> = {
    backlog: (a, b) => b.events - a.events || b.bytes - a.bytes || byName(a, b),
    rate: (a, b) =>
      (rates.get(b.tenant) ?? -Infinity) - (rates.get(a.tenant) ?? -Infinity) ||
      b.events - a.events ||
      byName(a, b),
    age: (a, b) => (b.oldestAgeMs ?? -1) - (a.oldestAgeMs ?? -1) || byName(a, b),
    errors: (a, b) => (b.lastError?.at ?? 0) - (a.lastError?.at ?? 0) || byName(a, b),
  };
  return [...tenants].sort(cmp[sort]);
}

/** Cuts `s` to `width` characters (code points), marking a cut with "…". */
export function cut(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...printable(s)];
  if (chars.length <= width) return chars.join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

function padEnd(s: string, width: number): string {
  const c = cut(s, width);
  return c + ' '.repeat(Math.max(0, width - [...c].length));
}

function padStart(s: string, width: number): string {
  const c = cut(s, width);
  return ' '.repeat(Math.max(0, width - [...c].length)) + c;
}

/** 0.25 -> "0.3", 1234 -> "1234", 123456 -> "123.5k". */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e5) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 10 || Number.isInteger(n)) return String(Math.round(n));
  return n.toFixed(1);
}

function signedRate(r: number | undefined): string {
  if (r === undefined) return '-';
  if (Math.abs(r) < 0.05) return '0/s';
  return `${r > 0 ? '+' : ''}${formatCount(r)}/s`;
}

/** Service-wide ingest/delivery/dead-letter rates: from the totals between two samples, else the service's own. */
function serviceRates(previous: TopSample | undefined, sample: TopSample): string {
  const seconds = previous ? (sample.at - previous.at) / 1000 : 0;
  if (previous && seconds > 0) {
    const d = (k: 'received' | 'delivered' | 'deadLettered'): string =>
      formatCount(Math.max(0, sample.status.totals[k] - previous.status.totals[k]) / seconds);
    return `ingest ${d('received')}/s  delivery ${d('delivered')}/s  dead-lettered ${d('deadLettered')}/s (last ${seconds.toFixed(1)} s)`;
  }
  const r = sample.status.rates;
  const over = r.windowSeconds > 0 ? `over ${r.windowSeconds} s` : 'no window yet';
  return `ingest ${formatCount(r.receivedPerSecond)}/s  delivery ${formatCount(r.deliveredPerSecond)}/s  dead-lettered ${formatCount(r.deadLetteredPerSecond)}/s (${over})`;
}

interface Column {
  readonly head: string;
  readonly width: number;
  readonly right: boolean;
  readonly value: (t: TenantView, rate: number | undefined) => string;
}

const TENANT_MIN = 8;
const TENANT_MAX = 40;

/** The frame as text: a header, the tenant table, a footer; no line wider than `width`. */
export function renderFrame(input: FrameInput): string {
  const { sample, previous, sort } = input;
  const width = Math.max(20, Math.floor(input.width));
  const s = sample.status;
  const b = s.buffer;
  const states = Object.entries(s.delivery.tenantsByState)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  const header = [
    `logdriver ${s.version} at ${input.base}  up ${formatAge(s.uptimeSeconds * 1000)}  ${s.ready ? 'ready' : `NOT READY: ${s.problems.join('; ')}`}  config generation ${s.configGeneration}`,
    `stored  ${b.events} events  ${formatBytes(b.bytes)} of ${formatBytes(b.maxBytes)}  ${b.tenants} tenants  ${b.deadLetters} dead letters  admission ${b.admission}`,
    `rates   ${serviceRates(previous, sample)}`,
    `lanes   ${s.delivery.lanes}${states ? ` (${states})` : ''}  ${s.delivery.sendingBatches} batches sending`,
    '',
  ];

  const rates = backlogRates(previous, sample);
  const rows = sortTenants(sample.tenants, sort, rates);

  const fixed: Column[] = [
    { head: 'state', width: 11, right: false, value: (t) => t.state },
    { head: 'events', width: 9, right: true, value: (t) => String(t.events) },
    { head: 'bytes', width: 10, right: true, value: (t) => formatBytes(t.bytes) },
    { head: 'oldest', width: 6, right: true, value: (t) => formatAge(t.oldestAgeMs) },
    { head: 'backlog Δ', width: 10, right: true, value: (_t, r) => signedRate(r) },
    { head: 'dead', width: 6, right: true, value: (t) => String(t.deadLetters) },
  ];
  // "! " marks a failing tenant; then the tenant (as wide as the longest name, up to 40 columns, leaving the last
  // error up to 24 columns of a narrow terminal), the fixed columns, and the last error in what is left.
  const fixedWidth = fixed.reduce((n, c) => n + c.width + 1, 0);
  const longest = Math.max(6, ...rows.map((t) => [...t.tenant].length));
  const available = width - 2 - fixedWidth - 1;
  const errorRoom = Math.min(24, Math.max(0, available - 16));
  const tenantWidth = Math.max(TENANT_MIN, Math.min(TENANT_MAX, longest, available - errorRoom));
  const line = (mark: string, tenant: string, cells: string[], err: string): string =>
    cut(`${mark} ${padEnd(tenant, tenantWidth)} ${cells.join(' ')} ${err}`.trimEnd(), width);
  const head = line(
    ' ',
    'tenant',
    fixed.map((c) => (c.right ? padStart(c.head, c.width) : padEnd(c.head, c.width))),
    'last error',
  );

  const shownLimit = input.limit ?? Infinity;
  const room = input.height === undefined ? Infinity : Math.max(1, input.height - header.length - 2);
  const shown = rows.slice(0, Math.min(shownLimit, room));
  const body = shown.map((t) => {
    const r = rates.get(t.tenant);
    // The age first, so a cut reason still says when.
    const err = t.lastError
      ? `${formatAge(Math.max(0, s.startedAt + s.uptimeSeconds * 1000 - t.lastError.at))} ago: ` +
        `${t.lastError.status ?? ''} ${t.lastError.reason}`.trim()
      : (t.heldBecause ?? '');
    return line(
      FAILING.has(t.state) ? '!' : ' ',
      t.tenant,
      fixed.map((c) => (c.right ? padStart(c.value(t, r), c.width) : padEnd(c.value(t, r), c.width))),
      err.replace(/\s+/g, ' '),
    );
  });
  if (body.length === 0) body.push('  (no tenants with stored events, lanes or dead letters)');

  const more = sample.total - shown.length;
  const footer =
    input.footer ??
    `sorted by ${sort}; ${shown.length} of ${sample.total} tenants${more > 0 ? ` (${more} more)` : ''}; backlog Δ: change of stored events per second between refreshes`;
  return [...header.map((l) => cut(l, width)), head, ...body, cut(footer, width)].join('\n');
}

interface TopFlags extends ApiFlags {
  interval: number;
  sort: TopSort;
  limit?: number;
  once?: boolean;
}

function positiveInt(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

const PAGE_MAX = 1000;

/** One refresh from the API. `rate` needs every tenant the page can hold to sort by a client-side rate. */
async function fetchSample(client: AdminClient, sort: TopSort, want: number): Promise<TopSample> {
  const serverSort = sort === 'rate' ? 'backlog' : sort;
  const limit = sort === 'rate' ? PAGE_MAX : Math.min(Math.max(want, 1), PAGE_MAX);
  const [status, page] = await Promise.all([
    client.call<StatusView>('GET', '/v1/status'),
    client.call<{ total: number; tenants: TenantView[] }>(
      'GET',
      `/v1/tenants?sort=${serverSort}&limit=${limit}`,
    ),
  ]);
  return { at: performance.now(), status, tenants: page.tenants, total: page.total };
}

export function topCommand(): Command {
  return addApiFlags(
    new Command('top').description(
      'a live view of a running service: tenants by backlog and rate (admin API); q or Ctrl-C quits',
    ),
    'admin listener of the service',
    DEFAULT_ADMIN_URL,
  )
    .option('--interval <ms>', 'refresh every this many milliseconds', positiveInt(200, 3_600_000), 1000)
    .addOption(new Option('--sort <key>', 'order of the tenants').choices([...TOP_SORTS]).default('backlog'))
    .option('--limit <n>', 'tenants to show at most (default: what fits the terminal)', positiveInt(1, 1000))
    .option('--once', 'print one frame as plain text and exit (also when stdout is not a terminal)')
    .action((flags: TopFlags) =>
      withApi('top', async () => {
        const client = new AdminClient(flags);
        const out = process.stdout;
        if (flags.once || !out.isTTY) {
          const sample = await fetchSample(client, flags.sort, flags.limit ?? 100);
          const frame = renderFrame({
            sample,
            base: client.base,
            sort: flags.sort,
            width: out.columns ?? 160,
            limit: flags.limit,
          });
          out.write(`${frame}\n`);
          return;
        }
        await live(client, flags);
      }),
    );
}

/** The live view: redraws every interval until q / Ctrl-C / SIGTERM; the terminal is restored on the way out. */
async function live(client: AdminClient, flags: TopFlags): Promise<void> {
  const out = process.stdout;
  const rowsFor = (): number => flags.limit ?? Math.max(1, (out.rows ?? 24) - 8);
  // The first refresh fails like `status` does (one line, exit 2) before the terminal is touched.
  let sample = await fetchSample(client, flags.sort, rowsFor());
  let previous: TopSample | undefined;
  let problem: string | undefined;
  const draw = createLogUpdate(out);
  const paint = (): void => {
    const width = out.columns ?? 80;
    // One line short of the screen: a frame as tall as the terminal would scroll it on every redraw.
    const height = (out.rows ?? 24) - 1;
    const footer = problem
      ? `refresh failed (showing the last answer): ${problem}`
      : `sorted by ${flags.sort}; ${sample.total} tenants; every ${flags.interval} ms; backlog Δ = change of stored events/s; q quits`;
    const frame = renderFrame({
      sample,
      previous,
      base: client.base,
      sort: flags.sort,
      width,
      height,
      limit: flags.limit,
      footer,
    });
    // Colour is added after layout (widths are counted on plain text): failing tenants red, the table head inverse.
    const lines = frame.split('\n');
    const headAt = lines.findIndex((l) => l.startsWith('  tenant'));
    draw(
      lines
        .map((l, i) =>
          i === headAt
            ? styleText('inverse', l)
            : i > headAt && headAt >= 0 && l.startsWith('!')
              ? styleText('red', l)
              : problem && i === lines.length - 1
                ? styleText('yellow', l)
                : l,
        )
        .join('\n'),
    );
  };

  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const stdin = process.stdin;
    const onKey = (_s: string | undefined, key: { name?: string; ctrl?: boolean } | undefined): void => {
      if (key?.name === 'q' || (key?.ctrl && key.name === 'c')) stop();
    };
    const onResize = (): void => paint();
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      out.off('resize', onResize);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (stdin.isTTY) {
        stdin.off('keypress', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      }
      draw.done(); // the last frame stays on screen, the cursor comes back
      resolve();
    };
    const tick = async (): Promise<void> => {
      try {
        const next = await fetchSample(client, flags.sort, rowsFor());
        previous = sample;
        sample = next;
        problem = undefined;
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (stopped) return;
      paint();
      timer = setTimeout(() => void tick(), flags.interval);
    };
    if (stdin.isTTY) {
      emitKeypressEvents(stdin);
      stdin.setRawMode(true);
      stdin.on('keypress', onKey);
      stdin.resume();
    }
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    out.on('resize', onResize);
    paint();
    timer = setTimeout(() => void tick(), flags.interval);
  });
}
