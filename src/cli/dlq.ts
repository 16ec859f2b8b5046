// `logdriver dlq list|replay|purge`: the dead-letter table, while the service is stopped.
import { Command, Option } from 'commander';
import { addDataDirFlags, withDataDir, type DataDirFlags } from './data-dir.js';

type Flags = DataDirFlags & { tenant?: string };

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('list, replay or purge dead-lettered events (service stopped)');
  addDataDirFlags(dlq.command('list'))
    .description('print dead letters as NDJSON (tenant, status, reason, the original event)')
    .option('-t, --tenant <id>', 'only this tenant')
    .option('-n, --limit <n>', 'at most this many', '100')
    .action((flags: Flags & { limit: string }) =>
      withDataDir(flags, (dir) => {
        for (const row of dir.listDeadLetters(flags.tenant, Number(flags.limit))) {
          process.stdout.write(`${JSON.stringify(row)}\n`);
        }
      }),
    );
  addDataDirFlags(dlq.command('replay'))
    .description('move dead letters back into the buffer; the service delivers them on its next start')
    .option('-t, --tenant <id>', 'only this tenant')
    .action((flags: Flags) =>
      withDataDir(flags, (dir) =>
        process.stdout.write(`replayed ${dir.replay(flags.tenant)} dead letters\n`),
      ),
    );
  addDataDirFlags(dlq.command('purge'))
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
      withDataDir(flags, (dir) => process.stdout.write(`purged ${dir.purge(flags.tenant)} dead letters\n`));
    });
  return dlq;
}
