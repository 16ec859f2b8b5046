// `logdriver mock-sink`: runs the loopback mock HTTP sink as its own process for benchmarks and manual tests.
// `--protocol splunk_hec|gcp_logging|elasticsearch|datadog|otlp` makes it answer as Splunk HEC, Cloud Logging,
// Elasticsearch _bulk, the Datadog logs intake or an OTLP/HTTP JSON logs receiver (src/tools/mock-sink/
// protocols.ts; the gcp_logging token endpoint does not verify JWT signatures); `--protocol syslog` receives
// RFC 5424 octet-counted syslog on a second, TCP port (src/tools/mock-sink/syslog.ts).
//
// Prints `listening on http://HOST:PORT` on stdout once ready (the bench harness parses that line; with
// syslog the next line is `syslog on tcp://HOST:PORT`, and /_report carries syslogPort), a
// one-line summary on stderr every --summary-ms, and on SIGTERM/SIGINT the final JSON report (one line)
// on stdout and in --report-file, then lets the process end with exit code 0.
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  SINK_PROTOCOLS,
  startMockSink,
  type Latency,
  type MockSink,
  type MockSinkOptions,
  type MockSinkReport,
  type Outage,
  type SinkMode,
  type SinkProtocol,
} from '../tools/mock-sink/index.js';

interface CliOptions {
  host: string;
  port: number;
  latency: Latency;
  failRate: number;
  failStatus: 500 | 503;
  timeoutRate: number;
  hangMs: number;
  outage: Outage[];
  mode: SinkMode;
  protocol: SinkProtocol;
  syslogPort: number;
  ackDelay: number;
  retryAfter: number;
  token?: string;
  seed: number;
  reportFile?: string;
  summaryMs: number;
}

function nonNegativeInt(what: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
    return Number(v);
  };
}

function probability(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function latency(v: string): Latency {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v);
  if (!m) throw new InvalidArgumentError('use milliseconds (5) or a uniform range (2-10)');
  const min = Number(m[1]);
  if (m[2] === undefined) return min;
  const max = Number(m[2]);
  if (max < min) throw new InvalidArgumentError('range minimum exceeds its maximum');
  return { min, max };
}

function outage(v: string, previous: Outage[]): Outage[] {
  const m = /^(\d+)-(\d+)(?::(\d+))?$/.exec(v);
  if (!m || Number(m[1]) >= Number(m[2])) {
    throw new InvalidArgumentError(
      'use START-END in ms since start (START < END), optionally :RETRY_AFTER_SEC',
    );
  }
  const o: Outage = { startMs: Number(m[1]), endMs: Number(m[2]) };
  if (m[3] !== undefined) o.retryAfterSec = Number(m[3]);
  return [...previous, o];
}

