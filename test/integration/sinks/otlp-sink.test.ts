// The otlp sink against the loopback OTLP/HTTP receiver fake: the shared conformance suite, what the receiver
// decodes (resource, scope, records, AnyValue bodies), partialSuccess, gzip, headers and secrets, and the example.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { sinkSchema } from '../../../src/config/schema.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { OtlpSink, type OtlpSinkConfig } from '../../../src/sinks/otlp/index.js';
import { startFakeOtlp, type FakeOtlp } from '../../support/fakes/otlp.js';
import { revealed } from '../../unit/config/helpers.js';
import { conformanceEvents, runSinkConformance, type ConformanceFake } from './conformance.js';

function otlpSink(url: string, extra: Record<string, unknown> = {}): OtlpSink {
  const cfg = sinkSchema.parse({ type: 'otlp', url, hostName: 'fwd-1', ...extra }) as OtlpSinkConfig;
  return new OtlpSink(cfg);
}

const rpc = (status: number, message: string) => ({ status, body: { code: 0, message } });

runSinkConformance({
  name: 'otlp',
  async start() {
    const otlp = await startFakeOtlp();
    const fake: ConformanceFake & { otlp: FakeOtlp } = {
      otlp,
      storedIds: () => otlp.records.map((r) => r.attributes['logdriver.event_id'] as string),
      answerNext: (n, answer) => otlp.answerNext(n, answer),
      // OTLP's partialSuccess names no record, so the only answer that names one is a 400 whose google.rpc.Status
      // carries a BadRequest (the spec's "Bad Data" case); the request as a whole is then refused.
      rejectNextAt: (i) => otlp.badRecordsNext([i], 'body: value not allowed'),
      close: () => otlp.close(),
    };
    return fake;
  },
  sink: (fake, { timeoutMs, url }) =>
    otlpSink(url ?? (fake as unknown as { otlp: FakeOtlp }).otlp.url, { timeoutMs }),
  success: 'delivered',
  documentedErrors: [
    { name: '429 => retry', answer: rpc(429, 'rate limited'), expect: 'retry' },
    { name: '502 => retry', answer: rpc(502, 'bad gateway'), expect: 'retry' },
    { name: '503 => retry', answer: rpc(503, 'unavailable'), expect: 'retry' },
    { name: '504 => retry', answer: rpc(504, 'gateway timeout'), expect: 'retry' },
    {
      name: '500 => retry (logdriver never dead-letters on a server fault)',
      answer: rpc(500, 'x'),
      expect: 'retry',
    },
    {
      name: '400 without BadRequest => rejected (spec: MUST NOT retry)',
      answer: rpc(400, 'bad'),
      expect: 'rejected',
    },
    { name: '422 => rejected', answer: rpc(422, 'unprocessable'), expect: 'rejected' },
    { name: '404 (wrong URL) => retry, a config problem', answer: rpc(404, 'not found'), expect: 'retry' },
    { name: '415 => retry, a config problem', answer: rpc(415, 'unsupported'), expect: 'retry' },
    { name: '413 => retry naming maxRequestBytes', answer: rpc(413, 'too large'), expect: 'retry' },
    { name: '200 {} => delivered', answer: { status: 200, body: {} }, expect: 'delivered' },
    { name: '200 empty body => delivered', answer: { status: 200, body: '' }, expect: 'delivered' },
    {
      name: '200 partialSuccess => delivered (rejected records are not retried)',
      answer: { status: 200, body: { partialSuccess: { rejectedLogRecords: '2', errorMessage: 'too old' } } },
      expect: 'delivered',
    },
    {
      name: '302 (redirects are not followed) => retry, held as misconfigured',
      answer: { status: 302, headers: { location: '/x' } },
      expect: 'retry',
    },
  ],
  unauthorized: rpc(401, 'missing credentials'),
  forbidden: rpc(403, 'forbidden'),
  // The verdict is in the status line, but a real receiver always answers an ExportLogsServiceResponse in JSON:
  // a body that is not one (cut off, HTML from a proxy) does not show an OTLP receiver took the data.
  reset200: 'retry',
  garbage200: 'retry',
});

const fakes: FakeOtlp[] = [];
const sinks: OtlpSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function setup(extra: Record<string, unknown> = {}, path = '') {
  const fake = await startFakeOtlp();
  fakes.push(fake);
  const sink = otlpSink(`${fake.url}${path}`, extra);
  sinks.push(sink);
  return { fake, sink };
}
const signal = () => new AbortController().signal;

