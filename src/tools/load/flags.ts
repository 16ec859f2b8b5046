// Command-line flag parsers shared by `logdriver gen` and `logdriver send`: clear errors for bad numbers.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_GENERATE, MAX_MEAN_BYTES, type GenerateOptions } from './generate.js';

/** Parser for an integer flag within [min, max]; commander prints the message and exits with code 1. */
export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Parser for a decimal flag within [min, max]. */
export function numberFlag(min: number, max = Number.MAX_VALUE): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** `--start`: epoch milliseconds, or "now" (resolved when parsed). */
export function startFlag(value: string): number {
  if (value.trim().toLowerCase() === 'now') return Date.now();
  return intFlag(0)(value);
}

export interface GeneratorFlagValues {
  count?: number;
  tenants?: number;
  skew?: number;
  size?: number;
  spread?: number;
  seed?: number;
  start?: number;
  eventsPerSec?: number;
}

/** Generator flag names, so `send` can make `--file` conflict with them. */
export const GENERATOR_FLAGS = [
  'count',
  'tenants',
  'skew',
  'size',
  'spread',
  'seed',
  'start',
  'eventsPerSec',
];

/** Adds the generator's flags (no defaults here: GenerateOptions has them, and conflicts ignore defaults). */
export function addGeneratorFlags(cmd: Command, countHelp: string): Command {
  const d = DEFAULT_GENERATE;
  return cmd
    .addOption(new Option('--count <n>', countHelp).argParser(intFlag(0)))
    .addOption(
      new Option('--tenants <n>', `number of tenants (default: ${d.tenants})`).argParser(intFlag(1, 1e6)),
    )
    .addOption(
      new Option('--skew <s>', `Zipf exponent over tenants, 0 = uniform (default: ${d.skew})`).argParser(
        numberFlag(0, 10),
      ),
    )
    .addOption(
      new Option('--size <bytes>', `mean event size (default: ${d.meanBytes})`).argParser(
        intFlag(1, MAX_MEAN_BYTES),
      ),
    )
    .addOption(
      new Option('--spread <f>', `size spread around the mean, 0..1 (default: ${d.sizeSpread})`).argParser(
        numberFlag(0, 1),
      ),
    )
    .addOption(new Option('--seed <n>', `PRNG seed (default: ${d.seed})`).argParser(intFlag(0, 2 ** 32 - 1)))
    .addOption(
      new Option(
        '--start <ms|now>',
        'timestampMillis of the first event (default: gen 1764000000000, send now)',
      ).argParser(startFlag),
    )
    .addOption(
      new Option(
        '--events-per-sec <n>',
        `simulated arrival rate for timestamps (default: ${d.eventsPerSec})`,
      ).argParser(numberFlag(1e-6)),
    );
}

/** Maps parsed flag values onto generator options, leaving unset ones to the generator's defaults. */
export function generatorOptionsFrom(
  v: GeneratorFlagValues,
  defaults: GenerateOptions = {},
): GenerateOptions {
  return {
    ...defaults,
    ...(v.count !== undefined && { count: v.count }),
    ...(v.tenants !== undefined && { tenants: v.tenants }),
    ...(v.skew !== undefined && { skew: v.skew }),
    ...(v.size !== undefined && { meanBytes: v.size }),
    ...(v.spread !== undefined && { sizeSpread: v.spread }),
    ...(v.seed !== undefined && { seed: v.seed }),
    ...(v.start !== undefined && { startMillis: v.start }),
    ...(v.eventsPerSec !== undefined && { eventsPerSec: v.eventsPerSec }),
  };
}
