// Encode micro-benchmark of the sinks (issues 7 and 8): what turning one stored batch into request bodies costs each
// sink, in-process on one core. Run after `npm run build`:
//
//   node dist/bench/encode.js [--events 1000] [--repeats 15] [--min-ms 200] [--json FILE]
//
// The batch is what delivery hands a sink: a tenant's stored envelope lines (the generator's key-management
// proxy events, ~500 bytes). Each iteration takes a fresh lease-like batch over the same lines whose events()
// decodes them on first use, as the buffer's lease does, so sinks that encode per event (splunk_hec,
// gcp_logging, elasticsearch, datadog, otlp, syslog) pay that decode; http ndjson sends the lines as they are.
// syslog has no gzip (a byte stream over TCP/TLS): its variant is the octet-counted frames of the batch, as
// the sink writes them in one go. Variants run interleaved, one
// repeat each in turn, so a change in machine load hits all of them alike: read the ratios. Warm-up first,
// then per repeat as many iterations as fill --min-ms; events/s = events x iterations / time. The gzip column
// adds node:zlib gzipSync (default level, what the sinks' async gzip does on the thread pool) of every body.
//
// Unlike bench/harness (which drives the service as processes), this file calls the sinks' pure encoders
// directly: that is what it measures.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decodeLines, encodeLine } from '../src/buffer/index.js';
import { encodeRequests } from '../src/sinks/http/index.js';
import { UNBOUNDED_LIMITS } from '../src/sinks/descriptor.js';
import {
  HEC_FRAMING,
  encodeHecEvent,
  resolveSplunkHecSettings,
  splunkHecSinkSchema,
} from '../src/sinks/splunk_hec/index.js';
import {
  GCP_LIMITS,
  encodeLogEntry,
  entriesWriteFraming,
  gcpLoggingSinkSchema,
  resolveGcpLoggingSettings,
} from '../src/sinks/gcp_logging/index.js';
import {
  BULK_FRAMING,
  elasticsearchSinkSchema,
  encodeBulkItem,
  indexNameFor,
  resolveElasticsearchSettings,
} from '../src/sinks/elasticsearch/index.js';
import {
  DATADOG_FRAMING,
  datadogSinkSchema,
  encodeDatadogEntry,
  resolveDatadogSettings,
} from '../src/sinks/datadog/index.js';
import {
  encodeLogRecord,
  exportRequestFraming,
  otlpSinkSchema,
  resolveOtlpSettings,
} from '../src/sinks/otlp/index.js';
import {
  encodeSyslogMessage,
  frameMessage,
  resolveSyslogSettings,
  syslogSinkSchema,
} from '../src/sinks/syslog/index.js';
import { splitIntoRequests } from '../src/sinks/transport/split.js';
import type { SinkBatch, SinkEvent } from '../src/sinks/types.js';
import { createEventFactory } from '../src/tools/load/index.js';

interface Variant {
  name: string;
  note: string;
  /** The request bodies of one batch. */
  bodies: (batch: SinkBatch) => readonly Buffer[];
  /** Whether the sink offers gzip (all but syslog do; decode-only does not send anything). */
  gzip: boolean;
}

export interface VariantResult {
  name: string;
  note: string;
  bodies: number;
  bodyBytes: number;
  gzipBytes: number | null;
  /** events/s per repeat, encode only and encode + gzip. */
  plain: number[];
  gzipped: number[];
  median: number;
  min: number;
  max: number;
  gzipMedian: number | null;
  gzipMin: number | null;
  gzipMax: number | null;
}

/** The stored lines of `n` generated events of one tenant, as the buffer keeps them. */
function storedLines(n: number, seed: number): Buffer {
  const next = createEventFactory({ seed, tenants: 10, meanBytes: 500 });
  const bufferId = '5f3a9c2e7b1d4e60';
  const t0 = 1_764_000_000_000;
  const lines: Buffer[] = [];
  for (let i = 0; i < n; i++) lines.push(encodeLine(`${bufferId}-${i + 1}`, 'tenant-0001', t0 + i, next()));
  return Buffer.concat(lines);
}

/** A batch over stored lines that decodes them on first events(), as a buffer lease does. */
function leaseOf(lines: Buffer, count: number): SinkBatch {
  let events: SinkEvent[] | undefined;
  return {
    tenant: 'tenant-0001',
    count,
    ndjson: () => lines,
    events: () => (events ??= decodeLines(lines)),
  };
}

