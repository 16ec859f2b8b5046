// The datadog sink against the loopback logs intake fake: the shared conformance suite, the wire format the
// intake receives, splitting at its limits (1000 logs, 5 MB, 1 MB per log), narrowing a 400 down to the
// refused logs, and the config (site → intake host, limits, tags, the example file).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, sinkSchema } from '../../../src/config/index.js';
import {
  DATADOG_SITES,
  DatadogSink,
  intakeUrlOf,
  resolveDatadogSettings,
  tenantTag,
  type DatadogSinkConfig,
} from '../../../src/sinks/datadog/index.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { startFakeDatadog, type FakeDatadog } from '../../support/fakes/datadog.js';
import { revealed } from '../../unit/config/helpers.js';
import { conformanceEvents, runSinkConformance, type ConformanceFake } from './conformance.js';

const API_KEY = '0123456789abcdef0123456789abcdef';

function ddConfig(extra: Record<string, unknown> = {}): DatadogSinkConfig {
  return sinkSchema.parse({ type: 'datadog', apiKey: API_KEY, ...extra }) as DatadogSinkConfig;
}
function ddSink(url: string, extra: Record<string, unknown> = {}): DatadogSink {
  return new DatadogSink(ddConfig({ url, ...extra }));
}
const ddError = (status: number, title: string, detail: string) => ({
  status,
  body: { errors: [{ status: String(status), title, detail }] },
});

runSinkConformance({
  name: 'datadog',
  async start() {
    const dd = await startFakeDatadog({ apiKey: API_KEY });
    const fake: ConformanceFake & { dd: FakeDatadog } = {
      dd,
      storedIds: () => dd.stored.map((l) => l.eventId),
      answerNext: (n, answer) => dd.failNext(n, answer),
      // The intake has no per-log errors; its honest equivalent is a log it refuses, which fails every request
      // carrying it with a 400. The sink narrows that down by resending halves, so only that log is rejected.
      rejectNextAt: (i) => dd.refuseEntryAt(i),
      close: () => dd.close(),
    };
    return fake;
  },
  sink: (fake, { timeoutMs, url }) =>
    ddSink(url ?? (fake as unknown as { dd: FakeDatadog }).dd.url, { timeoutMs }),
  success: 'delivered',
  documentedErrors: [
    {
      name: '408 request timeout => retry',
      answer: ddError(408, 'Request Timeout', 'retry'),
      expect: 'retry',
    },
    {
      name: '500 internal error => retry',
      answer: ddError(500, 'Internal Server Error', 'x'),
      expect: 'retry',
    },
    { name: '503 unavailable => retry', answer: ddError(503, 'Service Unavailable', 'x'), expect: 'retry' },
    {
      name: '413 payload too large => retry naming maxRequestBytes (a config problem, never dead-lettered)',
      answer: ddError(413, 'Payload Too Large', 'batch above 5MB'),
      expect: 'retry',
    },
    { name: '404 (wrong url) => retry', answer: ddError(404, 'Not Found', 'x'), expect: 'retry' },
    {
      name: '400 for a request of 3 logs that its halves do not repeat => delivered (the halves went through)',
      answer: ddError(400, 'Bad Request', 'malformed payload'),
      expect: 'delivered',
    },
  ],
  unauthorized: ddError(401, 'Unauthorized', 'API key is missing'),
  forbidden: ddError(403, 'Forbidden', 'API key is invalid'),
  reset200: 'retry',
  garbage200: 'retry',
});

const fakes: FakeDatadog[] = [];
const sinks: DatadogSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function setup(extra: Record<string, unknown> = {}) {
  const dd = await startFakeDatadog({ apiKey: API_KEY });
  fakes.push(dd);
  const sink = ddSink(dd.url, extra);
  sinks.push(sink);
  return { dd, sink };
}
const signal = () => new AbortController().signal;
const ev = (id: string, payload: string, tenant = 'acme'): SinkEvent => ({
  id,
  tenant,
  receivedAt: 1764000000000,
  payload: Buffer.from(payload),
});
/** An event whose payload is about `bytes` long. */
const sized = (id: string, bytes: number): SinkEvent =>
  ev(id, JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(Math.max(0, bytes - 30)) }));

