// The status page's inline CSS and script: no build step and no external assets. The script only re-fetches
// the page's own URL (its live part) and swaps in that server-rendered, already escaped HTML, so the sort in
// the URL is kept and the browser re-sends whatever credentials opened the page.

export const REFRESH_MS = 2000;

export const CSS = `
:root { color-scheme: light dark; --bad: #c62828; --ok: #2e7d32; --muted: #777; --line: #8884; }
* { box-sizing: border-box; }
body { margin: 0; padding: 12px 16px; font: 14px/1.4 system-ui, sans-serif; }
h1 { font-size: 18px; margin: 0 12px 0 0; display: inline-block; }
.version { font-weight: normal; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; color: #fff; font-weight: 600; }
.badge.ready { background: var(--ok); }
.badge.not-ready { background: var(--bad); }
.problems { color: var(--bad); overflow-wrap: anywhere; margin: 4px 0; }
.totals dl { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 8px 0; }
.totals dl div { min-width: 0; }
.totals dt { color: var(--muted); font-size: 12px; }
.totals dd { margin: 0; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0; }
.charts figure { margin: 0; }
.charts figcaption { color: var(--muted); font-size: 12px; }
.spark { width: 180px; height: 36px; display: block; border-bottom: 1px solid var(--line); }
.spark.received { color: #1565c0; } .spark.delivered { color: var(--ok); } .spark.backlog { color: #ef6c00; }
.note { color: var(--muted); margin: 8px 0 4px; }
table.tenants { width: 100%; table-layout: fixed; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.tenants th, table.tenants td {
  padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: left;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
table.tenants th a { color: inherit; }
table.tenants th[aria-sort] a { text-decoration: none; }
table.tenants th[aria-sort] a::after { content: " \\25BE"; }
table.tenants .num { text-align: right; }
col.c-tenant { width: 22%; } col.c-state { width: 11%; } col.c-sink { width: 6%; } col.c-events { width: 8%; }
col.c-bytes { width: 8%; } col.c-age { width: 9%; } col.c-dead { width: 10%; } col.c-error { width: 26%; }
tr.failing { background: #c628281a; }
tr.failing td.state { color: var(--bad); font-weight: 600; }
tr.failing td.state::before { content: "\\25CF "; }
td.state.ok { color: var(--ok); }
.empty { color: var(--muted); padding: 12px 6px; }
#refresh-state { color: var(--muted); font-size: 12px; }
#refresh-state.stale { color: var(--bad); }
`;

/** Sent by the script: the route then answers with the live part only (no style or script to re-run). */
export const FRAGMENT_HEADER = 'x-status-page';

export const SCRIPT = `
(function () {
  var flag = document.getElementById('refresh-state');
  var busy = false;
  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(location.pathname + location.search, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { '${FRAGMENT_HEADER}': 'fragment' },
    })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (html) {
        var live = document.getElementById('live');
        if (!live || html.indexOf('<main id="live"') !== 0) throw new Error('unexpected answer');
        live.outerHTML = html;
        flag.textContent = 'live, refreshing every ${REFRESH_MS / 1000} s';
        flag.className = '';
      })
      .catch(function (e) {
        flag.textContent = 'stale (' + e.message + '): retrying';
        flag.className = 'stale';
      })
      .finally(function () {
        busy = false;
      });
  }
  setInterval(tick, ${REFRESH_MS});
})();
`;
