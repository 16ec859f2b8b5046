// `logdriver inspect`: what a data directory holds — totals, per-tenant backlog, dead letters, file pages; or,
// with --url, what a running service holds, from its admin API.
import { Command } from 'commander';
import type { StatusView, TenantView } from '../admin/index.js';
import { AdminClient, addApiFlags, withApi, type ApiFlags } from './admin-client.js';
import { addDataDirFlags, withDataDir, type DataDirFlags } from './data-dir.js';
import { describeStatus, tenantTable, type TenantPage } from './status.js';

export function inspectCommand(): Command {
  return addApiFlags(
    addDataDirFlags(new Command('inspect')),
    'a running service: its admin listener (instead of opening the data directory)',
  )
    .description('show what a data directory holds (service stopped), or a running service (--url)')
    .option('--json', 'print JSON instead of a table')
    .action((flags: DataDirFlags & ApiFlags & { json?: boolean }) => {
      if (flags.url !== undefined) return withApi('inspect', () => inspectOnline(flags));
      withDataDir(flags, (dir) => {
        const s = dir.summary();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          return;
        }
        const lines = [
          `buffer id        ${s.bufferId} (schema v${s.schemaVersion})`,
          `stored events    ${s.events} in ${s.chunks} chunks (${s.bytes} bytes counted against buffer.maxBytes)`,
          `dead letters     ${s.deadLetters}`,
          `encryption       ${describeEncryption(s.encryption)}`,
          `file             ${s.pages} pages of ${s.pageSize} bytes, ${s.freePages} free, auto_vacuum ${s.autoVacuum}`,
          '',
          'tenant                           events        bytes  oldest',
          ...s.tenants.map(
            (t) =>
              `${t.tenant.padEnd(30).slice(0, 30)} ${String(t.events).padStart(8)} ${String(t.bytes).padStart(12)}  ${new Date(t.oldestReceivedAt).toISOString()}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
}

/** Every tenant of a running service (paged through /v1/tenants), with its status. */
async function inspectOnline(flags: ApiFlags & { json?: boolean }): Promise<void> {
  const client = new AdminClient(flags);
  const status = await client.call<StatusView>('GET', '/v1/status');
  const tenants: TenantView[] = [];
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page: TenantPage = await client.call('GET', `/v1/tenants?sort=tenant&limit=1000&cursor=${cursor}`);
    tenants.push(...page.tenants);
    cursor = page.nextCursor;
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ status, tenants }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${[...describeStatus(status, client.base), '', ...tenantTable(tenants)].join('\n')}\n`,
  );
}

function describeEncryption(e: {
  keyId: string | null;
  keys: Record<string, { chunks: number; deadLetters: number }>;
}): string {
  const used = Object.entries(e.keys).map(
    ([id, n]) => `${id}: ${n.chunks} chunks, ${n.deadLetters} dead letters`,
  );
  const head = e.keyId === null ? 'off (new records in clear text)' : `on, new records with key ${e.keyId}`;
  return used.length > 0 ? `${head}; stored under ${used.join('; ')}` : head;
}
