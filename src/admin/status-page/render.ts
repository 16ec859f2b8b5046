// The status page as one server-rendered HTML document (a pure function of the admin source's views): totals,
// sparklines, and the per-tenant table. Every value that reaches the HTML goes through escapeHtml; tenant ids
// and error reasons are chosen by producers and sinks.
import type { Series } from '../rates.js';
import type { StatusView, TenantState, TenantView } from '../source.js';
import { formatBytes } from '../../config/units.js';
import { CSS, REFRESH_MS, SCRIPT } from './assets.js';

/** The sorts the page offers (each also a /v1/tenants sort). */
export const PAGE_SORTS = ['backlog', 'age', 'errors', 'deadLetters', 'tenant'] as const;
export type PageSort = (typeof PAGE_SORTS)[number];

export interface PageModel {
  readonly status: StatusView;
  /** Already sorted and cut to what is shown. */
  readonly tenants: readonly TenantView[];
  /** All tenants known, shown or not. */
  readonly total: number;
  readonly sort: PageSort;
  readonly series: Series | undefined;
  readonly now: number;
}

const FAILING: ReadonlySet<TenantState> = new Set(['retrying', 'auth_failed', 'held']);

export function isFailing(state: TenantState): boolean {
  return FAILING.has(state);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text and attribute values alike (attributes are always double-quoted here). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${Math.floor(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** An inline SVG polyline scaled to its own maximum; a flat line until there are two points. */
export function sparkline(values: readonly number[], cls: string, label: string): string {
  const w = 180;
  const h = 36;
  const last = values.length > 0 ? values[values.length - 1]! : 0;
  const max = Math.max(1, ...values);
  const title = `${label}: ${values.length < 2 ? 'collecting samples' : `now ${count(last)}, max ${count(max)}`}`;
  const points =
    values.length < 2
      ? `0,${h - 1} ${w},${h - 1}`
      : values
          .map((v, i) => {
            const x = (i * w) / (values.length - 1);
            const y = h - 1 - (Math.max(0, v) / max) * (h - 2);
            return `${x.toFixed(1)},${y.toFixed(1)}`;
          })
          .join(' ');
  return (
    `<svg class="spark ${escapeHtml(cls)}" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img"` +
    ` aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>` +
    `<polyline fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"` +
    ` points="${points}"/></svg>`
  );
}

function totals(s: StatusView): string {
  const byState = Object.entries(s.delivery.tenantsByState)
    .map(([state, n]) => `${state} ${count(n)}`)
    .join(', ');
  const item = (dt: string, dd: string, id: string): string =>
    `<div data-total="${id}"><dt>${escapeHtml(dt)}</dt><dd>${escapeHtml(dd)}</dd></div>`;
  const used = s.buffer.maxBytes > 0 ? ` (${Math.round((s.buffer.bytes / s.buffer.maxBytes) * 100)}%)` : '';
  return [
    `<header class="totals"><h1>logdriver <span class="version">${escapeHtml(s.version)}</span></h1>`,
    s.ready
      ? '<span class="badge ready">ready</span>'
      : '<span class="badge not-ready">not ready</span>' +
        `<ul class="problems">${s.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`,
    '<dl>',
    item('uptime', formatDuration(s.uptimeSeconds * 1000), 'uptime'),
    item('buffered', `${count(s.buffer.events)} events, ${formatBytes(s.buffer.bytes)}${used}`, 'buffer'),
    item('buffer max', formatBytes(s.buffer.maxBytes), 'max'),
    item('database + WAL', formatBytes(s.buffer.fileBytes + s.buffer.walBytes), 'file'),
    item('admission', s.buffer.admission, 'admission'),
    item('dead letters', count(s.buffer.deadLetters), 'dead-letters'),
    item('tenants stored', count(s.buffer.tenants), 'tenants'),
    item('lanes', `${count(s.delivery.lanes)}${byState ? ` (${byState})` : ''}`, 'lanes'),
    item('received / s', String(s.rates.receivedPerSecond), 'received-rate'),
    item('delivered / s', String(s.rates.deliveredPerSecond), 'delivered-rate'),
    item('delivered', count(s.totals.delivered), 'delivered'),
    item('config generation', String(s.configGeneration), 'generation'),
    '</dl></header>',
  ].join('');
}

function charts(series: Series | undefined): string {
  if (!series) return '';
  const minutes = Math.round(((series.backlogEvents.length - 1) * series.sampleSeconds) / 6) / 10;
  const span = `last ${minutes > 0 ? minutes : 0} min, every ${series.sampleSeconds} s`;
  const fig = (values: number[], cls: string, label: string): string =>
    `<figure>${sparkline(values, cls, label)}<figcaption>${escapeHtml(label)} (${escapeHtml(span)})</figcaption></figure>`;
  return (
    '<section class="charts">' +
    fig(series.receivedPerSecond, 'received', 'received / s') +
    fig(series.deliveredPerSecond, 'delivered', 'delivered / s') +
    fig(series.backlogEvents, 'backlog', 'backlog events') +
    '</section>'
  );
}

const COLUMNS: readonly { label: string; cls: string; sort?: PageSort; num?: boolean }[] = [
  { label: 'Tenant', cls: 'tenant', sort: 'tenant' },
  { label: 'State', cls: 'state' },
  { label: 'Sink', cls: 'sink' },
  { label: 'Backlog', cls: 'events', sort: 'backlog', num: true },
  { label: 'Bytes', cls: 'bytes', num: true },
  { label: 'Oldest', cls: 'age', sort: 'age', num: true },
  { label: 'Dead letters', cls: 'dead', sort: 'deadLetters', num: true },
  { label: 'Last error', cls: 'error', sort: 'errors' },
];

function head(sort: PageSort): string {
  const cols = COLUMNS.map((c) => `<col class="c-${c.cls}">`).join('');
  const ths = COLUMNS.map((c) => {
    const attrs = `class="${c.cls}${c.num ? ' num' : ''}"${c.sort === sort ? ' aria-sort="descending"' : ''}`;
    const inner = c.sort
      ? `<a href="?sort=${c.sort}" data-sort="${c.sort}">${escapeHtml(c.label)}</a>`
      : escapeHtml(c.label);
    return `<th scope="col" ${attrs}>${inner}</th>`;
  }).join('');
  return `<colgroup>${cols}</colgroup><thead><tr>${ths}</tr></thead>`;
}

function stateText(t: TenantView, now: number): { text: string; title: string } {
  const text = t.state === 'held' && t.heldBecause ? `held (${t.heldBecause})` : t.state.replace('_', ' ');
  const next = t.nextAttemptAt !== null ? `; next attempt in ${formatDuration(t.nextAttemptAt - now)}` : '';
  return { text, title: `${text}${next}` };
}

function row(t: TenantView, now: number): string {
  const state = stateText(t, now);
  const err = t.lastError
    ? `${t.lastError.status !== null ? `${t.lastError.status} ` : ''}${t.lastError.reason} (${formatDuration(now - t.lastError.at)} ago)`
    : '';
  const cls = `state-${t.state}${isFailing(t.state) ? ' failing' : ''}`;
  const cell = (c: string, text: string, title = text): string =>
    `<td class="${escapeHtml(c)}" title="${escapeHtml(title)}">${escapeHtml(text)}</td>`;
  return (
    `<tr class="${escapeHtml(cls)}" data-tenant="${escapeHtml(t.tenant)}" data-state="${escapeHtml(t.state)}">` +
    cell('tenant', t.tenant) +
    cell(`state ${t.state}`, state.text, state.title) +
    cell('sink', t.sink) +
    cell('events num', count(t.events)) +
    cell('bytes num', formatBytes(t.bytes), `${count(t.bytes)} bytes`) +
    cell('age num', t.oldestAgeMs === null ? '' : formatDuration(t.oldestAgeMs)) +
    cell('dead num', count(t.deadLetters)) +
    cell('error', err) +
    '</tr>'
  );
}

const SORT_NAMES: Record<PageSort, string> = {
  backlog: 'backlog',
  age: 'oldest event',
  errors: 'most recent error',
  deadLetters: 'dead letters',
  tenant: 'tenant id',
};

/** The page's live part, `<main id="live">`: what the inline script fetches and swaps in on each refresh. */
export function renderLive(m: PageModel): string {
  const shown = m.tenants.length;
  const note =
    m.total === 0
      ? 'no tenants with stored events, a delivery lane or dead letters'
      : `showing ${count(shown)} of ${count(m.total)} tenants, sorted by ${SORT_NAMES[m.sort]}`;
  const body =
    shown === 0
      ? `<tbody><tr><td class="empty" colspan="${COLUMNS.length}">nothing to show</td></tr></tbody>`
      : `<tbody>${m.tenants.map((t) => row(t, m.now)).join('')}</tbody>`;
  const at = new Date(m.now).toISOString();
  return [
    `<main id="live" data-sort="${m.sort}" data-shown="${shown}" data-total="${m.total}">`,
    totals(m.status),
    charts(m.series),
    `<p class="note">${escapeHtml(note)}</p>`,
    `<table class="tenants">${head(m.sort)}${body}</table>`,
    `<p class="updated">rendered <time datetime="${at}">${at}</time></p>`,
    '</main>',
  ].join('');
}

/** The whole document; `nonce` lets the inline style and script run under the page's CSP. */
export function renderPage(m: PageModel, nonce: string): string {
  const n = escapeHtml(nonce);
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">',
    `<title>logdriver status</title><style nonce="${n}">${CSS}</style></head><body>`,
    renderLive(m),
    `<p id="refresh-state">refreshing every ${REFRESH_MS / 1000} s</p>`,
    `<script nonce="${n}">${SCRIPT}</script></body></html>`,
  ].join('');
}
