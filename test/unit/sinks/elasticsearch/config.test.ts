// The elasticsearch sink's config: defaults, auth forms and their headers, index template and URL checks,
// secrets never printed, and examples/elasticsearch.yaml spelling out the defaults.
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/index.js';
import { sinkSchema } from '../../../../src/config/schema.js';
import {
  ElasticsearchSink,
  resolveElasticsearchSettings,
  type ElasticsearchSinkConfig,
} from '../../../../src/sinks/elasticsearch/index.js';
import { revealed } from '../../config/helpers.js';

const parse = (extra: Record<string, unknown> = {}) =>
  sinkSchema.parse({
    type: 'elasticsearch',
    url: 'https://es.example:9200',
    ...extra,
  }) as ElasticsearchSinkConfig;
const problems = (extra: Record<string, unknown>) => {
  const r = sinkSchema.safeParse({ type: 'elasticsearch', url: 'https://es.example:9200', ...extra });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('elasticsearch config', () => {
  it('has the documented defaults', () => {
    const cfg = parse();
    expect(revealed(cfg)).toEqual({
      type: 'elasticsearch',
      url: 'https://es.example:9200',
      index: 'logs-logdriver-{tenant}',
      gzip: false,
      maxRequestBytes: 5 * 1024 * 1024,
      maxEvents: 1000,
      timeoutMs: 30_000,
      maxConnections: 4,
      tls: {},
      onAuthFailure: 'retry',
    });
    const s = resolveElasticsearchSettings(cfg);
    expect(s.bulkPath).toBe('/_bulk');
    expect(s.authorization).toBeUndefined();
    expect(s.limits).toEqual({
      maxRequestBytes: 5 * 1024 * 1024,
      maxEvents: 1000,
      maxEventBytes: 5 * 1024 * 1024,
    });
  });

  it('refuses basic and apiKey together with a clear message', () => {
    expect(problems({ auth: { basic: { username: 'u', password: 'p' }, apiKey: 'k' } })).toEqual([
      'auth: set either basic or apiKey, not both',
    ]);
  });

  it('builds the Authorization header for each form; the secret never prints', () => {
    const basic = resolveElasticsearchSettings(
      parse({ auth: { basic: { username: 'u', password: 'pw-secret' } } }),
    );
    expect(basic.authorization!.reveal()).toBe(`Basic ${Buffer.from('u:pw-secret').toString('base64')}`);
    const pair = resolveElasticsearchSettings(parse({ auth: { apiKey: 'id1:key-secret' } }));
    expect(pair.authorization!.reveal()).toBe(`ApiKey ${Buffer.from('id1:key-secret').toString('base64')}`);
    const encoded = Buffer.from('id1:key-secret').toString('base64');
    const enc = resolveElasticsearchSettings(parse({ auth: { apiKey: encoded } }));
    expect(enc.authorization!.reveal()).toBe(`ApiKey ${encoded}`);
    expect(enc.secrets).toEqual(expect.arrayContaining([encoded, 'id1:key-secret', 'key-secret']));
    const sink = new ElasticsearchSink(parse({ auth: { apiKey: 'id1:key-secret' } }));
    const printed = `${JSON.stringify(sink)} ${inspect(sink)} ${JSON.stringify(parse({ auth: { apiKey: 'id1:key-secret' } }))}`;
    expect(printed).not.toContain('key-secret');
    expect(printed).not.toContain(encoded);
    void sink.close();
  });

  it('puts the pipeline in the query and keeps a path prefix', () => {
    const s = resolveElasticsearchSettings(parse({ url: 'https://gw.example/es/', pipeline: 'sec events' }));
    expect(s.bulkPath).toBe('/es/_bulk?pipeline=sec%20events');
    expect(resolveElasticsearchSettings(parse({ url: 'https://gw.example/es/_bulk' })).bulkPath).toBe(
      '/es/_bulk',
    );
  });

  it('refuses credentials or a query in the url', () => {
    expect(() => resolveElasticsearchSettings(parse({ url: 'https://u:p@es.example' }))).toThrow(
      /without credentials/,
    );
    expect(() => resolveElasticsearchSettings(parse({ url: 'https://es.example/?x=1' }))).toThrow(/query/);
  });

  it.each([
    [{ index: 'Logs-{tenant}' }, 'index'],
    [{ index: '{tenant}-{tenant}' }, 'index'],
    [{ maxRequestBytes: '200MiB' }, 'maxRequestBytes'],
    [{ maxEvents: 20_000 }, 'maxEvents'],
    [{ auth: { apiKey: '' } }, 'auth'],
  ])('refuses %j naming %s', (extra, key) => {
    const p = problems(extra);
    expect(p.length).toBeGreaterThan(0);
    expect(p[0]!.startsWith(key)).toBe(true);
  });
});

describe('examples/elasticsearch.yaml', () => {
  const file = join(import.meta.dirname, '../../../../examples/elasticsearch.yaml');

  it('loads, and spells out the defaults of every key it sets', () => {
    const c = loadConfig({ file, env: { ACME_ES_API_KEY: 'es-key-value' } });
    const sink = c.tenants.acme!.sink;
    if (sink.type !== 'elasticsearch') throw new Error('the example tenant must use elasticsearch');
    const minimal = revealed(sinkSchema.parse({ type: 'elasticsearch', url: sink.url })) as Record<
      string,
      unknown
    >;
    const full = revealed(sink) as Record<string, unknown>;
    const differ = Object.keys(full).filter((k) => JSON.stringify(full[k]) !== JSON.stringify(minimal[k]));
    expect(differ).toEqual(['auth']);
    expect(JSON.stringify(c)).not.toContain('es-key-value');
  });
});
