// Tests for loadConfig: defaults, YAML/JSON files, error reporting, ${VAR} interpolation, secrets and freezing.
import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, isLogdriverError } from '../../../src/errors.js';
import {
  ConfigError,
  Secret,
  describeConfigError,
  loadConfig,
  loadConfigDetailed,
  resolveConfig,
} from '../../../src/config/index.js';
import { revealed, tempConfigDir } from './helpers.js';

const tmp = tempConfigDir();
afterAll(() => tmp.cleanup());
afterEach(() => {
  vi.unstubAllEnvs();
});

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be refused');
}

describe('loadConfig without a file', () => {
  it('gives every documented default', () => {
    const c = loadConfig({ env: {} });
    expect(c.dataDir).toBe('./data');
    expect(c.ingest.zmq).toEqual({
      enabled: true,
      endpoint: 'tcp://127.0.0.1:5555',
      mode: 'bind',
      highWaterMark: 10_000,
    });
    expect(c.ingest.http.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(c.ingest.http.token).toBeUndefined();
    expect(c.ingest.http.maxBodyBytes).toBe(16 * 1024 ** 2);
    expect(c.ingest.maxEventBytes).toBe(1024 ** 2);
    expect(c.admin.listen).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.buffer).toMatchObject({ synchronous: 'full', maxBytes: 10 * 1024 ** 3, whenFull: 'block' });
    expect(c.delivery).toMatchObject({ batchSize: 1000, maxBatchAgeMs: 2000, retry: { initialMs: 500, maxMs: 60_000 } });
    expect(c.defaultSink).toEqual({ type: 'stdout' });
    expect(c.tenants).toEqual({});
    expect(c.configRefreshIntervalMs).toBe(0);
    expect(c.log.level).toBe('info');
    expect(c.stats.file).toBeUndefined();
  });

  it('reads process.env when no env is passed', () => {
    vi.stubEnv('LOGDRIVER_LOG_LEVEL', 'trace');
    expect(loadConfig().log.level).toBe('trace');
  });

  it('treats an empty file as no settings at all', () => {
    const file = tmp.write('empty.yaml', '\n# nothing here\n');
    expect(loadConfig({ file, env: {} })).toEqual(loadConfig({ env: {} }));
  });
});

describe('file formats', () => {
  const yaml = `dataDir: ./d\nbuffer:\n  maxBytes: 1GiB\ntenants:\n  acme:\n    sink: { type: http, url: "https://a.example/x", auth: { bearer: "\${TOK}" } }\n`;
  const json = JSON.stringify({
    dataDir: './d',
    buffer: { maxBytes: '1GiB' },
    tenants: { acme: { sink: { type: 'http', url: 'https://a.example/x', auth: { bearer: '${TOK}' } } } },
  });

  it('loads a YAML file and a JSON file of the same shape to equal configs', () => {
    const env = { TOK: 'token-1' };
    const a = loadConfig({ file: tmp.write('same.yaml', yaml), env });
    const b = loadConfig({ file: tmp.write('same.json', json), env });
    expect(revealed(a)).toEqual(revealed(b));
    expect(a.buffer.maxBytes).toBe(1024 ** 3);
    expect(a.dataDir).toBe('./d');
  });

  it('reads a file without a .json extension as YAML, which includes JSON syntax', () => {
    const c = loadConfig({ file: tmp.write('flow.conf', json), env: { TOK: 't' } });
    expect(c.dataDir).toBe('./d');
  });
});