function failStatus(v: string): 500 | 503 {
  if (v !== '500' && v !== '503') throw new InvalidArgumentError('must be 500 or 503');
  return Number(v) as 500 | 503;
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** One stderr line: totals, the event rate since the previous line, failures and latency. */
function summaryLine(r: MockSinkReport, prevEvents: number, intervalMs: number): string {
  const rate = ((r.events - prevEvents) * 1000) / intervalMs;
  const non2xx = Object.entries(r.statusCounts)
    .filter(([k]) => !k.startsWith('2'))
    .map(([k, n]) => `${k}:${n}`)
    .join(',');
  return (
    `mock-sink: requests ${compact(r.requests)} events ${compact(r.events)} (+${compact(rate)}/s) ` +
    `unique ${compact(r.unique)} dup ${r.duplicates} order ${r.orderViolations} bad ${r.badRequests} ` +
    `non2xx ${non2xx || '0'} latency p50 ${r.latencyMs.p50}ms p99 ${r.latencyMs.p99}ms max ${r.latencyMs.max}ms\n`
  );
}

interface Run {
  sink: MockSink;
  stop(): Promise<void>;
}

const running = new Set<Run>();

/** Stops every mock sink this process started through the command, exactly as SIGTERM does (used by tests). */
export async function stopMockSinkCli(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
}

async function run(o: CliOptions): Promise<void> {
  const options: Partial<MockSinkOptions> = {
    host: o.host,
    port: o.port,
    latencyMs: o.latency,
    failRate: o.failRate,
    failStatus: o.failStatus,
    timeoutRate: o.timeoutRate,
    hangMs: o.hangMs,
    outages: o.outage,
    mode: o.mode,
    protocol: o.protocol,
    syslogPort: o.syslogPort,
    ackDelayMs: o.ackDelay,
    retryAfterSec: o.retryAfter,
    seed: o.seed,
    ...(o.token === undefined ? {} : { token: o.token }),
  };
  let sink: MockSink;
  try {
    sink = await startMockSink(options);
  } catch (err) {
    process.stderr.write(`mock-sink: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }

  let prevEvents = 0;
  const summary =
    o.summaryMs > 0
      ? setInterval(() => {
          const r = sink.report();
          process.stderr.write(summaryLine(r, prevEvents, o.summaryMs));
          prevEvents = r.events;
        }, o.summaryMs)
      : undefined;
  summary?.unref();

  let stopping: Promise<void> | undefined;
  const onSignal = (): void => void handle.stop();
  const handle: Run = {
    sink,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(summary);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        running.delete(handle);
        await sink.close();
        const report = JSON.stringify(sink.report());
        process.exitCode = 0;
        if (o.reportFile !== undefined) {
          try {
            await writeFile(o.reportFile, `${report}\n`);
          } catch (err) {
            process.stderr.write(`mock-sink: cannot write ${o.reportFile}: ${(err as Error).message}\n`);
            process.exitCode = 1;
          }
        }
        process.stdout.write(`${report}\n`);
      })()),
  };
  running.add(handle);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.stdout.write(`listening on ${sink.url}\n`);
  if (sink.syslogPort !== undefined) {
    const host = new URL(sink.url).hostname;
    process.stdout.write(`syslog on tcp://${host}:${sink.syslogPort}\n`);
  }
}

export function mockSinkCommand(): Command {
  return new Command('mock-sink')
    .description(
      'run a loopback sink (HTTP, or syslog over TCP) with latency, failure rate, timeouts and outages (for benchmarks)',
    )
    .option('--host <host>', 'loopback address to bind (127.0.0.0/8, ::1, localhost)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', nonNegativeInt('port'), 8080)
    .option('--latency <ms>', 'answer delay: fixed ms (5) or a uniform range (2-10)', latency, 0 as Latency)
    .option('--fail-rate <p>', 'probability of a 5xx without recording the batch', probability, 0)
    .option('--fail-status <code>', 'status of injected failures: 500 or 503', failStatus, 503)
    .option(
      '--timeout-rate <p>',
      'probability of never answering (socket held for --hang-ms)',
      probability,
      0,
    )
    .option(
      '--hang-ms <ms>',
      'how long a never-answered request holds its socket',
      nonNegativeInt('hang-ms'),
      60_000,
    )
    .option(
      '--outage <start-end[:retryAfter]>',
      'answer 503 during this window, ms since start (repeatable)',
      outage,
      [] as Outage[],
    )
    .addOption(
      new Option('--mode <mode>', 'ok, down (503), reject (400) or throttle (429)')
        .choices(['ok', 'down', 'reject', 'throttle'])
        .default('ok'),
    )
    .addOption(
      new Option(
        '--protocol <protocol>',
        'answer as logdriver envelopes (http), Splunk HEC (splunk_hec), Cloud Logging (gcp_logging), ' +
          'Elasticsearch _bulk (elasticsearch), the Datadog logs intake (datadog), OTLP/HTTP JSON logs (otlp), ' +
          'or receive RFC 5424 syslog over TCP, octet-counted, on --syslog-port (syslog)',
      )
        .choices([...SINK_PROTOCOLS])
        .default('http'),
    )
    .option(
      '--syslog-port <port>',
      'syslog: TCP port of the syslog receiver (0 = any free port; the control API stays on --port)',
      nonNegativeInt('syslog-port'),
      0,
    )
    .option(
      '--ack-delay <ms>',
      'splunk_hec: an ackId turns true this long after its request was answered',
      nonNegativeInt('ack-delay'),
      0,
    )
    .option(
      '--retry-after <sec>',
      'Retry-After seconds sent with 429 (throttle)',
      nonNegativeInt('retry-after'),
      1,
    )
    .addOption(
      new Option(
        '--token <token>',
        'require Authorization: Bearer <token> (splunk_hec: Splunk <token>; elasticsearch: ApiKey <token>; ' +
          'datadog: DD-API-KEY; gcp_logging: tokens from /token; syslog: none)',
      ).env('LOGDRIVER_MOCK_SINK_TOKEN'),
    )
    .option('--seed <n>', 'seed of the random decisions', nonNegativeInt('seed'), 1)
    .option('--report-file <file>', 'also write the final JSON report here on SIGTERM/SIGINT')
    .option(
      '--summary-ms <ms>',
      'interval of the stderr summary line (0 = off)',
      nonNegativeInt('summary-ms'),
      2000,
    )
    .action(async (opts: CliOptions) => {
      await run(opts);
    });
}
