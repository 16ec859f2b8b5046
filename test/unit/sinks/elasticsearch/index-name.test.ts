// Index names per tenant: safe tenants kept as they are, others sanitised with a hash of the original; a
// property test that distinct tenants never share an index and every name is valid.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_INDEX_NAME_BYTES,
  indexNameFor,
  indexNameProblem,
  parseIndexTemplate,
  tenantHash,
  type IndexTemplate,
} from '../../../../src/sinks/elasticsearch/index-name.js';

function template(t: string): IndexTemplate {
  const parsed = parseIndexTemplate(t);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}
const DEFAULT = template('logs-logdriver-{tenant}');

describe('indexNameProblem (the published rules)', () => {
  it.each<[string, string]>([
    ['', 'is empty'],
    ['.', '"." or ".."'],
    ['..', '"." or ".."'],
    ['Logs', 'lowercase'],
    ...['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'].map((c): [string, string] => [
      `a${c}b`,
      'contain',
    ]),
    ['-a', 'start with'],
    ['_a', 'start with'],
    ['+a', 'start with'],
    ['.hidden', 'start with'],
    ['a'.repeat(256), '255 bytes'],
    ['é'.repeat(128), '255 bytes'],
  ])('%j is refused (%s)', (name, why) => {
    expect(indexNameProblem(name)).toContain(why);
  });

  it.each(['a', 'logs-logdriver-acme', 'a.b_c-d+e', 'a'.repeat(255), 'données'])('%j is valid', (name) => {
    expect(indexNameProblem(name)).toBeUndefined();
  });
});

describe('parseIndexTemplate', () => {
  it('splits around {tenant} and checks the literal parts', () => {
    expect(template('logs-logdriver-{tenant}')).toMatchObject({
      prefix: 'logs-logdriver-',
      suffix: '',
      perTenant: true,
    });
    expect(template('{tenant}-events')).toMatchObject({ prefix: '', suffix: '-events' });
    expect(template('security')).toMatchObject({ prefix: 'security', perTenant: false });
  });

  it.each([
    ['{tenant}-{tenant}', 'at most once'],
    ['logs-{tenat}', 'placeholder'],
    ['Logs-{tenant}', 'lowercase'],
    ['logs {tenant}', 'contain'],
    ['_logs-{tenant}', 'start with'],
    ['UPPER', 'lowercase'],
    [`${'a'.repeat(241)}{tenant}`, 'too little room'],
  ])('%j is refused (%s)', (t, why) => {
    expect(parseIndexTemplate(t)).toEqual(expect.stringContaining(why));
  });
});

describe('indexNameFor', () => {
  it('keeps a tenant that is already a safe name', () => {
    expect(indexNameFor(DEFAULT, 'acme')).toBe('logs-logdriver-acme');
    expect(indexNameFor(DEFAULT, 'acme.eu-1_prod')).toBe('logs-logdriver-acme.eu-1_prod');
  });

  it('sanitises any other tenant and appends the hash of the original', () => {
    expect(indexNameFor(DEFAULT, 'Acme')).toBe(`logs-logdriver-acme-h${tenantHash('Acme')}`);
    expect(indexNameFor(DEFAULT, 'a/b c:d')).toBe(`logs-logdriver-a_b_c_d-h${tenantHash('a/b c:d')}`);
    expect(indexNameFor(DEFAULT, '_x')).toBe(`logs-logdriver-x-h${tenantHash('_x')}`);
    expect(indexNameFor(DEFAULT, '..')).toBe(`logs-logdriver-x-h${tenantHash('..')}`);
    expect(indexNameFor(template('{tenant}'), '-')).toBe(`x-h${tenantHash('-')}`);
  });

  it('"Acme", "acme" and "ACME" get three indices', () => {
    const names = ['Acme', 'acme', 'ACME'].map((t) => indexNameFor(DEFAULT, t));
    expect(new Set(names).size).toBe(3);
  });

  it("a safe tenant that looks like a hashed one is hashed itself, so it cannot take another tenant's index", () => {
    const hashed = indexNameFor(DEFAULT, 'Acme').slice('logs-logdriver-'.length);
    expect(indexNameFor(DEFAULT, hashed)).toBe(`logs-logdriver-${hashed}-h${tenantHash(hashed)}`);
  });

  it('cuts a long tenant to 255 bytes with the hash kept', () => {
    const long = 'a'.repeat(300);
    const name = indexNameFor(DEFAULT, long);
    expect(Buffer.byteLength(name)).toBe(MAX_INDEX_NAME_BYTES);
    expect(name.endsWith(`-h${tenantHash(long)}`)).toBe(true);
    expect(indexNameFor(DEFAULT, 'a'.repeat(301))).not.toBe(name);
  });

  it('a template without {tenant} names one index for every tenant (an explicit choice)', () => {
    expect(indexNameFor(template('security'), 'acme')).toBe('security');
  });
});

describe('indexNameFor: properties', () => {
  const tenant = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom(...'aA0._-+ /:é'), maxLength: 40 }),
    fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}(-h[0-9a-f]{12})?$/),
  );
  const templates = [
    'logs-logdriver-{tenant}',
    '{tenant}',
    '{tenant}-events',
    `${'p'.repeat(200)}-{tenant}`,
  ].map(template);

  it('distinct tenants get distinct index names, and every name is valid', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(tenant, { minLength: 2, maxLength: 20 }),
        fc.constantFrom(...templates),
        (ts, t) => {
          const names = ts.map((x) => indexNameFor(t, x));
          for (const n of names) expect(indexNameProblem(n)).toBeUndefined();
          expect(new Set(names).size).toBe(ts.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
