// The elasticsearch sink against the loopback Elasticsearch fake: the shared conformance suite, then the
// bulk protocol itself — duplicates refused on redelivery, mixed item errors, credentials, pipeline, gzip,
// the document and the index per tenant.
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { ElasticsearchSink, type ElasticsearchSinkConfig } from '../../../src/sinks/elasticsearch/index.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { startFakeElasticsearch, type FakeEs, type FakeEsAuth } from '../../support/fakes/elasticsearch.js';
import { conformanceEvents, runSinkConformance, type ConformanceFake } from './conformance.js';

const PASSWORD = 'pw-3f9a1c77e2';
const API_ID = 'VuaCfGcBCdbkQm-e5aOx';
const API_KEY = 'ui2lp2axTNmsyakw9tvNnw';
const BASIC: FakeEsAuth = { basic: { username: 'logdriver', password: PASSWORD } };

function esSink(url: string, extra: Record<string, unknown> = {}): ElasticsearchSink {
  const cfg = sinkSchema.parse({ type: 'elasticsearch', url, ...extra }) as ElasticsearchSinkConfig;
  return new ElasticsearchSink(cfg);
}

const esError = (status: number, type: string, reason: string) => ({
  status,
  body: { error: { root_cause: [{ type, reason }], type, reason }, status },
});
/** A bulk answer for three events whose items all carry `status` (no _id: the suite's ids vary). */
const allItems = (status: number, type: string) => ({
  status: 200,
  body: {
    took: 1,
    errors: true,
    items: [0, 1, 2].map(() => ({ create: { status, error: { type, reason: `${type} reason` } } })),
  },
});

