// The mock sink's issue-8 protocols with real sink instances delivering into it over loopback: elasticsearch
// (_bulk, ApiKey, 409 for an id already stored), datadog (DD-API-KEY, gzip), otlp (bearer, JSON) and syslog
// (octet-counted TCP, `confirm: close`), each counted by event id and tenant in the ledger.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../../src/config/schema.js';
import { DatadogSink, type DatadogSinkConfig } from '../../../../src/sinks/datadog/index.js';
import {
  ElasticsearchSink,
  type ElasticsearchSinkConfig,
} from '../../../../src/sinks/elasticsearch/index.js';
import { batchOf } from '../../../../src/sinks/envelope.js';
import { OtlpSink, type OtlpSinkConfig } from '../../../../src/sinks/otlp/index.js';
import { SyslogSink, type SyslogSinkConfig } from '../../../../src/sinks/syslog/index.js';
import type { Sink, SinkEvent } from '../../../../src/sinks/types.js';
import {
  OctetCountedFrames,
  parseSyslogMessage,
  startMockSink,
  type MockSink,
} from '../../../../src/tools/mock-sink/index.js';
import { post } from './helpers.js';

let mock: MockSink | undefined;
const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await mock?.close();
  mock = undefined;
});

const signal = (): AbortSignal => new AbortController().signal;

function events(tenant: string, seqs: readonly number[], receivedAt = Date.now()): SinkEvent[] {
  return seqs.map((seq) => ({
    id: `buf-1-${seq}`,
    tenant,
    receivedAt,
    payload: Buffer.from(
      JSON.stringify({
        tenantId: tenant,
        timestampMillis: receivedAt - 5,
        iclFields: { event: 'KEY_UNWRAP' },
      }),
    ),
  }));
}

function make<T extends Sink>(create: (cfg: never) => T, cfg: Record<string, unknown>): T {
  const sink = create(sinkSchema.parse(cfg) as never);
  sinks.push(sink);
  return sink;
}

describe('mock sink: protocol elasticsearch', () => {
  const es = (cfg: Record<string, unknown>) =>
    make((c: ElasticsearchSinkConfig) => new ElasticsearchSink(c), { type: 'elasticsearch', ...cfg });

  it('checks the API key, records documents by _id and tenant, and answers 409 for an id already stored', async () => {
    mock = await startMockSink({ protocol: 'elasticsearch', token: 'es-key' });
    const wrong = es({ url: mock.url, auth: { apiKey: 'other-key' } });
    expect((await wrong.send(batchOf(events('acme', [1]), 'acme'), signal())).kind).toBe('auth_failed');
    expect(mock.report()).toMatchObject({ events: 0, statusCounts: { '401': 1 } });

    const sink = es({ url: mock.url, auth: { apiKey: 'es-key' } });
    expect(await sink.send(batchOf(events('acme', [1, 2, 3]), 'acme'), signal())).toEqual({
      kind: 'delivered',
    });
    expect(await sink.send(batchOf(events('globex', [4]), 'globex'), signal())).toEqual({
      kind: 'delivered',
    });
    let r = mock.report();
    expect(r).toMatchObject({
      protocol: 'elasticsearch',
      events: 4,
      unique: 4,
      duplicates: 0,
      orderViolations: 0,
    });
    expect(r.perTenant.acme).toMatchObject({ unique: 3 });
    expect(r.perTenant.globex).toMatchObject({ unique: 1 });
    expect(r.latencyMs.count).toBe(4);

    // A redelivery: `create` finds the ids stored (409 version_conflict_engine_exception), which the sink
    // takes as delivered; the ledger counts the redelivered events as duplicates.
    expect(await sink.send(batchOf(events('acme', [3, 5]), 'acme'), signal())).toEqual({ kind: 'delivered' });
    r = mock.report();
    expect(r).toMatchObject({ events: 6, unique: 5, duplicates: 1 });
  });

  it('answers items in the bulk shape, 409 for a stored _id', async () => {
    mock = await startMockSink({ protocol: 'elasticsearch' });
    const doc = (id: string) =>
      `{"create":{"_index":"logs-acme","_id":"${id}"}}\n{"logdriver":{"event_id":"${id}","tenant":"acme"}}\n`;
    const headers = { 'content-type': 'application/x-ndjson' };
    const first = await post(`${mock.url}/_bulk`, doc('b-1'), headers);
    expect(first).toMatchObject({
      status: 200,
      json: { errors: false, items: [{ create: { _id: 'b-1', _index: 'logs-acme', status: 201 } }] },
    });
    const again = await post(`${mock.url}/_bulk`, doc('b-1') + doc('b-2'), headers);
    expect(again.json).toMatchObject({
      errors: true,
      items: [
        { create: { _id: 'b-1', status: 409, error: { type: 'version_conflict_engine_exception' } } },
        { create: { _id: 'b-2', status: 201 } },
      ],
    });
    const bad = await post(`${mock.url}/_bulk`, '{"create":{"_index":"i","_id":"x"}}\n{}\n', headers);
    expect(bad).toMatchObject({ status: 400, json: { error: { type: 'illegal_argument_exception' } } });
    expect((await post(`${mock.url}/other`, '{}', headers)).status).toBe(404);
    expect(mock.report()).toMatchObject({ events: 3, unique: 2, duplicates: 1, badRequests: 1 });
  });
});