describe('otlp', () => {
  it('a batch becomes one resource, one scope and a record per event, as the receiver decodes them', async () => {
    const { fake, sink } = await setup({ resourceAttributes: { 'deployment.environment': 'prod' } });
    const events = conformanceEvents(2);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(fake.requests).toBe(1);
    expect(fake.lastHeaders?.['content-type']).toBe('application/json');
    expect(fake.records.map((r) => [r.resource, r.scope])).toEqual(
      events.map(() => [
        { 'service.name': 'logdriver', 'host.name': 'fwd-1', 'deployment.environment': 'prod' },
        { name: 'logdriver', version: '0.1.0' },
      ]),
    );
    fake.records.forEach((r, i) => {
      const e = events[i]!;
      expect(r.body).toEqual(JSON.parse(e.payload.toString()));
      expect(r.attributes).toEqual({
        'logdriver.tenant': 'acme',
        'logdriver.event_id': e.id,
        'logdriver.event': i % 2 ? 'DATA_DENY_ACCESS' : 'DATA_DECRYPT',
      });
      expect(r.record).toMatchObject({
        timeUnixNano: `${1764000000000 + i * 1000}000000`,
        observedTimeUnixNano: `${e.receivedAt}000000`,
        severityNumber: i % 2 ? 13 : 9,
        severityText: i % 2 ? 'WARN' : 'INFO',
      });
    });
  });

  it('a full /v1/logs URL is used as is; a base URL gets /v1/logs', async () => {
    const { fake, sink } = await setup({}, '/v1/logs');
    expect((await sink.send(batchOf(conformanceEvents(1)), signal())).kind).toBe('delivered');
    expect(sink.settings.path).toBe('/v1/logs');
    expect(fake.records).toHaveLength(1);
  });

  it('partialSuccess: delivered, nothing resent, the count and message reported and tallied', async () => {
    const { fake, sink } = await setup();
    fake.partialNext([1, 2], 'log records older than 7 days were dropped');
    const outcome = await sink.send(batchOf(conformanceEvents(4)), signal());
    expect(outcome).toEqual({
      kind: 'delivered',
      receiverDropped: { count: 2, message: 'log records older than 7 days were dropped' },
    });
    expect(fake.requests).toBe(1);
    expect(fake.records).toHaveLength(2);
    expect(sink.receiverRejections).toEqual({
      answers: 1,
      records: 2,
      warnings: 0,
      lastMessage: 'log records older than 7 days were dropped',
    });
  });

  it('a 400 BadRequest naming records: those dead-lettered, the rest retried; nothing was stored', async () => {
    const { fake, sink } = await setup();
    fake.badRecordsNext([0, 2], 'body too deep');
    const events = conformanceEvents(3);
    const outcome = await sink.send(batchOf(events), signal());
    expect(outcome).toMatchObject({
      kind: 'partial',
      retry: [events[1]!.id],
      rejected: [{ id: events[0]!.id }, { id: events[2]!.id }],
    });
    expect(fake.records).toHaveLength(0);
  });

  it('gzip: the receiver inflates the same request', async () => {
    const { fake, sink } = await setup({ gzip: true });
    expect((await sink.send(batchOf(conformanceEvents(3)), signal())).kind).toBe('delivered');
    expect(fake.lastHeaders?.['content-encoding']).toBe('gzip');
    expect(fake.records).toHaveLength(3);
    expect(JSON.parse(fake.bodies[0]!.toString())).toHaveProperty('resourceLogs');
  });

  it('headers and bearer are sent; their values never reach a reason or inspect', async () => {
    const { fake, sink } = await setup({ headers: { 'X-Api-Key': 'k-123456' }, bearer: 'tok-abcdef' });
    fake.answerNext(1, { status: 400, body: { message: 'bad key k-123456 for Bearer tok-abcdef' } });
    const outcome = await sink.send(batchOf(conformanceEvents(1)), signal());
    expect(fake.lastHeaders?.['x-api-key']).toBe('k-123456');
    expect(fake.lastHeaders?.authorization).toBe('Bearer tok-abcdef');
    const text = JSON.stringify(outcome) + JSON.stringify(sink) + JSON.stringify(sink.settings);
    expect(text).not.toContain('k-123456');
    expect(text).not.toContain('tok-abcdef');
  });

  it('events beyond maxEvents go in several requests, in order', async () => {
    const { fake, sink } = await setup({ maxEvents: 2 });
    const events = conformanceEvents(5);
    expect((await sink.send(batchOf(events), signal())).kind).toBe('delivered');
    expect(fake.requests).toBe(3);
    expect(fake.records.map((r) => r.attributes['logdriver.event_id'])).toEqual(events.map((e) => e.id));
  });

  it('config errors: credentials in the URL, reserved headers, service.name twice', () => {
    expect(() => otlpSink('http://u:p@127.0.0.1:9')).toThrow(/credentials/);
    expect(() => otlpSink('http://127.0.0.1:9', { headers: { 'Content-Type': 'text/plain' } })).toThrow(
      /set by the sink/,
    );
    expect(() => otlpSink('http://127.0.0.1:9', { resourceAttributes: { 'service.name': 'x' } })).toThrow(
      /serviceName/,
    );
    expect(() =>
      otlpSink('http://127.0.0.1:9', { bearer: 'a', headers: { Authorization: 'Bearer b' } }),
    ).toThrow(/either bearer/);
  });
});

describe('examples/otlp.yaml', () => {
  it('loads, and spells out the defaults of every key it sets', () => {
    const file = join(import.meta.dirname, '../../../examples/otlp.yaml');
    const c = loadConfig({ file, env: { INITECH_OTLP_TOKEN: 'otlp-token-value' } });
    const sink = c.tenants.initech!.sink;
    if (sink.type !== 'otlp') throw new Error('the example tenant must use otlp');
    expect(sink.bearer?.reveal()).toBe('otlp-token-value');
    const minimal = revealed(sinkSchema.parse({ type: 'otlp', url: sink.url, bearer: 'x' })) as Record<
      string,
      unknown
    >;
    const full = revealed(sink) as Record<string, unknown>;
    const differing = Object.keys(full).filter((k) => JSON.stringify(full[k]) !== JSON.stringify(minimal[k]));
    expect(differing).toEqual(['bearer']);
  });
});
