// `logdriver gen`: write NDJSON of seeded synthetic security events to a file or stdout.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import {
  addGeneratorFlags,
  generateEvents,
  generatorOptionsFrom,
  writeNdjson,
  type GeneratorFlagValues,
} from '../tools/load/index.js';

interface GenFlags extends GeneratorFlagValues {
  out?: string;
}

function isBrokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

async function runGen(flags: GenFlags): Promise<void> {
  let events: Iterable<Buffer>;
  try {
    events = generateEvents(generatorOptionsFrom(flags));
  } catch (err) {
    process.stderr.write(`logdriver gen: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const toFile = flags.out !== undefined;
  const out: Writable = toFile ? createWriteStream(flags.out as string) : process.stdout;
  // Without a listener, an async stream error (missing directory, EPIPE) would crash the process.
  // It stays attached: an EPIPE can arrive after the last write returned.
  let streamError: unknown;
  const onError = (err: unknown): void => {
    streamError ??= err;
  };
  out.on('error', onError);
  const startedAt = performance.now();
  try {
    const count = await writeNdjson(events, out);
    if (toFile) {
      out.end();
      await finished(out);
      const seconds = (performance.now() - startedAt) / 1000;
      process.stderr.write(`wrote ${count} events to ${flags.out} in ${seconds.toFixed(2)} s\n`);
    }
  } catch (err) {
    const cause = streamError ?? err;
    if (!toFile && isBrokenPipe(cause)) return; // `logdriver gen | head` closed the pipe: not an error
    process.stderr.write(`logdriver gen: ${(cause as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** The `gen` subcommand; the lead registers it in main.ts. */
export function genCommand(): Command {
  const cmd = new Command('gen').description(
    'write NDJSON of realistic synthetic security events (same seed and flags = identical bytes)',
  );
  addGeneratorFlags(cmd, 'number of events (default: 1000)');
  return cmd
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExample:\n  logdriver gen --count 100000 --tenants 50 --skew 1.1 --size 500 --seed 42 --out events.ndjson',
    )
    .action(async (flags: GenFlags) => runGen(flags));
}
