// `logdriver inspect`: what a data directory holds — totals, per-tenant backlog, dead letters, file pages.
import { Command } from 'commander';
import { addDataDirFlags, withDataDir, type DataDirFlags } from './data-dir.js';

export function inspectCommand(): Command {
  return addDataDirFlags(new Command('inspect'))
    .description('show what a data directory holds (run it while the service is stopped)')
    .option('--json', 'print JSON instead of a table')
    .action((flags: DataDirFlags & { json?: boolean }) =>
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
          `file             ${s.pages} pages of ${s.pageSize} bytes, ${s.freePages} free, auto_vacuum ${s.autoVacuum}`,
          '',
          'tenant                           events        bytes  oldest',
          ...s.tenants.map(
            (t) =>
              `${t.tenant.padEnd(30).slice(0, 30)} ${String(t.events).padStart(8)} ${String(t.bytes).padStart(12)}  ${new Date(t.oldestReceivedAt).toISOString()}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