describe('datadog wire format', () => {
  it('the intake receives one log per event: the event as message, event_id, tags with the tenant', async () => {
    const { dd, sink } = await setup({ hostname: 'gw-1', service: 'kms-proxy', tags: ['env:Prod'] });
    const events = conformanceEvents(2, 'Acme Corp');
    expect(tenantTag('Acme Corp')).toMatch(/^tenant:acme_corp-h[0-9a-f]{12}$/);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(dd.stored.map((l) => l.entry)).toEqual(
      events.map((e) => ({
        ddsource: 'logdriver',
        ddtags: `env:prod,${tenantTag('Acme Corp')}`,
        hostname: 'gw-1',
        service: 'kms-proxy',
        message: e.payload.toString(),
        event_id: e.id,
      })),
    );
    // Datadog parses a JSON message into attributes: the message is the producer's event.
    expect(JSON.parse(dd.stored[0]!.entry.message as string)).toEqual(
      JSON.parse(events[0]!.payload.toString()),
    );
    expect(dd.requests.at(-1)).toMatchObject({
      contentEncoding: 'gzip',
      contentType: 'application/json',
      status: 202,
    });
  });

  it('gzip: false sends the array uncompressed', async () => {
    const { dd, sink } = await setup({ gzip: false });
    expect(await sink.send(batchOf(conformanceEvents(2)), signal())).toEqual({ kind: 'delivered' });
    expect(dd.requests.at(-1)!.contentEncoding).toBeUndefined();
  });

  it("a wrong API key gets the intake's 403 => auth_failed, and the key is not in the reason", async () => {
    const dd = await startFakeDatadog({ apiKey: 'another-key' });
    fakes.push(dd);
    const sink = ddSink(dd.url);
    sinks.push(sink);
    const outcome = await sink.send(batchOf(conformanceEvents(2)), signal());
    expect(outcome).toMatchObject({ kind: 'auth_failed', status: 403 });
    expect(JSON.stringify(outcome)).not.toContain(API_KEY);
    expect(dd.stored).toEqual([]);
  });
});

