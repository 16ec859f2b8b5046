// `sinks`: the same e2e load through each sink type into a loopback fake of its protocol (the mock sink with
// --protocol), side by side in one run: http ndjson (the baseline), splunk_hec, splunk_hec with useAck,
// gcp_logging (with a service account key generated here: RSA via node:crypto, passed as credentials.keyJson;
// the mock's token endpoint does not verify the JWT signature), and (issue 8) elasticsearch, datadog (API key
// checked; gzip on, its default), otlp and syslog (plain TCP to the mock's syslog receiver, `confirm: close`).
//
// Per sink two service runs against one mock sink: full speed (`count` events: throughput, peak RSS, service
// CPU per event) and paced (`rate` x `seconds`, the producer's event timestamps following the clock: latency).
// Latency origin: logdriver's receipt where the body carries it (http receivedAt, elasticsearch
// logdriver.received_at, otlp observedTimeUnixNano); the others' mocks measure from the event's own timestamp
// (HEC `time`, LogEntry `timestamp`, Datadog message timestampMillis, syslog TIMESTAMP) — at full speed those
// timestamps are simulated, so full-speed latency is reported only for the receipt-time sinks.
import { generateKeyPairSync } from 'node:crypto';
import { artifactsOnly, type BenchContext } from '../context.js';
import { fetchCounters } from '../metrics.js';
import { startProducer } from '../producer.js';
import type { RunArtifacts } from '../report.js';
import { windowStats } from '../summary.js';
import type { Finding } from '../targets.js';
import { param, type ScenarioSpec } from '../../scenarios/index.js';
import { rateBetween, watchService, zmqTarget, type RunnerOutput } from './common.js';

const HEC_TOKEN = 'bench-hec-token';
const PROJECT = 'bench-project';
const DD_API_KEY = 'bench-dd-api-key';

interface SinkVariant {
  name: string;
  protocol: 'http' | 'splunk_hec' | 'gcp_logging' | 'elasticsearch' | 'datadog' | 'otlp' | 'syslog';
  /** The service's defaultSink for a mock sink at `url` (syslog: its receiver's TCP port). */
  sink: (url: string, syslogPort: number | null) => Record<string, unknown>;
  /** Whether the mock can measure latency from logdriver's receipt time (only the http envelope carries it). */
  receiptLatency: boolean;
}

/** A throwaway service account key for the bench (never leaves loopback). */
export function benchServiceAccountKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return JSON.stringify({
    type: 'service_account',
    project_id: PROJECT,
    private_key_id: 'bench',
    private_key: privateKey,
    client_email: `bench@${PROJECT}.iam.gserviceaccount.com`,
  });
}

export function sinkVariants(keyJson: string): SinkVariant[] {
  return [
    { name: 'http', protocol: 'http', sink: (url) => ({ type: 'http', url }), receiptLatency: true },
    {
      name: 'splunk_hec',
      protocol: 'splunk_hec',
      sink: (url) => ({ type: 'splunk_hec', url, token: HEC_TOKEN }),
      receiptLatency: false,
    },
    {
      name: 'splunk_hec_ack',
      protocol: 'splunk_hec',
      sink: (url) => ({ type: 'splunk_hec', url, token: HEC_TOKEN, useAck: true }),
      receiptLatency: false,
    },
    {
      name: 'gcp_logging',
      protocol: 'gcp_logging',
      sink: (url) => ({
        type: 'gcp_logging',
        projectId: PROJECT,
        credentials: { keyJson },
        endpoint: url,
        tokenUri: `${url}/token`,
      }),
      receiptLatency: false,
    },
    {
      name: 'elasticsearch',
      protocol: 'elasticsearch',
      sink: (url) => ({ type: 'elasticsearch', url }),
      receiptLatency: true,
    },
    {
      name: 'datadog',
      protocol: 'datadog',
      sink: (url) => ({ type: 'datadog', apiKey: DD_API_KEY, url }),
      receiptLatency: false,
    },
    { name: 'otlp', protocol: 'otlp', sink: (url) => ({ type: 'otlp', url }), receiptLatency: true },
    {
      name: 'syslog',
      protocol: 'syslog',
      sink: (url, syslogPort) => {
        if (syslogPort === null) throw new Error('the syslog mock sink reported no syslogPort');
        return { type: 'syslog', host: new URL(url).hostname, port: syslogPort, transport: 'tcp' };
      },
      receiptLatency: false,
    },
  ];
}