runSinkConformance({
  name: 'elasticsearch',
  async start() {
    const es = await startFakeElasticsearch({ auth: BASIC });
    const fake: ConformanceFake & { es: FakeEs } = {
      es,
      storedIds: () => es.stored.map((d) => d.id),
      answerNext: (n, answer) => es.answerNext(n, answer),
      rejectNextAt: (i) =>
        es.failItemsNext({
          [i]: { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [x]' },
        }),
      close: () => es.close(),
    };
    return fake;
  },
  sink: (fake, { timeoutMs, url }) =>
    esSink(url ?? (fake as unknown as { es: FakeEs }).es.url, {
      timeoutMs,
      auth: { basic: { username: 'logdriver', password: PASSWORD } },
    }),
  success: 'delivered',
  documentedErrors: [
    {
      name: '429 es_rejected_execution_exception => retry',
      answer: esError(429, 'es_rejected_execution_exception', 'rejected execution'),
      expect: 'retry',
    },
    {
      name: '503 cluster_block_exception (no master) => retry',
      answer: esError(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master];'),
      expect: 'retry',
    },
    { name: '500 => retry', answer: esError(500, 'exception', 'internal'), expect: 'retry' },
    {
      name: '413 => retry (lower maxRequestBytes), never dead-lettered',
      answer: { status: 413, body: '' },
      expect: 'retry',
    },
    {
      name: '400 for the whole request (malformed) => retry, never dead-lettered',
      answer: esError(400, 'illegal_argument_exception', 'Malformed action/metadata line [1]'),
      expect: 'retry',
    },
    {
      name: '200 whose items do not match the events sent => retry',
      answer: { status: 200, body: { took: 1, errors: false, items: [] } },
      expect: 'retry',
    },
    {
      name: '200 errors:true, every item 429 => retry',
      answer: allItems(429, 'es_rejected_execution_exception'),
      expect: 'retry',
    },
    {
      name: '200 errors:true, every item 409 version conflict => delivered (already indexed)',
      answer: allItems(409, 'version_conflict_engine_exception'),
      expect: 'delivered',
    },
    {
      name: '200 errors:true, every item 403 security_exception => auth_failed',
      answer: allItems(403, 'security_exception'),
      expect: 'auth_failed',
    },
  ],
  unauthorized: esError(401, 'security_exception', 'missing authentication credentials'),
  forbidden: esError(403, 'security_exception', 'action [indices:data/write/bulk] is unauthorized'),
  reset200: 'retry',
  garbage200: 'retry',
});

const fakes: FakeEs[] = [];
const sinks: ElasticsearchSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function setup(auth: FakeEsAuth | undefined, extra: Record<string, unknown> = {}) {
  const es = await startFakeElasticsearch(auth ? { auth } : {});
  fakes.push(es);
  const sink = esSink(es.url, extra);
  sinks.push(sink);
  return { es, sink };
}
const signal = () => new AbortController().signal;

describe('elasticsearch duplicates', () => {
  it('a redelivered batch answers 409 per item, counts as delivered, and nothing is indexed twice', async () => {
    const { es, sink } = await setup(undefined);
    const events = conformanceEvents(4);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    // The same events again, as after a crash before the acknowledgement was recorded.
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(es.requests).toHaveLength(2);
    expect(es.stored.map((d) => d.id)).toEqual(events.map((e) => e.id));
  });

  it('a batch partly indexed before is completed without duplicates', async () => {
    const { es, sink } = await setup(undefined);
    const events = conformanceEvents(5);
    await sink.send(batchOf(events.slice(0, 2)), signal());
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(es.stored.map((d) => d.id)).toEqual(events.map((e) => e.id));
  });
});

describe('elasticsearch item errors', () => {
  it('mixed item errors => partial: 429/5xx retried, 400 dead-lettered with type and reason, rest indexed', async () => {
    const { es, sink } = await setup(undefined);
    const events = conformanceEvents(6);
    es.failItemsNext({
      1: {
        status: 400,
        type: 'mapper_parsing_exception',
        reason: "failed to parse field [iclFields.objectId] of type [long] in document with id 'x'",
      },
      2: {
        status: 429,
        type: 'es_rejected_execution_exception',
        reason: 'rejected execution of coordinating operation',
      },
      4: { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' },
    });
    const outcome = await sink.send(batchOf(events), signal());
    expect(outcome).toEqual({
      kind: 'partial',
      retry: [events[2]!.id, events[4]!.id],
      rejected: [
        {
          id: events[1]!.id,
          status: 400,
          reason:
            "item 400 mapper_parsing_exception: failed to parse field [iclFields.objectId] of type [long] in document with id 'x'",
        },
      ],
    });
    expect(es.stored.map((d) => d.id)).toEqual([events[0]!.id, events[3]!.id, events[5]!.id]);
    // The retry of the partial sends only what is left; the delivered ones are not sent again by delivery.
    const left = [events[2]!, events[4]!];
    expect(await sink.send(batchOf(left), signal())).toEqual({ kind: 'delivered' });
    expect(es.stored).toHaveLength(5);
  });

  it('an index the cluster refuses (item 404 index_not_found_exception) is retried, not dead-lettered', async () => {
    const { es, sink } = await setup(undefined);
    es.failItemsNext({
      0: { status: 404, type: 'index_not_found_exception', reason: 'no such index [logs-logdriver-acme]' },
    });
    const events = conformanceEvents(2);
    expect(await sink.send(batchOf(events), signal())).toEqual({
      kind: 'partial',
      retry: [events[0]!.id],
      rejected: [],
    });
  });
});

describe('elasticsearch credentials', () => {
  it('basic auth: sends Authorization: Basic, and a wrong password is auth_failed without leaking it', async () => {
    const { es, sink } = await setup(BASIC, {
      auth: { basic: { username: 'logdriver', password: PASSWORD } },
    });
    expect(await sink.send(batchOf(conformanceEvents(1)), signal())).toEqual({ kind: 'delivered' });
    expect(es.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(`logdriver:${PASSWORD}`).toString('base64')}`,
    );
    const wrong = esSink(es.url, {
      auth: { basic: { username: 'logdriver', password: 'not-the-password' } },
    });
    sinks.push(wrong);
    const outcome = await wrong.send(batchOf(conformanceEvents(1)), signal());
    expect(outcome).toMatchObject({ kind: 'auth_failed', status: 401 });
    expect(JSON.stringify(outcome)).not.toContain('not-the-password');
  });

  it.each([
    ['the encoded key', Buffer.from(`${API_ID}:${API_KEY}`).toString('base64')],
    ['"<id>:<api_key>"', `${API_ID}:${API_KEY}`],
  ])('apiKey given as %s: sends Authorization: ApiKey <base64 id:key>', async (_what, apiKey) => {
    const { es, sink } = await setup({ apiKey: { id: API_ID, key: API_KEY } }, { auth: { apiKey } });
    expect(await sink.send(batchOf(conformanceEvents(2)), signal())).toEqual({ kind: 'delivered' });
    expect(es.requests[0]!.headers.authorization).toBe(
      `ApiKey ${Buffer.from(`${API_ID}:${API_KEY}`).toString('base64')}`,
    );
    expect(es.stored).toHaveLength(2);
  });

  it('no auth configured: no Authorization header; a secured cluster answers 401 => auth_failed', async () => {
    const { es, sink } = await setup(BASIC);
    expect(await sink.send(batchOf(conformanceEvents(1)), signal())).toMatchObject({
      kind: 'auth_failed',
      status: 401,
    });
    expect(es.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('the credentials never appear in an error reason, even when the server echoes them', async () => {
    const { es, sink } = await setup(undefined, { auth: { apiKey: `${API_ID}:${API_KEY}` } });
    const encoded = Buffer.from(`${API_ID}:${API_KEY}`).toString('base64');
    es.answerNext(1, { status: 500, body: `bad header ApiKey ${encoded} (${API_ID}:${API_KEY}) ${API_KEY}` });
    const outcome = await sink.send(batchOf(conformanceEvents(1)), signal());
    expect(outcome.kind).toBe('retry');
    const text = JSON.stringify(outcome);
    for (const s of [encoded, API_KEY]) expect(text).not.toContain(s);
  });
});

describe('elasticsearch request', () => {
  it('POSTs NDJSON to /_bulk with create actions, the pipeline parameter and a trailing newline', async () => {
    const { es, sink } = await setup(undefined, { pipeline: 'security events/v1' });
    expect(await sink.send(batchOf(conformanceEvents(2)), signal())).toEqual({ kind: 'delivered' });
    const req = es.requests[0]!;
    expect(req.path).toBe('/_bulk');
    expect(req.query).toEqual({ pipeline: 'security events/v1' });
    expect(req.headers['content-type']).toBe('application/x-ndjson');
    const text = req.raw.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toEqual({ create: { _index: 'logs-logdriver-acme', _id: 'acme-evt-0' } });
  });

  it('gzip: the body is compressed (Content-Encoding: gzip) and the cluster indexes it', async () => {
    const { es, sink } = await setup(undefined, { gzip: true });
    const events = conformanceEvents(3);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    const req = es.requests[0]!;
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(req.raw).toString('utf8').split('\n')).toHaveLength(7);
    expect(es.stored.map((d) => d.id)).toEqual(events.map((e) => e.id));
  });

  it('indexes the producer event with @timestamp and the logdriver fields, one index per tenant', async () => {
    const { es, sink } = await setup(undefined);
    const [event] = conformanceEvents(1);
    expect(await sink.send(batchOf([event!]), signal())).toEqual({ kind: 'delivered' });
    expect(es.stored[0]).toEqual({
      index: 'logs-logdriver-acme',
      id: 'acme-evt-0',
      source: {
        '@timestamp': '2025-11-24T16:00:00.000Z',
        logdriver: { event_id: 'acme-evt-0', tenant: 'acme', received_at: '2025-11-24T16:00:00.000Z' },
        ...(JSON.parse(event!.payload.toString()) as object),
      },
    });
    const other = conformanceEvents(1, 'Globex Corp')[0]!;
    expect(await sink.send(batchOf([other]), signal())).toEqual({ kind: 'delivered' });
    expect(es.stored[1]!.index).toBe(sink.indexOf('Globex Corp'));
    expect(es.stored[1]!.index).toMatch(/^logs-logdriver-globex_corp-h[0-9a-f]{12}$/);
  });

  it('splits a batch past maxRequestBytes / maxEvents into several requests, in order', async () => {
    const { es, sink } = await setup(undefined, { maxRequestBytes: 1024, maxEvents: 2 });
    const events = conformanceEvents(7);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(es.requests.length).toBeGreaterThanOrEqual(4);
    expect(es.stored.map((d) => d.id)).toEqual(events.map((e) => e.id));
  });
});