describe('datadog limits', () => {
  it('splits 2500 logs into requests of at most 1000, in order', async () => {
    const { dd, sink } = await setup();
    const events = conformanceEvents(2500);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(dd.requests.map((r) => r.entries)).toEqual([1000, 1000, 500]);
    expect(dd.stored.map((l) => l.eventId)).toEqual(events.map((e) => e.id));
  });

  it('splits at 5 MB uncompressed: every request within it, none refused with 413', async () => {
    const { dd, sink } = await setup();
    const events = Array.from({ length: 14 }, (_, i) => sized(`big-${i}`, 900_000));
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(dd.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of dd.requests) {
      expect(r.status).toBe(202);
      expect(r.uncompressedBytes).toBeLessThanOrEqual(5_000_000);
    }
    expect(dd.stored.map((l) => l.eventId)).toEqual(events.map((e) => e.id));
  });

  it('a log above 1 MB is dead-lettered alone with that reason; the others are delivered, none truncated', async () => {
    const { dd, sink } = await setup();
    const events = [sized('small-1', 200), sized('huge', 1_100_000), sized('small-2', 200)];
    const outcome = await sink.send(batchOf(events), signal());
    expect(outcome).toMatchObject({ kind: 'partial', retry: [] });
    if (outcome.kind !== 'partial') return;
    expect(outcome.rejected.map((r) => r.id)).toEqual(['huge']);
    expect(outcome.rejected[0]!.reason).toMatch(/exceeds the datadog sink's limit of 1000000 bytes/);
    expect(dd.stored.map((l) => l.eventId)).toEqual(['small-1', 'small-2']);
    expect(dd.stored.some((l) => l.truncated)).toBe(false);
  });

  it('the size limit counts the encoded log: a payload just under 1 MB that escapes past it is dead-lettered', async () => {
    const { dd, sink } = await setup();
    // Every quote in the payload doubles in the message string.
    const payload = JSON.stringify({ q: '"'.repeat(600_000) });
    const outcome = await sink.send(batchOf([ev('quoted', payload)]), signal());
    expect(outcome).toMatchObject({ kind: 'partial', retry: [], rejected: [{ id: 'quoted' }] });
    expect(dd.requests).toEqual([]);
  });
});

describe('datadog 400: the refused logs are found by resending halves', () => {
  it('a refused log among 8 is the only one rejected; the other 7 are stored once', async () => {
    const { dd, sink } = await setup();
    const events = conformanceEvents(8);
    dd.refuseEntryAt(5);
    const outcome = await sink.send(batchOf(events), signal());
    expect(outcome).toMatchObject({ kind: 'partial', retry: [] });
    if (outcome.kind !== 'partial') return;
    expect(outcome.rejected).toEqual([
      { id: events[5]!.id, status: 400, reason: expect.stringMatching(/^HTTP 400 Bad Request: /) as string },
    ]);
    expect(dd.stored.map((l) => l.eventId)).toEqual(events.filter((_, i) => i !== 5).map((e) => e.id));
  });

  it("a single log refused with 400 => rejected with the intake's reason", async () => {
    const { dd, sink } = await setup();
    dd.refuseEntryAt(0);
    expect(await sink.send(batchOf(conformanceEvents(1)), signal())).toEqual({
      kind: 'rejected',
      status: 400,
      reason: 'HTTP 400 Bad Request: Bad Request: a log in the payload is malformed',
    });
  });

  it('every log refused alone => the batch is rejected', async () => {
    const { dd, sink } = await setup();
    dd.failNext(100, { status: 400, body: { errors: ['malformed'] } });
    expect(await sink.send(batchOf(conformanceEvents(4)), signal())).toMatchObject({
      kind: 'rejected',
      status: 400,
    });
    // 1 + 2 halves + 4 singles.
    expect(dd.requests).toHaveLength(7);
  });

  it('a failure while narrowing down (503) retries what is undecided, never dead-letters it', async () => {
    const { dd, sink } = await setup();
    dd.failNext(1, { status: 400, body: { errors: ['malformed'] } });
    dd.failNext(1, { status: 503, body: 'busy', headers: { 'retry-after': '7' } });
    const events = conformanceEvents(4);
    expect(await sink.send(batchOf(events), signal())).toEqual({
      kind: 'partial',
      retry: events.map((e) => e.id),
      rejected: [],
      retryAfterMs: 7000,
    });
    expect(dd.requests).toHaveLength(2);
  });
});

describe('datadog config', () => {
  it('each site maps to its logs intake host', () => {
    for (const site of DATADOG_SITES) {
      const s = resolveDatadogSettings(ddConfig({ site }));
      expect(s.url).toBe(`https://http-intake.logs.${site}`);
      expect(intakeUrlOf(site)).toBe(s.url);
      expect(s.path).toBe('/api/v2/logs');
    }
    expect(resolveDatadogSettings(ddConfig()).url).toBe('https://http-intake.logs.datadoghq.com');
    expect(resolveDatadogSettings(ddConfig({ site: 'datadoghq.eu' })).url).toBe(
      'https://http-intake.logs.datadoghq.eu',
    );
  });

  it('url overrides the site, with a path prefix kept and a trailing /api/v2/logs tolerated', () => {
    const a = resolveDatadogSettings(ddConfig({ site: 'datadoghq.eu', url: 'https://proxy.example/dd/' }));
    expect(a).toMatchObject({ url: 'https://proxy.example/dd', path: '/dd/api/v2/logs' });
    const b = resolveDatadogSettings(ddConfig({ url: 'https://proxy.example/api/v2/logs' }));
    expect(b).toMatchObject({ url: 'https://proxy.example', path: '/api/v2/logs' });
  });

  it("refuses an unknown site, limits above the intake's, a url with credentials, a tag not starting with a letter", () => {
    expect(() => ddConfig({ site: 'datadoghq.org' })).toThrow();
    expect(() => ddConfig({ maxRequestBytes: 5_000_001 })).toThrow(/at most 5000000/);
    expect(() => ddConfig({ maxEventBytes: '2MiB' })).toThrow(/at most 1000000/);
    expect(() => ddConfig({ maxEvents: 1001 })).toThrow(/at most 1000/);
    expect(() => ddConfig({ apiKey: '' })).toThrow();
    expect(() => resolveDatadogSettings(ddConfig({ url: 'https://u:p@proxy.example' }))).toThrow(
      /without credentials/,
    );
    expect(() => resolveDatadogSettings(ddConfig({ tags: ['1env:prod'] }))).toThrow(/start with a letter/);
  });

  it("lowered limits are the sink's limits", () => {
    const sink = new DatadogSink(ddConfig({ maxRequestBytes: '1MiB', maxEventBytes: 4096, maxEvents: 10 }));
    sinks.push(sink);
    expect(sink.limits).toEqual({ maxRequestBytes: 1_048_576, maxEvents: 10, maxEventBytes: 4096 });
  });

  it('examples/datadog.yaml loads, and spells out the defaults of every key it sets', () => {
    const file = join(import.meta.dirname, '../../../examples/datadog.yaml');
    const c = loadConfig({ file, env: { ACME_DD_API_KEY: 'dd-key-value' } });
    const sink = c.tenants.acme!.sink;
    if (sink.type !== 'datadog') throw new Error('the example tenant must use datadog');
    expect(sink.apiKey.reveal()).toBe('dd-key-value');
    const minimal = revealed(sinkSchema.parse({ type: 'datadog', apiKey: 'dd-key-value' }));
    expect(revealed(sink)).toEqual(minimal);
  });
});