describe('mock sink: protocol datadog', () => {
  const dd = (cfg: Record<string, unknown>) =>
    make((c: DatadogSinkConfig) => new DatadogSink(c), { type: 'datadog', ...cfg });

  it('checks DD-API-KEY and records gzip entries by event_id and tenant tag', async () => {
    mock = await startMockSink({ protocol: 'datadog', token: 'dd-key' });
    const wrong = dd({ url: mock.url, apiKey: 'nope' });
    expect((await wrong.send(batchOf(events('acme', [1]), 'acme'), signal())).kind).toBe('auth_failed');
    expect(mock.report()).toMatchObject({ events: 0, statusCounts: { '403': 1 } });

    const sink = dd({ url: mock.url, apiKey: 'dd-key', tags: ['env:test'] });
    expect(sink.settings.gzip).toBe(true);
    expect(await sink.send(batchOf(events('acme', [1, 2]), 'acme'), signal())).toEqual({ kind: 'delivered' });
    expect(await sink.send(batchOf(events('globex', [3]), 'globex'), signal())).toEqual({
      kind: 'delivered',
    });
    const r = mock.report();
    expect(r).toMatchObject({
      protocol: 'datadog',
      events: 3,
      unique: 3,
      duplicates: 0,
      statusCounts: { '202': 2 },
    });
    expect(r.perTenant.acme).toMatchObject({ unique: 2 });
    expect(r.perTenant.globex).toMatchObject({ unique: 1 });
    // From the event's own timestampMillis in the message.
    expect(r.latencyMs.count).toBe(3);
  });

  it('refuses entries it cannot count', async () => {
    mock = await startMockSink({ protocol: 'datadog' });
    const bad = await post(`${mock.url}/api/v2/logs`, '[{"message":"x","ddtags":"env:x"}]', {
      'content-type': 'application/json',
    });
    expect(bad).toMatchObject({ status: 400, json: { errors: [{ status: '400' }] } });
    expect(mock.report()).toMatchObject({ events: 0, badRequests: 1 });
  });
});

describe('mock sink: protocol otlp', () => {
  const otlp = (cfg: Record<string, unknown>) =>
    make((c: OtlpSinkConfig) => new OtlpSink(c), { type: 'otlp', ...cfg });

  it('checks the bearer token and records LogRecords by their logdriver attributes', async () => {
    mock = await startMockSink({ protocol: 'otlp', token: 'otlp-token' });
    const wrong = otlp({ url: mock.url, bearer: 'nope' });
    expect((await wrong.send(batchOf(events('acme', [1]), 'acme'), signal())).kind).toBe('auth_failed');

    const sink = otlp({ url: mock.url, bearer: 'otlp-token', gzip: true });
    expect(await sink.send(batchOf(events('acme', [1, 2, 3]), 'acme'), signal())).toEqual({
      kind: 'delivered',
    });
    expect(await sink.send(batchOf(events('acme', [2]), 'acme'), signal())).toEqual({ kind: 'delivered' });
    const r = mock.report();
    expect(r).toMatchObject({
      protocol: 'otlp',
      events: 4,
      unique: 3,
      duplicates: 1,
      statusCounts: { '200': 2 },
    });
    expect(r.perTenant.acme).toMatchObject({ unique: 3, duplicates: 1 });
    expect(r.latencyMs.count).toBe(4);
    const protobuf = await post(`${mock.url}/v1/logs`, 'x', {
      authorization: 'Bearer otlp-token',
      'content-type': 'application/x-protobuf',
    });
    expect(protobuf.status).toBe(415);
  });
});