describe('read errors', () => {
  it('names a missing file', () => {
    const err = failure(() => loadConfig({ file: '/nonexistent/logdriver.yaml', env: {} }));
    expect(err.code).toBe(ErrorCodes.CONFIG_READ);
    expect(err.message).toContain('/nonexistent/logdriver.yaml');
    expect(err.message).toContain('no such file');
  });

  it('refuses a directory', () => {
    const dir = tmp.write('x.yaml', 'a: 1').replace(/x\.yaml$/, '');
    expect(failure(() => loadConfig({ file: dir, env: {} })).code).toBe(ErrorCodes.CONFIG_READ);
  });

  it('reports broken YAML with the file and line, without quoting the file', () => {
    const file = tmp.write('broken.yaml', 'dataDir: ./d\nsecretish: inline-hunter2\nbuffer: [1, 2\nlog: {}\n');
    const err = failure(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe(ErrorCodes.CONFIG_READ);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/line [34]\b/);
    expect(err.message).not.toContain('inline-hunter2');
    expect(err.cause).toBeUndefined();
  });

  it('reports duplicate keys in YAML', () => {
    const file = tmp.write('dup.yaml', 'dataDir: a\ndataDir: b\n');
    const err = failure(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe(ErrorCodes.CONFIG_READ);
    expect(err.message).toContain('line 2');
  });

  it('reports broken JSON with a line, without quoting the file', () => {
    const file = tmp.write('broken.json', '{\n  "dataDir": "inline-hunter2",\n  "log": }\n');
    const err = failure(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe(ErrorCodes.CONFIG_READ);
    expect(err.message).toContain(file);
    expect(err.message).not.toContain('inline-hunter2');
  });

  it('gives a line for JSON errors that V8 reports with a position', () => {
    const file = tmp.write('position.json', '{\n  "dataDir": "./d"\n  "log": {}\n}\n');
    expect(failure(() => loadConfig({ file, env: {} })).message).toContain('line 3');
  });
});

describe('validation errors', () => {
  it('names unknown keys at every depth', () => {
    const err = failure(() =>
      resolveConfig(
        {
          colour: 'blue',
          buffer: { fooBar: 1 },
          delivery: { retry: { jitter: true } },
          tenants: { acme: { sink: { type: 'http', url: 'https://a.example', bogus: 1 }, extra: 2 } },
        },
        {},
      ),
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_INVALID);
    for (const key of [
      'colour',
      'buffer.fooBar',
      'delivery.retry.jitter',
      'tenants.acme.sink.bogus',
      'tenants.acme.extra',
    ]) {
      expect(err.message).toContain(`${key}: unknown key`);
    }
    expect(err.problems).toHaveLength(5);
  });

  it('lists every bad value, each as key: reason', () => {
    const err = failure(() =>
      resolveConfig(
        {
          buffer: { maxBytes: 'lots', whenFull: 'panic', synchronous: 'sometimes' },
          admin: { listen: 'nowhere' },
          delivery: { batchSize: 0 },
          tenants: { acme: { sink: { type: 'http', url: 'not a url' } } },
          defaultSink: { type: 'splunk' },
        },
        {},
      ),
    );
    const keys = err.problems.map((p) => p.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'buffer.maxBytes',
        'buffer.whenFull',
        'buffer.synchronous',
        'admin.listen',
        'delivery.batchSize',
        'tenants.acme.sink.url',
        'defaultSink.type',
      ]),
    );
    expect(err.message).toContain('buffer.maxBytes: not a byte size');
    expect(err.message).toContain('tenants.acme.sink.url: Invalid URL');
    expect(err.message).toContain('defaultSink.type: must be one of: stdout, http');
    expect(isLogdriverError(err, ErrorCodes.CONFIG_INVALID)).toBe(true);
  });

  it('checks cross-field rules', () => {
    const err = failure(() => resolveConfig({ delivery: { retry: { initialMs: 5000, maxMs: 100 } } }, {}));
    expect(err.message).toContain('delivery.retry.initialMs: must not exceed delivery.retry.maxMs');
  });

  it('quotes tenant ids that are not plain words in key paths', () => {
    const err = failure(() => resolveConfig({ tenants: { 'acme.eu': { sink: { type: 'http' } } } }, {}));
    expect(err.message).toContain('tenants["acme.eu"].sink.url: required');
  });

  it('refuses a __proto__ key instead of letting it vanish', () => {
    const raw = JSON.parse('{"tenants": {"__proto__": {"sink": {"type": "stdout"}}}}') as unknown;
    expect(failure(() => resolveConfig(raw, {})).message).toContain('tenants.__proto__: reserved name');
  });

  it('formats errors for a failed start', () => {
    const err = failure(() => resolveConfig({ log: { level: 'loud' } }, {}));
    expect(describeConfigError(err)).toMatch(/^logdriver: invalid configuration[^]*log\.level: /);
    expect(describeConfigError(new Error('boom'))).toBe('logdriver: configuration error: boom');
  });
});

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
          tenants: { acme: { sink: { type: 'http', url: 'https://a.example', auth: { bearer: '${ACME_TOKEN}' } } } },
          ingest: { http: { token: 'x-${INGEST_TOKEN}' } },
          dataDir: '${SET_VAR}',
        },
        { SET_VAR: 'value-that-must-not-show' },
        'cfg.yaml',
      ),
    );
    expect(err.code).toBe(ErrorCodes.CONFIG_SECRET_MISSING);
    expect(err.message).toContain('tenants.acme.sink.auth.bearer: environment variable ACME_TOKEN is not set');
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
          b: { sink: { type: 'http', url: 'https://b.example', auth: { basic: { username: 'u', password: '${B}' } } } },
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

describe('the result', () => {
  it('is deeply frozen', () => {
    const c = resolveConfig(
      { tenants: { acme: { sink: { type: 'http', url: 'https://a.example', auth: { bearer: 't' } } } } },
      {},
    ).config;
    const mutable = c as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(() => {
      mutable.dataDir = '/tmp/elsewhere';
    }).toThrow(TypeError);
    expect(() => {
      mutable.buffer.maxBytes = 1;
    }).toThrow(TypeError);
    expect(() => {
      mutable.ingest.http.listen.port = 1;
    }).toThrow(TypeError);
    expect(() => {
      mutable.tenants.evil = { sink: { type: 'stdout' } };
    }).toThrow(TypeError);
    expect(() => {
      mutable.tenants.acme.sink.headers['X-New'] = 'v';
    }).toThrow(TypeError);
    expect(Object.isFrozen(c.tenants.acme!.sink)).toBe(true);
    expect(c.dataDir).toBe('./data');
  });

  it('comes with the applied overrides and the unknown LOGDRIVER_* variables', () => {
    const file = tmp.write('detailed.yaml', 'defaultSink: { type: http, url: "https://d.example", headers: { X: "${LOGDRIVER_SINK_KEY}" } }\n');
    const r = loadConfigDetailed({
      file,
      env: { LOGDRIVER_SINK_KEY: 'k', LOGDRIVER_LOG_LEVEL: 'warn', LOGDRIVER_TYPO_LEVEL: 'x', PATH: '/bin' },
    });
    expect(r.file).toBe(file);
    expect(r.envApplied).toEqual([{ name: 'LOGDRIVER_LOG_LEVEL', key: 'log.level' }]);
    expect(r.unknownEnv).toEqual(['LOGDRIVER_TYPO_LEVEL']);
    expect(r.config.log.level).toBe('warn');
  });
});
