// Tests for LOGDRIVER_* overrides: the table covers every scalar key, each variable sets its key, errors name it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENV_OVERRIDES,
  Secret,
  loadConfig,
  parseEnvValue,
  resolveConfig,
  systematicEnvName,
  unknownEnvVars,
} from '../../../src/config/index.js';
import { at, failure, revealed, tempConfigDir } from './helpers.js';

const defaults = loadConfig({ env: {} });

/** Dotted paths of every scalar in the defaults; a listen address counts as one scalar; sinks are file-only. */
function scalarKeys(value: unknown, prefix: string[] = []): string[] {
  if (typeof value !== 'object' || value === null || 'port' in value) return [prefix.join('.')];
  return Object.entries(value).flatMap(([k, v]) =>
    prefix.length === 0 && (k === 'defaultSink' || k === 'tenants') ? [] : scalarKeys(v, [...prefix, k]),
  );
}

function setPath(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

describe('ENV_OVERRIDES', () => {
  it('has one variable for every scalar key of the schema, and no others', () => {
    // No default, so absent from the defaults.
    const optionalKeys = [
      'ingest.http.token',
      'admin.token',
      'stats.file',
      'tenantSource.url',
      'tenantSource.token',
      'tenantSource.caFile',
      'tenantSource.cacheFile',
    ];
    const expected = [...scalarKeys(defaults), ...optionalKeys].sort();
    expect(ENV_OVERRIDES.map((o) => o.key).sort()).toEqual(expected);
    expect(new Set(ENV_OVERRIDES.map((o) => o.name)).size).toBe(ENV_OVERRIDES.length);
  });

  it("keeps the original product's names", () => {
    const legacy = Object.fromEntries(ENV_OVERRIDES.filter((o) => o.legacy).map((o) => [o.name, o.key]));
    expect(legacy).toEqual({
      LOGDRIVER_EVENT_PRODUCER_URL: 'ingest.zmq.endpoint',
      LOGDRIVER_SINK_BATCH_SIZE: 'delivery.batchSize',
      LOGDRIVER_BUFFER_POLL_INTERVAL: 'buffer.pollIntervalMs',
      LOGDRIVER_CHANNEL_CAPACITY: 'ingest.channelCapacity',
      LOGDRIVER_CONFIG_REFRESH_INTERVAL: 'configRefreshIntervalMs',
    });
  });

  it('names every other variable LOGDRIVER_<SECTION>_<KEY>', () => {
    for (const o of ENV_OVERRIDES.filter((x) => !x.legacy)) expect(o.name).toBe(systematicEnvName(o.key));
    const byKey = Object.fromEntries(ENV_OVERRIDES.map((o) => [o.key, o.name]));
    expect(byKey).toMatchObject({
      dataDir: 'LOGDRIVER_DATA_DIR',
      'ingest.zmq.mode': 'LOGDRIVER_INGEST_ZMQ_MODE',
      'ingest.http.listen': 'LOGDRIVER_INGEST_HTTP_LISTEN',
      'ingest.http.token': 'LOGDRIVER_INGEST_HTTP_TOKEN',
      'admin.listen': 'LOGDRIVER_ADMIN_LISTEN',
      'buffer.synchronous': 'LOGDRIVER_BUFFER_SYNCHRONOUS',
      'buffer.maxBytes': 'LOGDRIVER_BUFFER_MAX_BYTES',
      'buffer.whenFull': 'LOGDRIVER_BUFFER_WHEN_FULL',
      'delivery.maxBatchAgeMs': 'LOGDRIVER_DELIVERY_MAX_BATCH_AGE_MS',
      'delivery.retry.initialMs': 'LOGDRIVER_DELIVERY_RETRY_INITIAL_MS',
      'log.level': 'LOGDRIVER_LOG_LEVEL',
      'stats.file': 'LOGDRIVER_STATS_FILE',
    });
  });

  it.each(ENV_OVERRIDES.map((o) => [o.name, o] as const))(
    '%s sets its key like the file would',
    (name, o) => {
      const fromEnv = loadConfig({ env: { [name]: o.example } });
      const parsed = parseEnvValue(o.kind, o.example);
      if ('error' in parsed) throw new Error(`example for ${name} does not parse: ${parsed.error}`);
      const fromFile = resolveConfig(setPath(o.path, parsed.value), {}).config;
      const value = at(fromEnv, o.path);
      expect(revealed(value)).toEqual(revealed(at(fromFile, o.path)));
      expect(revealed(value)).not.toEqual(revealed(at(defaults, o.path)));
      if (o.kind === 'secret') expect(value).toBeInstanceOf(Secret);
    },
  );

  it('is documented in docs/CONFIG.md, one table row per variable with its key', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/CONFIG.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('|'));
    for (const o of ENV_OVERRIDES) {
      expect(
        rows.some((r) => r.includes(`\`${o.key}\``) && r.includes(`\`${o.name}\``)),
        `${o.name} (${o.key})`,
      ).toBe(true);
    }
  });
});