function variants(): Variant[] {
  const hec = resolveSplunkHecSettings(
    splunkHecSinkSchema.parse({ type: 'splunk_hec', url: 'http://127.0.0.1:8088', token: 't' }),
  );
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const keyJson = JSON.stringify({
    type: 'service_account',
    client_email: 'bench@bench-project.iam.gserviceaccount.com',
    private_key: privateKey,
    project_id: 'bench-project',
  });
  const gcp = resolveGcpLoggingSettings(
    gcpLoggingSinkSchema.parse({ type: 'gcp_logging', credentials: { keyJson } }),
  );
  const gcpFraming = entriesWriteFraming(gcp.encode);
  const es = resolveElasticsearchSettings(
    elasticsearchSinkSchema.parse({ type: 'elasticsearch', url: 'http://127.0.0.1:9200' }),
  );
  const dd = resolveDatadogSettings(datadogSinkSchema.parse({ type: 'datadog', apiKey: 'k' }));
  const otlp = resolveOtlpSettings(
    otlpSinkSchema.parse({ type: 'otlp', url: 'http://127.0.0.1:4318' }),
    () => 'bench-host',
  );
  const otlpFraming = exportRequestFraming(otlp.encode);
  const syslog = resolveSyslogSettings(
    syslogSinkSchema.parse({ type: 'syslog', host: '127.0.0.1', transport: 'tcp', hostname: 'bench-host' }),
  );
  return [
    {
      name: 'http ndjson',
      note: 'encodeRequests: the stored lines as they are',
      bodies: (b) => encodeRequests(b, 'ndjson', UNBOUNDED_LIMITS).bodies.map((x) => x.body),
      gzip: true,
    },
    {
      name: 'http json_array',
      note: 'encodeRequests: one pass over the lines (LF to comma)',
      bodies: (b) => encodeRequests(b, 'json_array', UNBOUNDED_LIMITS).bodies.map((x) => x.body),
      gzip: true,
    },
    {
      name: 'decode lines only',
      note: 'decodeLines of the batch: what the per-event sinks pay before encoding',
      bodies: (b) => {
        b.events();
        return [];
      },
      gzip: false,
    },
    {
      name: 'splunk_hec',
      note: 'decode + encodeHecEvent per event, splitIntoRequests (1 MB requests)',
      bodies: (b) =>
        splitIntoRequests(
          b.events(),
          (e) => encodeHecEvent(e, hec.encode),
          HEC_FRAMING,
          hec.limits,
        ).parts.map((p) => p.body),
      gzip: true,
    },
    {
      name: 'gcp_logging',
      note: 'decode + encodeLogEntry per event (JSON.parse of each payload), entries:write framing',
      bodies: (b) =>
        splitIntoRequests(b.events(), (e) => encodeLogEntry(e, gcp.encode), gcpFraming, GCP_LIMITS).parts.map(
          (p) => p.body,
        ),
      gzip: true,
    },
    {
      name: 'elasticsearch',
      note: 'decode + encodeBulkItem per event (action line + document, payload spliced), _bulk framing',
      bodies: (b) => {
        // As the sink does: the index name once per tenant of the batch.
        const index = indexNameFor(es.index, b.tenant);
        return splitIntoRequests(
          b.events(),
          (e) => encodeBulkItem(e, index),
          BULK_FRAMING,
          es.limits,
        ).parts.map((p) => p.body);
      },
      gzip: true,
    },
    {
      name: 'datadog',
      note: 'decode + encodeDatadogEntry per event (payload as a JSON string), JSON array framing',
      bodies: (b) =>
        splitIntoRequests(
          b.events(),
          (e) => encodeDatadogEntry(e, dd.encode),
          DATADOG_FRAMING,
          dd.limits,
        ).parts.map((p) => p.body),
      gzip: true,
    },
    {
      name: 'otlp',
      note: 'decode + encodeLogRecord per event (payload to an AnyValue tree), ExportLogsServiceRequest framing',
      bodies: (b) =>
        splitIntoRequests(
          b.events(),
          (e) => encodeLogRecord(e, otlp.encode),
          otlpFraming,
          otlp.limits,
        ).parts.map((p) => p.body),
      gzip: true,
    },
    {
      name: 'syslog',
      note: 'decode + encodeSyslogMessage + frameMessage per event (JSON.parse of each payload), one write',
      bodies: (b) => [
        Buffer.concat(b.events().map((e) => frameMessage(encodeSyslogMessage(e, syslog.encode)))),
      ],
      gzip: false,
    },
  ];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `op` over fresh batches until `minMs` passed; events/s. */
function measure(lines: Buffer, count: number, op: (b: SinkBatch) => void, minMs: number): number {
  let iterations = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    op(leaseOf(lines, count));
    iterations++;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  return (count * iterations * 1000) / elapsed;
}

export function runEncodeBench(o: { events: number; repeats: number; minMs: number; seed?: number }): {
  events: number;
  meanLineBytes: number;
  results: VariantResult[];
} {
  const lines = storedLines(o.events, o.seed ?? 42);
  const vs = variants();
  const withGzip = (v: Variant) => (b: SinkBatch) => {
    for (const body of v.bodies(b)) gzipSync(body);
  };
  const plainOp = (v: Variant) => (b: SinkBatch) => {
    v.bodies(b);
  };
  // Warm-up: JIT, inline caches, zlib state; about as long as two repeats.
  for (const v of vs) {
    measure(lines, o.events, plainOp(v), o.minMs);
    if (v.gzip) measure(lines, o.events, withGzip(v), o.minMs);
  }
  const plain = vs.map(() => [] as number[]);
  const gz = vs.map(() => [] as number[]);
  for (let r = 0; r < o.repeats; r++) {
    vs.forEach((v, i) => {
      plain[i]!.push(measure(lines, o.events, plainOp(v), o.minMs));
      if (v.gzip) gz[i]!.push(measure(lines, o.events, withGzip(v), o.minMs));
    });
  }
  const results = vs.map((v, i): VariantResult => {
    const bodies = v.bodies(leaseOf(lines, o.events));
    const p = plain[i]!;
    const g = gz[i]!;
    return {
      name: v.name,
      note: v.note,
      bodies: bodies.length,
      bodyBytes: bodies.reduce((a, b) => a + b.length, 0),
      gzipBytes: v.gzip ? bodies.reduce((a, b) => a + gzipSync(b).length, 0) : null,
      plain: p,
      gzipped: g,
      median: median(p),
      min: Math.min(...p),
      max: Math.max(...p),
      gzipMedian: v.gzip ? median(g) : null,
      gzipMin: v.gzip ? Math.min(...g) : null,
      gzipMax: v.gzip ? Math.max(...g) : null,
    };
  });
  return { events: o.events, meanLineBytes: lines.length / o.events, results };
}

function fmt(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

function spread(med: number | null, min: number | null, max: number | null): string {
  if (med === null || min === null || max === null) return '-';
  return `${fmt(min)}–${fmt(max)}`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000' },
      repeats: { type: 'string', default: '15' },
      'min-ms': { type: 'string', default: '200' },
      json: { type: 'string' },
    },
  });
  const events = Number(values.events);
  const repeats = Number(values.repeats);
  const minMs = Number(values['min-ms']);
  if (![events, repeats, minMs].every((n) => Number.isInteger(n) && n > 0)) {
    process.stderr.write('encode bench: --events, --repeats and --min-ms must be positive integers\n');
    process.exitCode = 2;
    return;
  }
  const load = loadavg().map((x) => x.toFixed(2));
  const report = runEncodeBench({ events, repeats, minMs });
  const byName = (n: string) => report.results.find((r) => r.name === n)!;
  const arr = byName('http json_array');
  const nd = byName('http ndjson');
  const us = (eps: number | null): string => (eps === null ? '-' : (1e6 / eps).toFixed(2));
  const lines = [
    `encode: ${events} events/batch (mean stored line ${report.meanLineBytes.toFixed(0)} B), ${repeats} repeats of >= ${minMs} ms, ` +
      `node ${process.version}, ${cpus().length} cpus, load average ${load.join(' ')}`,
    '',
    '| Sink | events/s median (min–max) | µs/event | × http json_array | + gzip: events/s median (min–max) | µs/event | × http ndjson+gzip | bodies: bytes → gzip |',
    '| ---- | ------------------------- | -------- | ----------------- | --------------------------------- | -------- | ------------------ | -------------------- |',
    ...report.results.map(
      (r) =>
        `| ${r.name} | ${fmt(r.median)} (${spread(r.median, r.min, r.max)}) | ${us(r.median)} | ${(arr.median / r.median).toFixed(1)} | ` +
        `${r.gzipMedian === null ? '-' : `${fmt(r.gzipMedian)} (${spread(r.gzipMedian, r.gzipMin, r.gzipMax)})`} | ${us(r.gzipMedian)} | ` +
        `${r.gzipMedian === null ? '-' : (nd.gzipMedian! / r.gzipMedian).toFixed(2)} | ` +
        `${r.bodies}: ${r.bodyBytes.toLocaleString('en-US')}${r.gzipBytes === null ? '' : ` → ${r.gzipBytes.toLocaleString('en-US')}`} |`,
    ),
    '',
    ...report.results.map((r) => `${r.name}: ${r.note}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      `${JSON.stringify({ loadavg: loadavg(), node: process.version, ...report }, null, 2)}\n`,
    );
  }
}

main();
