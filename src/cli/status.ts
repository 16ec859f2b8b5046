// `logdriver status`: a running service's status and its tenants with the largest backlogs, from the admin API.
import { Command } from 'commander';
import type { StatusView, TenantView } from '../admin/index.js';
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

export interface TenantPage {
  total: number;
  tenants: TenantView[];
  nextCursor: string | null;
}

export function statusCommand(): Command {
  return addApiFlags(
    new Command('status').description("a running service's status and top tenants (admin API)"),
    'admin listener of the service',
    DEFAULT_ADMIN_URL,
  )
    .option('-n, --top <n>', 'how many tenants to list, by backlog', '10')
    .option('--json', 'print JSON ({status, tenants}) instead of text')
    .action((flags: ApiFlags & { top: string; json?: boolean }) =>
      withApi('status', async () => {
        const client = new AdminClient(flags);
        const top = Math.min(Math.max(Number.parseInt(flags.top, 10) || 10, 1), 1000);
        const status = await client.call<StatusView>('GET', '/v1/status');
        const page = await client.call<TenantPage>('GET', `/v1/tenants?sort=backlog&limit=${top}`);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ status, tenants: page.tenants }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${describeStatus(status, client.base).join('\n')}\n\n`);
        process.stdout.write(`${tenantTable(page.tenants).join('\n')}\n`);
        if (page.total > page.tenants.length)
          process.stdout.write(`(${page.total - page.tenants.length} more tenants; --top N lists more)\n`);
      }),
    );
}

export function describeStatus(s: StatusView, base: string): string[] {
  const b = s.buffer;
  const r = s.rates;
  const states = Object.entries(s.delivery.tenantsByState)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  return [
    `logdriver ${s.version} at ${base}: up ${formatAge(s.uptimeSeconds * 1000)}, config generation ${s.configGeneration}, ${s.ready ? 'ready' : `NOT READY (${s.problems.join('; ')})`}`,
    `buffer     ${b.events} events (${formatBytes(b.bytes)} of ${formatBytes(b.maxBytes)}) of ${b.tenants} tenants, ${b.deadLetters} dead letters, admission ${b.admission}`,
    `files      database ${formatBytes(b.fileBytes)}, WAL ${formatBytes(b.walBytes)}, cache ${formatBytes(b.cacheBytes)}`,
    `rates      received ${r.receivedPerSecond}/s, committed ${r.committedPerSecond}/s, delivered ${r.deliveredPerSecond}/s, dead-lettered ${r.deadLetteredPerSecond}/s (over ${r.windowSeconds} s)`,
    `delivery   ${s.delivery.lanes} lanes${states ? ` (${states})` : ''}, ${s.delivery.sendingBatches} batches sending`,
  ];
}

export function tenantTable(tenants: readonly TenantView[]): string[] {
  const head = `${'tenant'.padEnd(24)} ${'events'.padStart(9)} ${'bytes'.padStart(10)} ${'oldest'.padStart(7)} ${'dead'.padStart(6)} ${'sink'.padEnd(12)} ${'state'.padEnd(11)} last error`;
  const rows = tenants.map((t) => {
    const err = t.lastError
      ? printable(
          `${new Date(t.lastError.at).toISOString()} ${t.lastError.status ?? ''} ${t.lastError.reason}`,
        ).slice(0, 80)
      : '';
    const tenant = printable(t.tenant);
    const name = tenant.length > 24 ? `${tenant.slice(0, 23)}…` : tenant.padEnd(24);
    return `${name} ${String(t.events).padStart(9)} ${formatBytes(t.bytes).padStart(10)} ${formatAge(t.oldestAgeMs).padStart(7)} ${String(t.deadLetters).padStart(6)} ${t.sink.padEnd(12)} ${t.state.padEnd(11)} ${err}`;
  });
  return [head, ...(rows.length > 0 ? rows : ['(no tenants with stored events, lanes or dead letters)'])];
}
