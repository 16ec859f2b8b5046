// Tests for loadConfig: defaults, YAML/JSON files, read and validation errors, the frozen result.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, isLogdriverError } from '../../../src/errors.js';
import type { HttpSinkConfig } from '../../../src/sinks/index.js';
import {
  describeConfigError,
  loadConfig,
  loadConfigDetailed,
  resolveConfig,
} from '../../../src/config/index.js';
import { failure, revealed, tempConfigDir } from './helpers.js';

const tmp = tempConfigDir();
afterAll(() => tmp.cleanup());
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('loadConfig without a file', () => {
  it('gives every documented default', () => {
    const c = loadConfig({ env: {} });
    expect(c.dataDir).toBe('./data');
    expect(c.ingest.zmq).toEqual({
      enabled: true,
      endpoint: 'tcp://127.0.0.1:5555',
      mode: 'bind',
      highWaterMark: 1_000,
    });
    expect(c.ingest.http.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(c.ingest.http.token).toBeUndefined();
    expect(c.ingest.http.maxBodyBytes).toBe(16 * 1024 ** 2);
    expect(c.ingest.maxEventBytes).toBe(1024 ** 2);
    expect(c.admin.listen).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.buffer).toMatchObject({ synchronous: 'full', maxBytes: 10 * 1024 ** 3, whenFull: 'block' });
    expect(c.delivery).toMatchObject({
      batchSize: 1000,
      maxBatchAgeMs: 2000,
      retry: { initialMs: 500, maxMs: 60_000 },
    });
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
    const file = tmp.write(
      'broken.yaml',
      'dataDir: ./d\nsecretish: inline-hunter2\nbuffer: [1, 2\nlog: {}\n',
    );
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
    expect(describeConfigError(err)).toMatch(/^invalid configuration[^]*\n {2}log\.level: /);
    expect(describeConfigError(new Error('boom'))).toBe('configuration error: boom');
  });
});

describe('the result', () => {
  it('is deeply frozen', () => {
    const c = resolveConfig(
      { tenants: { acme: { sink: { type: 'http', url: 'https://a.example', auth: { bearer: 't' } } } } },
      {},
    ).config;
    // ESM test files run in strict mode, where writing to a frozen object throws instead of doing nothing.
    const assign = (target: object, key: string, value: unknown) => () => {
      (target as Record<string, unknown>)[key] = value;
    };
    const sink = c.tenants.acme!.sink as HttpSinkConfig;
    expect(assign(c, 'dataDir', '/tmp/elsewhere')).toThrow(TypeError);
    expect(assign(c.buffer, 'maxBytes', 1)).toThrow(TypeError);
    expect(assign(c.ingest.http.listen, 'port', 1)).toThrow(TypeError);
    expect(assign(c.delivery.retry, 'maxMs', 1)).toThrow(TypeError);
    expect(assign(c.tenants, 'evil', { sink: { type: 'stdout' } })).toThrow(TypeError);
    expect(assign(sink.headers, 'X-New', 'v')).toThrow(TypeError);
    expect(assign(sink.auth!, 'bearer', 'other')).toThrow(TypeError);
    expect(Object.isFrozen(c.tenants.acme!.sink)).toBe(true);
    expect(c.dataDir).toBe('./data');
  });

  it('comes with the applied overrides and the unknown LOGDRIVER_* variables', () => {
    const file = tmp.write(
      'detailed.yaml',
      'defaultSink: { type: http, url: "https://d.example", headers: { X: "${LOGDRIVER_SINK_KEY}" } }\n',
    );
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
