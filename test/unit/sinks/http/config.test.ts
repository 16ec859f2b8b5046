// Tests for HTTP sink settings: headers and auth, config errors, and that secrets never print.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../../src/config/schema.js';
import type { HttpSinkConfig } from '../../../../src/sinks/index.js';
import { isLogdriverError, ErrorCodes } from '../../../../src/errors.js';
import { renderHeaders, resolveHttpSettings, secretValues } from '../../../../src/sinks/http/config.js';
import { HttpSink } from '../../../../src/sinks/http/sink.js';

const TOKEN = 'tok-9f8e7d6c5b4a';
const PASSWORD = 'pa55-w0rd-xyz';

function httpConfig(extra: Record<string, unknown> = {}): HttpSinkConfig {
  const parsed = sinkSchema.parse({
    type: 'http',
    url: 'https://siem.example:8443/ingest?x=1#frag',
    ...extra,
  });
  if (parsed.type !== 'http') throw new Error('expected an http sink config');
  return parsed;
}

function expectSinkConfigError(fn: () => unknown, text: string): void {
  try {
    fn();
  } catch (err) {
    expect(isLogdriverError(err, ErrorCodes.SINK_CONFIG)).toBe(true);
    expect((err as Error).message).toContain(text);
    return;
  }
  throw new Error('expected a SINK_CONFIG error');
}

describe('resolveHttpSettings', () => {
  it('splits the URL into origin and path and applies defaults', () => {
    const s = resolveHttpSettings(httpConfig());
    expect(s).toMatchObject({
      origin: 'https://siem.example:8443',
      path: '/ingest?x=1',
      url: 'https://siem.example:8443/ingest?x=1',
      format: 'ndjson',
      gzip: false,
      timeoutMs: 30_000,
      maxConnections: 4,
      caFile: undefined,
    });
    expect(renderHeaders(s)).toEqual({ 'content-type': 'application/x-ndjson' });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('bearer auth => Authorization: Bearer <token>', () => {
    const s = resolveHttpSettings(httpConfig({ auth: { bearer: TOKEN } }));
    expect(renderHeaders(s).authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('basic auth => Authorization: Basic base64(user:pass)', () => {
    const s = resolveHttpSettings(
      httpConfig({ auth: { basic: { username: 'ingest', password: PASSWORD } } }),
    );
    const value = renderHeaders(s).authorization ?? '';
    expect(value.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(value.slice(6), 'base64').toString()).toBe(`ingest:${PASSWORD}`);
  });

  it('json_array + gzip => application/json; Content-Encoding is left to the request loop', () => {
    const s = resolveHttpSettings(httpConfig({ format: 'json_array', gzip: true }));
    expect(s.gzip).toBe(true);
    // The shared request loop sets Content-Encoding on the bytes it compressed, so config never claims it.
    expect(renderHeaders(s)).toEqual({ 'content-type': 'application/json' });
  });

  it('custom headers are lower-cased; a configured content-type wins', () => {
    const s = resolveHttpSettings(
      httpConfig({
        headers: { 'X-Splunk-Channel': 'chan-1', 'Content-Type': 'application/x-ndjson; charset=utf-8' },
      }),
    );
    expect(renderHeaders(s)).toEqual({
      'x-splunk-channel': 'chan-1',
      'content-type': 'application/x-ndjson; charset=utf-8',
    });
  });

  it('rejects what would corrupt the request or leak a credential', () => {
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ url: 'https://u:p@siem.example/' })),
      'credentials',
    );
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ headers: { 'Content-Length': '1' } })),
      'Content-Length',
    );
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ headers: { 'bad name': 'v' } })),
      'valid header name',
    );
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ headers: { 'X-A': 'a\r\nX-B: b' } })),
      'CR, LF',
    );
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ headers: { Authorization: 'x' }, auth: { bearer: TOKEN } })),
      'not both',
    );
    expectSinkConfigError(
      () => resolveHttpSettings(httpConfig({ auth: { basic: { username: 'a:b', password: PASSWORD } } })),
      'username',
    );
  });

  it('error messages never quote a header value', () => {
    try {
      resolveHttpSettings(httpConfig({ headers: { 'X-Key': `${TOKEN}\n` } }));
    } catch (err) {
      expect(inspect(err)).not.toContain(TOKEN);
      return;
    }
    throw new Error('expected an error');
  });

  it('secretValues lists the revealed credentials for scrubbing, and only those', () => {
    const s = resolveHttpSettings(httpConfig({ auth: { bearer: TOKEN } }));
    expect(secretValues(s)).toEqual([`Bearer ${TOKEN}`, TOKEN]);
  });
});

describe('secrets never print', () => {
  const configs = [
    httpConfig({ auth: { bearer: TOKEN }, headers: { 'X-Api-Key': TOKEN } }),
    httpConfig({ auth: { basic: { username: 'ingest', password: PASSWORD } } }),
  ];
  const basic64 = Buffer.from(`ingest:${PASSWORD}`).toString('base64');

  it.each(configs.map((c, i) => [i, c] as const))(
    'settings #%i: JSON.stringify and util.inspect',
    (_i, cfg) => {
      const s = resolveHttpSettings(cfg);
      for (const text of [JSON.stringify(s), inspect(s, { depth: Infinity, showHidden: true })]) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(basic64);
        expect(text).toContain('[redacted]');
      }
    },
  );

  it.each(configs.map((c, i) => [i, c] as const))(
    'sink #%i: JSON.stringify, util.inspect, String',
    async (_i, cfg) => {
      const sink = new HttpSink(cfg);
      try {
        for (const text of [
          JSON.stringify(sink),
          inspect(sink, { depth: Infinity, showHidden: true }),
          inspect({ sink }, { depth: Infinity }),
          JSON.stringify(sink.settings),
          inspect(sink.settings, { depth: Infinity, showHidden: true }),
        ]) {
          expect(text).not.toContain(TOKEN);
          expect(text).not.toContain(PASSWORD);
          expect(text).not.toContain(basic64);
        }
        expect(JSON.stringify(sink)).toBe(
          JSON.stringify({ type: 'http', url: 'https://siem.example:8443/ingest?x=1' }),
        );
      } finally {
        await sink.close();
      }
    },
  );
});
