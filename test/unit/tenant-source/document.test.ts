// The broker's answer: parsed as JSON or YAML, validated by the file's schemas, refused with a reason that never
// quotes the document; and the merge rule of broker and file tenants.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { mergeRouting, parseTenantDocument, type ParsedDocument } from '../../../src/tenant-source/index.js';

const SECRET = 'tok-98a1c2-secret';

function reason(p: ParsedDocument): string {
  if (p.ok) throw new Error('expected a refusal');
  expect(p.reason).not.toContain(SECRET);
  return p.reason;
}

describe('parseTenantDocument', () => {
  it('takes tenants and defaultSink in the config file shape, secrets wrapped and the result frozen', () => {
    const p = parseTenantDocument(
      JSON.stringify({
        defaultSink: { type: 'stdout' },
        tenants: {
          acme: { sink: { type: 'http', url: 'https://siem.example/in', auth: { bearer: SECRET } } },
        },
      }),
      'application/json; charset=utf-8',
    );
    if (!p.ok) throw new Error(p.reason);
    expect(Object.keys(p.doc.tenants)).toEqual(['acme']);
    expect(p.doc.defaultSink).toEqual({ type: 'stdout' });
    expect(JSON.stringify(p.doc)).not.toContain(SECRET);
    expect(Object.isFrozen(p.doc.tenants)).toBe(true);
  });

  it('reads YAML when the Content-Type says so, JSON otherwise', () => {
    const yaml = 'tenants:\n  acme: { sink: { type: stdout } }\n';
    expect(parseTenantDocument(yaml, 'application/yaml').ok).toBe(true);
    expect(reason(parseTenantDocument(yaml, 'application/json'))).toMatch(/^not valid JSON/);
    expect(reason(parseTenantDocument(yaml))).toMatch(/^not valid JSON/);
  });

  it('accepts an explicit empty tenant list but not a document without `tenants`', () => {
    expect(parseTenantDocument('{"tenants":{}}').ok).toBe(true);
    expect(reason(parseTenantDocument('{}'))).toBe('tenants: required');
    expect(reason(parseTenantDocument('[]'))).toMatch(/not an object/);
    expect(reason(parseTenantDocument('null'))).toMatch(/not an object/);
  });

  it('refuses syntax errors without quoting the text', () => {
    expect(reason(parseTenantDocument(`{"tenants": {"acme": ${SECRET}}}`))).toMatch(/^not valid JSON/);
    expect(reason(parseTenantDocument(`tenants: [${SECRET}`, 'text/yaml'))).toMatch(/^not valid YAML/);
    expect(reason(parseTenantDocument(`a: 1\na: ${SECRET}\n`, 'application/yaml'))).toMatch(/YAML/);
  });

  it('refuses schema errors naming the key, and counts the others', () => {
    const r = reason(
      parseTenantDocument(
        JSON.stringify({
          tenants: {
            acme: { sink: { type: 'http', url: 'https://x.example', auth: { bearer: SECRET }, extra: 1 } },
            beta: { sink: { type: 'nope' } },
          },
          more: true,
        }),
      ),
    );
    expect(r).toMatch(/\(and 2 more\)$/);
    expect(parseTenantDocument('{"tenants":{"":{"sink":{"type":"stdout"}}}}').ok).toBe(false);
  });

  it('refuses ${NAME} references: a broker may not read this process environment', () => {
    const r = reason(
      parseTenantDocument(
        JSON.stringify({ tenants: { acme: { sink: { type: 'http', url: 'https://x.example/${HOME}' } } } }),
      ),
    );
    expect(r).toContain('tenants.acme.sink.url: ${...} references are not expanded');
  });

  it('refuses a __proto__ key rather than losing a tenant', () => {
    const r = reason(parseTenantDocument('{"tenants":{"__proto__":{"sink":{"type":"stdout"}}}}'));
    expect(r).toContain('reserved name');
  });
});

describe('mergeRouting', () => {
  const file = configSchema.parse({
    defaultSink: { type: 'http', url: 'https://default.example' },
    tenants: {
      acme: { sink: { type: 'http', url: 'https://file-acme.example' } },
      local: { sink: { type: 'stdout' } },
    },
  });

  it('lets the broker win per tenant, keeps the file’s other tenants and, unless sent, its defaultSink', () => {
    const p = parseTenantDocument(
      JSON.stringify({ tenants: { acme: { sink: { type: 'http', url: 'https://broker-acme.example' } } } }),
    );
    if (!p.ok) throw new Error(p.reason);
    const m = mergeRouting(file, p.doc);
    expect(Object.keys(m.tenants).sort()).toEqual(['acme', 'local']);
    expect(m.tenants.acme!.sink).toMatchObject({ url: 'https://broker-acme.example' });
    expect(m.defaultSink).toBe(file.defaultSink);

    const withDefault = parseTenantDocument('{"tenants":{},"defaultSink":{"type":"stdout"}}');
    if (!withDefault.ok) throw new Error(withDefault.reason);
    expect(mergeRouting(file, withDefault.doc).defaultSink).toEqual({ type: 'stdout' });
    expect(mergeRouting(file, undefined)).toBe(file);
  });
});
