// Every good example config loads; every bad one fails naming the key its first line expects; the annotated example loads.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { ConfigError, Secret, loadConfig, sinkSchema } from '../../../src/config/index.js';
import { revealed } from './helpers.js';

const root = join(import.meta.dirname, '../../fixtures/config');
const env = { FIXTURE_TOKEN: 'fixture-token-value', FIXTURE_PASSWORD: 'fixture-password-value' };

function files(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
}

describe('good fixtures', () => {
  const good = files('good');
  it('exist', () => {
    expect(good.length).toBeGreaterThanOrEqual(5);
  });

  it.each(good)('%s loads', (name) => {
    const config = loadConfig({ file: join(root, 'good', name), env });
    expect(Object.isFrozen(config)).toBe(true);
    const text = JSON.stringify(config);
    for (const secret of Object.values(env)) expect(text).not.toContain(secret);
  });

  it('tenants.yaml and tenants.json give equal configs', () => {
    const a = loadConfig({ file: join(root, 'good/tenants.yaml'), env });
    const b = loadConfig({ file: join(root, 'good/tenants.json'), env });
    expect(revealed(a)).toEqual(revealed(b));
    expect(Object.keys(a.tenants)).toEqual(['acme', 'globex', 'initech']);
  });

  it('full.yaml sets what it says, including an escaped ${', () => {
    const c = loadConfig({ file: join(root, 'good/full.yaml'), env });
    expect(c.ingest.http.listen).toEqual({ host: '::1', port: 0 });
    expect(c.delivery.maxBatchBytes).toBe(1_000_000);
    expect(revealed(c.defaultSink)).toMatchObject({
      headers: {
        'X-Api-Key': { secret: env.FIXTURE_TOKEN },
        'X-Literal': { secret: 'cost is ${not_a_var}' },
      },
    });
  });
});

describe('bad fixtures', () => {
  const bad = files('bad');
  it('exist', () => {
    expect(bad.length).toBeGreaterThanOrEqual(20);
  });

  it.each(bad)('%s fails naming the expected key', (name) => {
    const file = join(root, 'bad', name);
    const expected = /^# expect: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1];
    expect(expected, 'first line must be "# expect: <key>"').toBeDefined();
    let error: unknown;
    try {
      loadConfig({ file, env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const err = error as ConfigError;
    expect([ErrorCodes.CONFIG_INVALID, ErrorCodes.CONFIG_SECRET_MISSING]).toContain(err.code);
    expect(err.message).toContain(expected);
    expect(err.problems.map((p) => p.key)).toContain(expected);
  });
});

describe('examples/logdriver.yaml', () => {
  const file = join(import.meta.dirname, '../../../examples/logdriver.yaml');
  const exampleEnv = { ACME_TOKEN: 'acme-token-value', GLOBEX_PASSWORD: 'globex-password-value' };

  it('loads when its variables are set', () => {
    const c = loadConfig({ file, env: exampleEnv });
    const acme = c.tenants.acme!.sink;
    const globex = c.tenants.globex!.sink;
    if (acme.type !== 'http' || globex.type !== 'http')
      throw new Error('example tenants must use http sinks');
    expect(acme.gzip).toBe(true);
    expect(acme.auth && 'bearer' in acme.auth && acme.auth.bearer.reveal()).toBe('acme-token-value');
    expect(globex.auth && 'basic' in globex.auth && globex.auth.basic.password).toBeInstanceOf(Secret);
    expect(revealed(globex.auth)).toEqual({
      basic: { username: 'logdriver', password: { secret: 'globex-password-value' } },
    });
    // The example spells out the defaults: apart from its tenants it must equal a config with no file.
    expect(revealed({ ...c, tenants: {} })).toEqual(revealed(loadConfig({ env: {} })));
  });

  it('names ACME_TOKEN when it is not set', () => {
    let error: unknown;
    try {
      loadConfig({ file, env: { GLOBEX_PASSWORD: 'x' } });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).code).toBe(ErrorCodes.CONFIG_SECRET_MISSING);
    expect((error as ConfigError).message).toContain(
      'tenants.acme.sink.auth.bearer: environment variable ACME_TOKEN',
    );
  });
});

describe('examples of the SIEM sinks', () => {
  const dir = join(import.meta.dirname, '../../../examples');
  /** The sink as written, against the same sink given only its required keys: what differs is not a default. */
  function differences(sink: Record<string, unknown>, required: Record<string, unknown>): string[] {
    const minimal = revealed(sinkSchema.parse(required)) as Record<string, unknown>;
    const full = revealed(sink) as Record<string, unknown>;
    return Object.keys(full).filter((k) => JSON.stringify(full[k]) !== JSON.stringify(minimal[k]));
  }

  it('examples/splunk-hec.yaml loads, and spells out the defaults of every key it sets', () => {
    const c = loadConfig({ file: join(dir, 'splunk-hec.yaml'), env: { ACME_HEC_TOKEN: 'hec-token-value' } });
    const sink = c.tenants.acme!.sink;
    if (sink.type !== 'splunk_hec') throw new Error('the example tenant must use splunk_hec');
    expect(sink.token.reveal()).toBe('hec-token-value');
    const required = { type: 'splunk_hec', url: sink.url, token: 'x' };
    expect(differences(sink as unknown as Record<string, unknown>, required)).toEqual(['token']);
  });

  it('examples/gcp-logging.yaml loads, and spells out the defaults of every key it sets', () => {
    const c = loadConfig({ file: join(dir, 'gcp-logging.yaml'), env: {} });
    const sink = c.tenants.globex!.sink;
    if (sink.type !== 'gcp_logging') throw new Error('the example tenant must use gcp_logging');
    const required = { type: 'gcp_logging', credentials: sink.credentials };
    expect(differences(sink as unknown as Record<string, unknown>, required)).toEqual([]);
  });
});