describe('mock sink: protocol syslog', () => {
  const syslog = (port: number) =>
    make((c: SyslogSinkConfig) => new SyslogSink(c, { initialMs: 20, maxMs: 200 }), {
      type: 'syslog',
      host: '127.0.0.1',
      port,
      transport: 'tcp',
    });

  it('receives octet-counted frames per connection and closes after the client half-closes', async () => {
    mock = await startMockSink({ protocol: 'syslog' });
    expect(mock.syslogPort).toBeGreaterThan(0);
    expect(mock.report().syslogPort).toBe(mock.syslogPort);
    const sink = syslog(mock.syslogPort!);
    expect(sink.settings.confirm).toBe('close');
    expect(await sink.send(batchOf(events('acme', [1, 2, 3]), 'acme'), signal())).toEqual({
      kind: 'delivered',
    });
    expect(await sink.send(batchOf(events('glo"bex]', [4]), 'glo"bex]'), signal())).toEqual({
      kind: 'delivered',
    });
    const r = mock.report();
    expect(r).toMatchObject({
      protocol: 'syslog',
      requests: 2,
      events: 4,
      unique: 4,
      duplicates: 0,
      statusCounts: { closed: 2 },
    });
    expect(r.perTenant.acme).toMatchObject({ unique: 3 });
    // SD PARAM-VALUE escapes undone.
    expect(r.perTenant['glo"bex]']).toMatchObject({ unique: 1 });
    expect(r.latencyMs.count).toBe(4);
    // Ingest is TCP only: the HTTP port serves the control API.
    expect((await post(`${mock.url}/`, 'x')).status).toBe(404);
  });

  it('resets instead of closing when down, and on a frame it cannot read; records nothing of them', async () => {
    mock = await startMockSink({ protocol: 'syslog' });
    const sink = syslog(mock.syslogPort!);
    mock.set({ mode: 'down' });
    expect((await sink.send(batchOf(events('acme', [1]), 'acme'), signal())).kind).toBe('retry');
    mock.set({ mode: 'ok' });
    const socket = connect({ host: '127.0.0.1', port: mock.syslogPort! });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.end('12 <14>1 nothing');
    await closed;
    const r = mock.report();
    expect(r).toMatchObject({ events: 0, badRequests: 1, statusCounts: { reset: 2 } });
    expect(await sink.send(batchOf(events('acme', [1]), 'acme'), signal())).toEqual({ kind: 'delivered' });
    expect(mock.report()).toMatchObject({ events: 1, unique: 1 });
  });

  it('splits frames across chunks and parses the SD element', () => {
    const msg = (id: string) =>
      `<86>1 2026-11-29T06:00:00.000Z h logdriver - KEY_UNWRAP [logdriver@32473 tenant="t\\"1" id="${id}"] \uFEFF{"a":1}`;
    const frame = (id: string) => {
      const m = Buffer.from(msg(id));
      return Buffer.concat([Buffer.from(`${m.length} `), m]);
    };
    const all = Buffer.concat([frame('b-1'), frame('b-2')]);
    const f = new OctetCountedFrames();
    expect(f.push(all.subarray(0, 5))).toEqual([]);
    const got = f.push(all.subarray(5));
    expect(got).toMatchObject([
      { id: 'b-1', tenantId: 't"1', receivedAt: Date.parse('2026-11-29T06:00:00.000Z'), event: '{"a":1}' },
      { id: 'b-2', tenantId: 't"1' },
    ]);
    expect(f.pendingBytes).toBe(0);
    expect(typeof new OctetCountedFrames().push(Buffer.from('abc def'))).toBe('string');
    expect(parseSyslogMessage(Buffer.from('<14>1 - h a - - - msg'))).toMatch(/no \[logdriver@32473/);
  });
});