export async function runSinks(
  ctx: BenchContext,
  params: Record<string, number>,
  spec: ScenarioSpec,
): Promise<RunnerOutput> {
  const tenants = param(params, 'tenants');
  const rate = param(params, 'rate');
  const phases = [
    { name: 'full-speed', count: param(params, 'count'), rate: undefined },
    { name: 'paced', count: Math.round(rate * param(params, 'seconds')), rate },
  ];
  const variants = sinkVariants(benchServiceAccountKey());
  const findings: Finding[] = [];
  const runs: RunArtifacts[] = [];
  const details: Record<string, unknown> = {};
  const table: Record<string, Record<string, number>> = {};
  for (const v of variants) {
    const sink = await ctx.startSink(`sinks-${v.name}.sink`, [
      '--protocol',
      v.protocol,
      ...(v.protocol === 'splunk_hec'
        ? ['--token', HEC_TOKEN, '--ack-delay', String(param(params, 'ackDelayMs'))]
        : v.protocol === 'datadog'
          ? ['--token', DD_API_KEY]
          : []),
    ]);
    const syslogPort = v.protocol === 'syslog' ? (await sink.report()).syslogPort : null;
    const row: Record<string, number> = {};
    table[v.name] = row;
    try {
      for (const phase of phases) {
        await sink.reset();
        const run = ctx.newRun(`sinks-${v.name}-${phase.name}`);
        const svc = await ctx.startService(run, sink.url, spec.service ?? {}, v.sink(sink.url, syslogPort));
        const cpu0 = (await fetchCounters(svc.adminUrl)).cpuSeconds;
        const producer = startProducer(ctx.children, {
          name: `${run.name}.send`,
          dir: ctx.outDir,
          target: zmqTarget(svc),
          count: phase.count,
          tenants,
          ...(phase.rate !== undefined ? { rate: phase.rate, eventsPerSec: phase.rate } : {}),
        });
        const samples = await watchService(ctx, svc, {
          label: `sinks ${v.name} ${phase.name}: delivered`,
          total: phase.count,
          value: (c) => c.delivered,
          until: (c) => c.delivered >= phase.count && c.stored === 0,
          producer,
        });
        const cpu1 = (await fetchCounters(svc.adminUrl)).cpuSeconds;
        const sent = await producer.done;
        const report = await sink.report();
        await svc.stop();
        const art = await ctx.finishRun(run, `sinks ${v.name} ${phase.name}: ${phase.count} events`);
        runs.push(artifactsOnly(art));
        const overall = rateBetween(samples, (c) => c.delivered);
        const windows = windowStats(art.data, 'delivered_per_s', ['received_per_s', 'delivered_per_s']);
        const cpuUsPerEvent = ((cpu1 - cpu0) * 1e6) / phase.count;
        const lat = report.latencyMs;
        const latencyKnown = phase.rate !== undefined || v.receiptLatency;
        details[`${v.name}/${phase.name}`] = {
          producer: sent,
          overall,
          windows,
          cpuSeconds: cpu1 - cpu0,
          cpuUsPerEvent,
          latencyOrigin: v.receiptLatency ? 'receivedAt' : 'event timestamp',
          sink: { ...report, perTenant: undefined },
        };
        const label = `${v.name} ${phase.name}`;
        const check = `unique ${report.unique}/${sent.sent}, dup ${report.duplicates}, order ${report.orderViolations}`;
        if (phase.rate === undefined) {
          row.overall = overall;
          row.median = windows.median;
          row.cpuUs = cpuUsPerEvent;
          row.rss = art.peakRssBytes;
          findings.push(
            {
              measure: `${label} overall`,
              value: overall,
              unit: 'events/s',
              note: `first receipt to empty buffer; ${check}`,
            },
            {
              measure: `${label} steady state`,
              value: windows.median,
              unit: 'events/s',
              note: `median 1-s delivered window of ${windows.windows}`,
            },
            {
              measure: `${label} service CPU µs per event`,
              value: cpuUsPerEvent,
              unit: 'µs',
              note: `${(cpu1 - cpu0).toFixed(1)} CPU-s over ${phase.count} events (all threads)`,
            },
            { measure: `${label} peak RSS`, value: art.peakRssBytes, unit: 'bytes' },
          );
        } else {
          row.p50 = lat.p50;
          row.p99 = lat.p99;
          row.pacedRss = art.peakRssBytes;
          row.pacedCpuUs = cpuUsPerEvent;
        }
        if (latencyKnown) {
          findings.push(
            {
              measure: `${label} latency p50`,
              value: lat.p50,
              unit: 'ms',
              note: `from ${v.receiptLatency ? 'receipt' : 'event timestamp'}; ${check}`,
            },
            { measure: `${label} latency p99`, value: lat.p99, unit: 'ms', note: `max ${lat.max} ms` },
          );
        }
      }
    } finally {
      await sink.stop();
    }
  }
  // Ratios against plain http, measured in this run.
  const base = table.http;
  if (base) {
    for (const v of variants.slice(1)) {
      const r = table[v.name];
      if (!r) continue;
      findings.push(
        {
          measure: `${v.name} / http overall throughput`,
          value: (r.overall ?? NaN) / (base.overall ?? NaN),
          unit: 'ratio',
        },
        {
          measure: `${v.name} / http service CPU per event`,
          value: (r.cpuUs ?? NaN) / (base.cpuUs ?? NaN),
          unit: 'ratio',
        },
      );
    }
  }
  details.table = table;
  return { findings, runs, details };
}
