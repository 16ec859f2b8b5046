// Config mistakes that each field alone cannot show: the admin listener on the HTTP ingest's address, and an
// http sink given both forms of auth. Each must be refused at load with one message saying exactly that.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, sinkSchema } from '../../../src/config/index.js';
import { failure, tempConfigDir } from './helpers.js';

const tmp = tempConfigDir();
afterAll(() => tmp.cleanup());

const load = (name: string, text: string) => () => loadConfig({ file: tmp.write(name, text), env: {} });

describe('admin.listen against ingest.http.listen', () => {
  it.each([
    ['the same address', '127.0.0.1:9000', '127.0.0.1:9000'],
    ['a wildcard over a loopback address', '0.0.0.0:9000', '127.0.0.1:9000'],
    ['a loopback address under an IPv6 wildcard', '127.0.0.1:9000', '[::]:9000'],
  ])('refuses %s, naming admin.listen', (_, admin, http) => {
    const err = failure(
      load('same.yaml', `admin: { listen: "${admin}" }\ningest: { http: { listen: "${http}" } }\n`),
    );
    expect(err.problems).toEqual([
      { key: 'admin.listen', message: 'must differ from ingest.http.listen (both use port 9000)' },
    ]);
  });

  it.each([
    [
      'different ports',
      'admin: { listen: "127.0.0.1:9001" }\ningest: { http: { listen: "127.0.0.1:9000" } }',
    ],
    [
      'different hosts',
      'admin: { listen: "127.0.0.2:9000" }\ningest: { http: { listen: "127.0.0.1:9000" } }',
    ],
    [
      'both on port 0 (any free port)',
      'admin: { listen: "127.0.0.1:0" }\ningest: { http: { listen: "127.0.0.1:0" } }',
    ],
    [
      'the HTTP ingest disabled',
      'admin: { listen: "127.0.0.1:9000" }\ningest: { http: { enabled: false, listen: "127.0.0.1:9000" } }',
    ],
    [
      'the admin listener disabled',
      'admin: { enabled: false, listen: "127.0.0.1:9000" }\ningest: { http: { listen: "127.0.0.1:9000" } }',
    ],
  ])('accepts %s', (_, text) => {
    expect(() => load('ok.yaml', text)()).not.toThrow();
  });
});

describe('http sink auth', () => {
  const sink = (auth: string) =>
    `tenants:\n  acme:\n    sink: { type: http, url: "https://logs.example/in", auth: ${auth} }\n`;

  it('refuses bearer and basic together with one message saying so', () => {
    const err = failure(load('both.yaml', sink('{ bearer: t0k3n, basic: { username: u, password: p } }')));
    expect(err.problems).toEqual([
      { key: 'tenants.acme.sink.auth', message: 'set either bearer or basic, not both' },
    ]);
    expect(err.message).not.toContain('t0k3n');
  });

  it('still takes either form alone, and still explains a bad one', () => {
    expect(() => load('bearer.yaml', sink('{ bearer: t0k3n }'))()).not.toThrow();
    expect(() => load('basic.yaml', sink('{ basic: { username: u, password: p } }'))()).not.toThrow();
    const err = failure(load('nopass.yaml', sink('{ basic: { username: u } }')));
    expect(err.problems).toEqual([{ key: 'tenants.acme.sink.auth.basic.password', message: 'required' }]);
  });
});

describe('sink payload limits', () => {
  it('refuses request or event limits under 1KiB, which would dead-letter every event', () => {
    for (const sink of [
      { type: 'http', url: 'http://127.0.0.1:9/x', limits: { maxEventBytes: 100 } },
      { type: 'http', url: 'http://127.0.0.1:9/x', limits: { maxRequestBytes: 0 } },
      { type: 'splunk_hec', url: 'http://127.0.0.1:9', token: 't', maxRequestBytes: '512B' },
    ]) {
      const r = sinkSchema.safeParse(sink);
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain('at least 1KiB');
    }
    expect(
      sinkSchema.safeParse({
        type: 'splunk_hec',
        url: 'http://127.0.0.1:9',
        token: 't',
        maxRequestBytes: '1KiB',
      }).success,
    ).toBe(true);
  });
});
