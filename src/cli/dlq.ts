// `logdriver dlq list|replay|purge`: the dead-letter table, while the service is stopped.
import { Command } from 'commander';
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
    .description('delete dead letters for good')
    .option('-t, --tenant <id>', 'only this tenant')
    .action((flags: Flags) =>
      withDataDir(flags, (dir) => process.stdout.write(`purged ${dir.purge(flags.tenant)} dead letters\n`)),
    );
  return dlq;
}
