// `logdriver send`: push generated or NDJSON-file events to a logdriver over ZeroMQ or HTTP.
import { Command, Option } from 'commander';
import {
  addGeneratorFlags,
  DEFAULT_ZMQ_SEND_TIMEOUT_MS,
  GENERATOR_FLAGS,
  generateEvents,
  generatorOptionsFrom,
  intFlag,
  numberFlag,
  readNdjson,
  sendEvents,
  targetKind,
  type EventSource,
  type GeneratorFlagValues,
  type SendStats,
  type SendTarget,
} from '../tools/load/index.js';

export const DEFAULT_ZMQ_TARGET = 'tcp://127.0.0.1:5555';

interface SendFlags extends GeneratorFlagValues {
  zmq?: string;
  http?: string;
  file?: string;
  rate?: number;
  batch?: number;
  concurrency?: number;
  retries?: number;
  token?: string;
  bind?: boolean;
  hwm?: number;
  frameEvents?: number;
  linger?: number;
  sendTimeout?: number;
}

const HTTP_ONLY = ['batch', 'concurrency', 'retries'] as const;
const ZMQ_ONLY = ['bind', 'hwm', 'frameEvents', 'linger', 'sendTimeout'] as const;

class UsageError extends Error {}

/** Picks the target from --zmq / --http / LOGDRIVER_EVENT_PRODUCER_URL / the default, checking schemes and flags. */
function resolveTarget(f: SendFlags, tokenFromCli: boolean): SendTarget {
  const url = f.zmq ?? f.http ?? process.env.LOGDRIVER_EVENT_PRODUCER_URL ?? DEFAULT_ZMQ_TARGET;
  let kind: 'zmq' | 'http';
  try {
    kind = targetKind(url);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (f.zmq !== undefined && kind !== 'zmq')
    throw new UsageError(`--zmq expects tcp:// or ipc://, got "${url}"`);
  if (f.http !== undefined && kind !== 'http')
    throw new UsageError(`--http expects http:// or https://, got "${url}"`);
  const misplaced = (names: readonly (keyof SendFlags)[]): string | undefined =>
    names.find((n) => f[n] !== undefined);
  if (kind === 'zmq') {
    const bad = misplaced(HTTP_ONLY) ?? (tokenFromCli ? 'token' : undefined);
    if (bad) throw new UsageError(`--${kebab(bad)} applies only to an HTTP target`);
    return {
      kind,
      endpoint: url,
      bind: f.bind ?? false,
      ...(f.hwm !== undefined && { sendHighWaterMark: f.hwm }),
      ...(f.frameEvents !== undefined && { frameEvents: f.frameEvents }),
      ...(f.linger !== undefined && { lingerMs: f.linger }),
      ...(f.sendTimeout !== undefined && { sendTimeoutMs: f.sendTimeout }),
    };
  }
  const bad = misplaced(ZMQ_ONLY);
  if (bad) throw new UsageError(`--${kebab(bad)} applies only to a ZeroMQ target`);
  if (!URL.canParse(url)) throw new UsageError(`--http: not a valid URL: "${url}"`);
  return {
    kind,
    url,
    ...(f.token && { token: f.token }),
    ...(f.batch !== undefined && { batchSize: f.batch }),
    ...(f.concurrency !== undefined && { concurrency: f.concurrency }),
    ...(f.retries !== undefined && { maxRetries: f.retries }),
  };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** One line: what was sent where, how fast, and what "sent" means for this transport. */
export function summaryLine(stats: SendStats, target: SendTarget): string {
  const where = target.kind === 'zmq' ? `zmq ${target.endpoint}` : `http ${target.url}`;
  const meaning =
    target.kind === 'zmq'
      ? 'ZeroMQ PUSH has no ack: sent = queued, not confirmed durable'
      : `HTTP 2xx = durable, ${stats.retries} retries`;
  return (
    `sent ${stats.sent} events (${stats.failed} failed) to ${where} in ${stats.seconds.toFixed(2)} s: ` +
    `${Math.round(stats.ratePerSec)} events/s (${meaning})` +
    (stats.cpuSeconds === undefined ? '' : `; CPU ${stats.cpuSeconds.toFixed(2)} s`)
  );
}

async function runSend(f: SendFlags, cmd: Command): Promise<void> {
  let target: SendTarget;
  let source: EventSource;
  try {
    target = resolveTarget(f, cmd.getOptionValueSource('token') === 'cli');
    // Generated events get current timestamps unless --start says otherwise.
    source =
      f.file !== undefined
        ? readNdjson(f.file)
        : generateEvents(generatorOptionsFrom(f, { count: 1000, startMillis: Date.now() }));
  } catch (err) {
    process.stderr.write(`logdriver send: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const stats = await sendEvents(source, target, {
      ...(f.rate !== undefined && { ratePerSec: f.rate }),
      signal: abort.signal,
    });
    process.stdout.write(`${summaryLine(stats, target)}${abort.signal.aborted ? ' [interrupted]' : ''}\n`);
    if (stats.error !== undefined) process.stderr.write(`logdriver send: ${stats.error}\n`);
    if (abort.signal.aborted) process.exitCode = 130;
    else if (stats.failed > 0) process.exitCode = 1;
  } catch (err) {
    process.stderr.write(`logdriver send: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The `send` subcommand; the lead registers it in main.ts. */
export function sendCommand(): Command {
  const cmd = new Command('send').description(
    `send generated events (default 1000) or an NDJSON file to logdriver over ZeroMQ or HTTP ` +
      `(default target: $LOGDRIVER_EVENT_PRODUCER_URL or ${DEFAULT_ZMQ_TARGET})`,
  );
  cmd
    .addOption(new Option('--zmq <url>', 'ZeroMQ PUSH to tcp://host:port or ipc://path').conflicts('http'))
    .addOption(new Option('--http <url>', 'HTTP POST NDJSON batches to URL (bare origin: /v1/events)'))
    .addOption(new Option('--file <path>', 'send the lines of this NDJSON file').conflicts(GENERATOR_FLAGS));
  addGeneratorFlags(cmd, 'number of generated events (default: 1000)');
  return cmd
    .addOption(
      new Option('--rate <n>', 'events per second (default: as fast as possible)').argParser(
        numberFlag(1e-3),
      ),
    )
    .addOption(
      new Option('--batch <n>', 'HTTP: events per request (default: 500)').argParser(intFlag(1, 1e6)),
    )
    .addOption(
      new Option('--concurrency <n>', 'HTTP: requests in flight (default: 4)').argParser(intFlag(1, 1024)),
    )
    .addOption(
      new Option('--retries <n>', 'HTTP: retries per batch (default: 10)').argParser(intFlag(0, 1000)),
    )
    .addOption(new Option('--token <token>', 'HTTP: bearer token').env('LOGDRIVER_INGEST_HTTP_TOKEN'))
    .addOption(new Option('--bind', 'ZeroMQ: bind the PUSH socket instead of connecting'))
    .addOption(new Option('--hwm <n>', 'ZeroMQ: send high-water mark (default: 1000)').argParser(intFlag(0)))
    .addOption(
      new Option(
        '--frame-events <n>',
        'ZeroMQ: events per message, as one NDJSON frame (default: 1)',
      ).argParser(intFlag(1)),
    )
    .addOption(
      new Option(
        '--linger <ms>',
        'ZeroMQ: time to flush queued messages at close (default: 10000)',
      ).argParser(intFlag(0)),
    )
    .addOption(
      new Option(
        '--send-timeout <ms>',
        `ZeroMQ: fail when no receiver took a message for this long, e.g. logdriver is down ` +
          `(default: ${DEFAULT_ZMQ_SEND_TIMEOUT_MS}; 0: wait forever; a connected receiver pushing back is waited for)`,
      ).argParser(intFlag(0)),
    )
    .action(async (flags: SendFlags, command: Command) => runSend(flags, command));
}
