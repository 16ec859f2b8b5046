// Tests for ${VAR} interpolation and for keeping secret values out of output and error messages.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { Secret, resolveConfig } from '../../../src/config/index.js';
import { failure, revealed } from './helpers.js';

describe('${VAR} interpolation', () => {
  it('replaces whole and embedded references, several per string', () => {
    const c = resolveConfig(
      {
        dataDir: '${BASE}/data',
        defaultSink: {
          type: 'http',
          url: 'https://${HOST}:${PORT}/ingest',
          headers: { Authorization: 'Bearer ${TOKEN}', 'X-Key': '${TOKEN}' },
        },
      },
      { BASE: '/srv', HOST: 'siem.example', PORT: '8443', TOKEN: 'tk' },
    ).config;
    expect(c.dataDir).toBe('/srv/data');
    expect(c.defaultSink.type === 'http' && c.defaultSink.url).toBe('https://siem.example:8443/ingest');
    expect(revealed(c.defaultSink)).toMatchObject({
      headers: { Authorization: { secret: 'Bearer tk' }, 'X-Key': { secret: 'tk' } },
    });
  });

  it('turns $${ into a literal ${ and leaves other dollars alone', () => {
    const c = resolveConfig({ dataDir: 'a$${NOT_A_VAR}b$$c$d' }, {}).config;
    expect(c.dataDir).toBe('a${NOT_A_VAR}b$$c$d');
  });

  it('does not interpolate keys or values set by environment overrides', () => {
    const c = resolveConfig({}, { LOGDRIVER_DATA_DIR: '${HOME}/x', HOME: '/home/u' }).config;
    expect(c.dataDir).toBe('${HOME}/x');
  });

  it('names the key and the variable when a variable is unset, never a value', () => {
    const err = failure(() =>
      resolveConfig(
        {
          tenants: {
            acme: { sink: { type: 'http', url: 'https://a.example', auth: { bearer: '${ACME_TOKEN}' } } },
          },
          ingest: { http: { token: 'x-${INGEST_TOKEN}' } },
          dataDir: '${SET_VAR}',
        },
        { SET_VAR: 'value-that-must-not-show' },
        'cfg.yaml',
      ),
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_SECRET_MISSING);
    expect(err.message).toContain(
      'tenants.acme.sink.auth.bearer: environment variable ACME_TOKEN is not set',
    );
    expect(err.message).toContain('ingest.http.token: environment variable INGEST_TOKEN is not set');
    expect(err.message).toContain('cfg.yaml');
    expect(err.message).not.toContain('value-that-must-not-show');
  });

  it('refuses a malformed reference without quoting the value', () => {
    const err = failure(() => resolveConfig({ ingest: { http: { token: 'abc-secret-${oops' } } }, {}));
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err.message).toContain('ingest.http.token: malformed ${...} reference');
    expect(err.message).not.toContain('abc-secret');
  });

  it('never puts an interpolated value into a validation error', () => {
    const value = 'sup3r-s3cret-value';
    const err = failure(() =>
      resolveConfig(
        {
          dataDir: '',
          buffer: { maxBytes: '${S}', whenFull: '${S}' },
          admin: { listen: '${S}' },
          ingest: { zmq: { endpoint: '${S}' } },
          defaultSink: { type: 'http', url: '${S}', headers: { 'X-A': '${S}' }, format: '${S}' },
        },
        { S: value },
      ),
    );
    expect(err.problems.length).toBeGreaterThanOrEqual(6);
    expect(err.message).not.toContain(value);
    expect(JSON.stringify(err.problems)).not.toContain(value);
    expect(inspect(err, { depth: 10 })).not.toContain(value);
  });
});

describe('secrets in the loaded config', () => {
  it('never show in JSON.stringify or util.inspect, yet reveal() gives them', () => {
    const env = { A: 'bearer-value-1', B: 'basic-pass-2', C: 'header-value-3', D: 'ingest-token-4' };
    const c = resolveConfig(
      {
        ingest: { http: { token: '${D}' } },
        defaultSink: { type: 'http', url: 'https://d.example', headers: { 'X-K': '${C}' } },
        tenants: {
          a: { sink: { type: 'http', url: 'https://a.example', auth: { bearer: '${A}' } } },
          b: {
            sink: {
              type: 'http',
              url: 'https://b.example',
              auth: { basic: { username: 'u', password: '${B}' } },
            },
          },
        },
      },
      env,
    ).config;
    const shown = [JSON.stringify(c), inspect(c, { depth: 10 }), String(c.ingest.http.token)];
    for (const text of shown) {
      for (const secret of Object.values(env)) expect(text).not.toContain(secret);
    }
    expect(c.ingest.http.token).toBeInstanceOf(Secret);
    expect(c.ingest.http.token?.reveal()).toBe('ingest-token-4');
    expect(revealed(c.tenants)).toMatchObject({
      a: { sink: { auth: { bearer: { secret: 'bearer-value-1' } } } },
      b: { sink: { auth: { basic: { username: 'u', password: { secret: 'basic-pass-2' } } } } },
    });
  });
});
