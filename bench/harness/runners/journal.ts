// `journal` as a scenario runner: the in-process SQLite comparison, with a progress line per variant.
// journal.csv holds both kinds of row (`kind` insert or cycle); a column a kind lacks is left empty.
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
    kind: 'insert',
    ...r.variant,
    events: r.events,
    seconds: r.seconds,
    eventsPerSec: r.eventsPerSec,
    ratioVsPrototype: r.ratioVsPrototype,
    bytesAfterRun: r.bytesAfterRun,
    bytesAfterDelete: r.bytesAfterDelete,
  }));
  const cycles = report.cycles.map(({ variant, ...r }) => ({ kind: 'cycle', ...variant, ...r }));
  const all: Record<string, string | number>[] = [...rows, ...cycles];
  const header = [...new Set(all.flatMap((r) => Object.keys(r)))];
  const csv = [header.join(','), ...all.map((r) => header.map((h) => String(r[h] ?? '')).join(','))];
  writeFileSync(join(ctx.outDir, 'journal.csv'), `${csv.join('\n')}\n`);
  return Promise.resolve({
    findings: journalFindings(report),
    runs: [],
    details: { variants: rows, cycles },
  });
}
