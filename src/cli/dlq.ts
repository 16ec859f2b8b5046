// `logdriver dlq list|replay|purge`: the dead-letter table, of a stopped service's data directory, or of a
// running service through its admin API (--url).
import { Command, Option } from 'commander';
import type { LetterView } from '../buffer/index.js';
import { AdminClient, addApiFlags, withApi, type ApiFlags } from './admin-client.js';
import { addDataDirFlags, withDataDir, type DataDirFlags } from './data-dir.js';

type Flags = DataDirFlags & ApiFlags & { tenant?: string };

const URL_HELP = 'a running service: its admin listener (instead of opening the data directory)';
/** Letters fetched per API request while listing. */
const PAGE = 1000;

function both(cmd: Command): Command {
  return addApiFlags(addDataDirFlags(cmd), URL_HELP);
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description(
    'list, replay or purge dead-lettered events (service stopped, or running with --url)',
  );
  both(dlq.command('list'))
    .description('print dead letters as NDJSON (tenant, status, reason, the original event)')
    .option('-t, --tenant <id>', 'only this tenant')
    .option('-n, --limit <n>', 'at most this many', '100')
    .option('--since <time>', 'with --url: dead-lettered at or after (ms since epoch or ISO 8601)')
    .option('--until <time>', 'with --url: dead-lettered before (ms since epoch or ISO 8601)')
    .action((flags: Flags & { limit: string; since?: string; until?: string }) => {
      if (flags.url !== undefined) return withApi('dlq list', () => listOnline(flags));
      if (flags.since !== undefined || flags.until !== undefined) {
        process.stderr.write('logdriver dlq list: --since and --until need --url (a running service)\n');
        process.exitCode = 2;
        return;
      }
      withDataDir(flags, (dir) => {
        for (const row of dir.listDeadLetters(flags.tenant, Number(flags.limit))) {
          process.stdout.write(`${JSON.stringify(row)}\n`);
        }
      });
    });
  both(dlq.command('replay'))
    .description(
      'move dead letters back into the buffer: a running service (--url) delivers them at once, a stopped one on its next start',
    )
    .option('-t, --tenant <id>', 'only this tenant')
    .action((flags: Flags) => {
      if (flags.url !== undefined)
        return withApi('dlq replay', async () => {
          const r = await new AdminClient(flags).call<{ replayed: number; unreadable: number }>(
            'POST',
            '/v1/dead-letters/replay',
            flags.tenant === undefined ? {} : { tenant: flags.tenant },
          );
          const left = r.unreadable > 0 ? `; ${r.unreadable} unreadable letters stay` : '';
          process.stdout.write(`replayed ${r.replayed} dead letters${left}\n`);
        });
      withDataDir(flags, (dir) =>
        process.stdout.write(`replayed ${dir.replay(flags.tenant)} dead letters\n`),
      );
    });
  both(dlq.command('purge'))
    .description("delete dead letters for good: one tenant's (--tenant T) or every tenant's (--all)")
    .addOption(new Option('-t, --tenant <id>', 'only this tenant').conflicts('all'))
    .addOption(new Option('--all', 'every dead letter of every tenant'))
    .action((flags: Flags & { all?: boolean }) => {
      // Purging is irreversible and these are security events: a bare `purge` names nothing, so it does nothing.
      if (flags.tenant === undefined && flags.all !== true) {
        process.stderr.write(
          'logdriver dlq purge: name what to delete: --tenant <id> for one tenant, or --all for every dead letter\n',
        );
        process.exitCode = 2;
        return;
      }
      if (flags.url !== undefined)
        return withApi('dlq purge', async () => {
          const r = await new AdminClient(flags).call<{ purged: number }>(
            'POST',
            '/v1/dead-letters/purge',
            flags.tenant === undefined ? { all: true } : { tenant: flags.tenant },
          );
          process.stdout.write(`purged ${r.purged} dead letters\n`);
        });
      withDataDir(flags, (dir) => process.stdout.write(`purged ${dir.purge(flags.tenant)} dead letters\n`));
    });
  return dlq;
}

/** Pages through /v1/dead-letters until --limit letters are printed or none are left. */
async function listOnline(flags: Flags & { limit: string; since?: string; until?: string }): Promise<void> {
  const client = new AdminClient(flags);
  let left = Number(flags.limit);
  if (!Number.isSafeInteger(left) || left < 1) {
    process.stderr.write('logdriver dlq list: --limit must be a positive integer\n');
    process.exitCode = 2;
    return;
  }
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: String(Math.min(left, PAGE)) });
    if (flags.tenant !== undefined) q.set('tenant', flags.tenant);
    if (flags.since !== undefined) q.set('since', flags.since);
    if (flags.until !== undefined) q.set('until', flags.until);
    if (cursor !== null) q.set('cursor', cursor);
    const page: { deadLetters: LetterView[]; nextCursor: string | null } = await client.call(
      'GET',
      `/v1/dead-letters?${q.toString()}`,
    );
    for (const row of page.deadLetters) process.stdout.write(`${JSON.stringify(row)}\n`);
    left -= page.deadLetters.length;
    cursor = page.nextCursor;
  } while (cursor !== null && left > 0);
}
