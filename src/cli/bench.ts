// `logdriver bench SCENARIO`: the experiment harness. Spawns service, mock sink and producer as separate
// processes, shows progress on stderr, prints a summary table on stdout and writes CSV, SVG and JSON results.
// Only the scenario table (plain data, for --help and argument checks) is imported here; the harness and its
// charting libraries are loaded when a benchmark runs, so the service and the other commands never load them.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  SCENARIO_NAMES,
  SCENARIOS,
  SUITE_NAMES,
  isScenarioName,
  type ScenarioName,
} from '../../bench/scenarios/index.js';

interface BenchFlags {
  quick?: boolean;
  out?: string;
  count?: number;
  frameEvents?: number;
  progress: boolean;
  keepData?: boolean;
}

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}

/** `quick` = every suite scenario quick; `all` = every suite scenario full size; otherwise one scenario. */
export function resolveScenarios(arg: string, quickFlag: boolean): { names: ScenarioName[]; quick: boolean } {
  if (arg === 'quick') return { names: [...SUITE_NAMES], quick: true };
  if (arg === 'all') return { names: [...SUITE_NAMES], quick: quickFlag };
  if (isScenarioName(arg)) return { names: [arg], quick: quickFlag };
  throw new InvalidArgumentError(
    `unknown scenario "${arg}" (one of ${[...SCENARIO_NAMES, 'quick', 'all'].join(', ')})`,
  );
}

async function runBenchCommand(scenario: string, flags: BenchFlags): Promise<void> {
  const { names, quick } = resolveScenarios(scenario, flags.quick ?? false);
  const { ChildSet, formatTable, Progress, runBench } = await import('../../bench/harness/index.js');
  const children = new ChildSet();
  const abort = new AbortController();
  // A second Ctrl-C while stopping children ends the harness at once (children still get SIGKILL on exit).
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('bench: interrupted, stopping child processes…\n');
    abort.abort();
  };
  const onExit = (): void => children.killAllSync();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    const outcome = await runBench(names, {
      quick,
      label: scenario,
      children,
      signal: abort.signal,
      progress: new Progress({ enabled: flags.progress }),
      keepData: flags.keepData ?? false,
      ...(flags.out !== undefined ? { outDir: flags.out } : {}),
      overrides: {
        ...(flags.count !== undefined ? { count: flags.count } : {}),
        ...(flags.frameEvents !== undefined ? { frameEvents: flags.frameEvents } : {}),
      },
    });
    process.stdout.write(`\n${formatTable(outcome.results)}`);
    process.stdout.write(`results: ${outcome.dir}\n`);
    if (outcome.aborted) process.exitCode = 130;
    else if (outcome.results.some((r) => r.error !== undefined)) process.exitCode = 1;
  } finally {
    await children.stopAll(2000);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

export function benchCommand(): Command {
  const list = SCENARIOS.map(
    (s) => `  ${s.name.padEnd(8)} ${s.title}${s.suite === false ? ' (by name only)' : ''}`,
  ).join('\n');
  return new Command('bench')
    .description('run a benchmark scenario (service, mock sink and producer as separate processes)')
    .argument('<scenario>', `one of: ${[...SCENARIO_NAMES, 'quick', 'all'].join(', ')}`)
    .addOption(new Option('--quick', 'small sizes that finish fast'))
    .addOption(
      new Option('--out <dir>', 'results directory (default: bench-results/<scenario>-<timestamp>/)'),
    )
    .addOption(
      new Option('--count <n>', 'override the event count of scenarios that have one').argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--frame-events <n>',
        'e2e: events per ZeroMQ message, as one NDJSON frame (default 1)',
      ).argParser(positiveInt),
    )
    .addOption(new Option('--no-progress', 'no progress output on stderr'))
    .addOption(new Option('--keep-data', 'keep the temporary data directories'))
    .addHelpText(
      'after',
      `\nScenarios:\n${list}\n  quick    every suite scenario with --quick sizes\n  all      every suite scenario`,
    )
    .action(async (scenario: string, flags: BenchFlags) => {
      try {
        resolveScenarios(scenario, false);
      } catch (err) {
        process.stderr.write(`logdriver bench: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      await runBenchCommand(scenario, flags);
    });
}