describe('applying overrides', () => {
  const tmp = tempConfigDir();
  afterAll(() => tmp.cleanup());

  it('wins over the file and keeps the file’s other keys', () => {
    const file = tmp.write(
      'over.yaml',
      'buffer: { whenFull: drop_newest, maxBytes: 1GiB }\ndelivery: { batchSize: 10 }\n',
    );
    const c = loadConfig({
      file,
      env: {
        LOGDRIVER_SINK_BATCH_SIZE: '20',
        LOGDRIVER_BUFFER_MAX_BYTES: '2GiB',
        LOGDRIVER_EVENT_PRODUCER_URL: 'tcp://10.0.0.1:7000',
      },
    });
    expect(c.delivery.batchSize).toBe(20);
    expect(c.buffer.maxBytes).toBe(2 * 1024 ** 3);
    expect(c.buffer.whenFull).toBe('drop_newest');
    expect(c.ingest.zmq.endpoint).toBe('tcp://10.0.0.1:7000');
  });

  it('uses the original names for the original settings', () => {
    const c = loadConfig({
      env: {
        LOGDRIVER_BUFFER_POLL_INTERVAL: '100',
        LOGDRIVER_CHANNEL_CAPACITY: '7',
        LOGDRIVER_CONFIG_REFRESH_INTERVAL: '15000',
      },
    });
    expect(c.buffer.pollIntervalMs).toBe(100);
    expect(c.ingest.channelCapacity).toBe(7);
    expect(c.configRefreshIntervalMs).toBe(15_000);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ env: { LOGDRIVER_LOG_LEVEL: '', LOGDRIVER_SINK_BATCH_SIZE: '' } })).toEqual(defaults);
  });

  it('parses booleans in the usual spellings', () => {
    expect(loadConfig({ env: { LOGDRIVER_ADMIN_ENABLED: 'OFF' } }).admin.enabled).toBe(false);
    expect(loadConfig({ env: { LOGDRIVER_ADMIN_ENABLED: 'yes' } }).admin.enabled).toBe(true);
    expect(parseEnvValue('boolean', 'maybe')).toEqual({ error: 'not a boolean (use true or false)' });
    expect(parseEnvValue('number', ' 12 ')).toEqual({ value: 12 });
  });

  it('reports a bad value as NAME (key): reason, for every bad variable, without the value', () => {
    const err = failure(() =>
      loadConfig({
        env: {
          LOGDRIVER_SINK_BATCH_SIZE: 'abc-value',
          LOGDRIVER_BUFFER_MAX_BYTES: 'xyz-value',
          LOGDRIVER_LOG_LEVEL: 'loud-value',
          LOGDRIVER_ADMIN_ENABLED: 'perhaps-value',
          LOGDRIVER_INGEST_HTTP_LISTEN: 'nowhere-value',
        },
      }),
    );
    expect(err.message).toContain('LOGDRIVER_SINK_BATCH_SIZE (delivery.batchSize): not a number');
    expect(err.message).toContain('LOGDRIVER_BUFFER_MAX_BYTES (buffer.maxBytes): not a byte size');
    expect(err.message).toContain('LOGDRIVER_LOG_LEVEL (log.level): ');
    expect(err.message).toContain('LOGDRIVER_ADMIN_ENABLED (admin.enabled): not a boolean');
    expect(err.message).toContain('LOGDRIVER_INGEST_HTTP_LISTEN (ingest.http.listen): not a listen address');
    expect(err.problems).toHaveLength(5);
    expect(err.message).not.toMatch(/-value/);
  });

  it('blames a variable for a range error and a cross-field rule it broke', () => {
    const err = failure(() => loadConfig({ env: { LOGDRIVER_DELIVERY_RETRY_INITIAL_MS: '999999' } }));
    expect(err.message).toContain(
      'LOGDRIVER_DELIVERY_RETRY_INITIAL_MS (delivery.retry.initialMs): must not exceed delivery.retry.maxMs',
    );
    expect(failure(() => loadConfig({ env: { LOGDRIVER_SINK_BATCH_SIZE: '0' } })).message).toContain(
      'LOGDRIVER_SINK_BATCH_SIZE (delivery.batchSize): ',
    );
  });
});

describe('unknownEnvVars', () => {
  it('lists LOGDRIVER_* variables that are neither overrides nor referenced, sorted', () => {
    const env = {
      LOGDRIVER_TYPO: '1',
      LOGDRIVER_ACME_TOKEN: 'secret',
      LOGDRIVER_LOG_LEVEL: 'info',
      LOGDRIVER_A_TYPO: '2',
      PATH: '/usr/bin',
    };
    expect(unknownEnvVars(env)).toEqual(['LOGDRIVER_ACME_TOKEN', 'LOGDRIVER_A_TYPO', 'LOGDRIVER_TYPO']);
    expect(unknownEnvVars(env, ['LOGDRIVER_ACME_TOKEN'])).toEqual(['LOGDRIVER_A_TYPO', 'LOGDRIVER_TYPO']);
  });

  it('does not make unknown variables an error', () => {
    expect(loadConfig({ env: { LOGDRIVER_WHATEVER: 'x' } })).toEqual(defaults);
  });
});
