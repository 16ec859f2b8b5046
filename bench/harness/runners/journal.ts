// `journal` as a scenario runner: the in-process SQLite comparison, with a progress line per variant.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../context.js';
import { journalFindings, runJournal } from '../journal.js';
import { param } from '../../scenarios/index.js';
import type { RunnerOutput } from './common.js';

export function runJournalScenario(ctx: BenchContext, params: Record<string, number>): Promise<RunnerOutput> {
  const report = runJournal(
    {
      perEventCount: param(params, 'perEventCount'),
      groupCount: param(params, 'groupCount'),
      batch: param(params, 'batch'),
      tenants: param(params, 'tenants'),
    },
    {
      onVariant: (name, i, total) => {
        ctx.checkAborted();
        ctx.progress.note(`journal ${i + 1}/${total}: ${name}`);
      },
    },
  );
  const rows = report.variants.map((r) => ({
    ...r.variant,
    events: r.events,
    seconds: r.seconds,
    eventsPerSec: r.eventsPerSec,
    ratioVsPrototype: r.ratioVsPrototype,
    bytesAfterRun: r.bytesAfterRun,
    bytesAfterDelete: r.bytesAfterDelete,
  }));
  const header = Object.keys(rows[0] ?? {});
  const csv = [
    header.join(','),
    ...rows.map((r) => header.map((h) => String(r[h as keyof typeof r])).join(',')),
  ];
  writeFileSync(join(ctx.outDir, 'journal.csv'), `${csv.join('\n')}\n`);
  return Promise.resolve({ findings: journalFindings(report), runs: [], details: { variants: rows } });
}
