// Datadog encoding: a golden body for a fixed batch, tag rules, and properties of the split bodies (every
// event once, in order; each body a JSON array that parses back to the events; the intake's limits kept).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATADOG_FRAMING,
  encodeDatadogEntry,
  entryMetaOf,
  sanitizeTag,
  tenantTag,
} from '../../../../src/sinks/datadog/encode.js';
import { splitIntoRequests } from '../../../../src/sinks/transport/split.js';
import type { PayloadLimits, SinkEvent } from '../../../../src/sinks/types.js';

const GOLDEN = new URL('../../../fixtures/sinks/datadog.golden.json', import.meta.url);
const OPTS = entryMetaOf({
  source: 'logdriver',
  service: 'kms-proxy',
  hostname: 'gw-eu-1',
  tags: ['env:prod', 'Team:Security Ops'],
});
const LIMITS: PayloadLimits = { maxRequestBytes: 5_000_000, maxEvents: 1000, maxEventBytes: 1_000_000 };

const ev = (id: string, tenant: string, payload: string): SinkEvent => ({
  id,
  tenant,
  receivedAt: 1764000000000,
  payload: Buffer.from(payload, 'utf8'),
});

const BATCH: SinkEvent[] = [
  ev(
    'e1',
    'acme',
    '{"tenantId":"acme","timestampMillis":1764000000000,"iclFields":{"event":"DATA_DECRYPT","objectId":"doc-42"}}',
  ),
  // Unicode, escapes and an integer above 2^53: the message keeps the producer's text exactly.
  ev('e2', 'acme', '{"msg":"Grüße, 日本 🔐","path":"C:\\\\temp\\\\\\"x\\"","big":12345678901234567890}'),
  // Pretty-printed JSON: the line breaks are escaped inside the message string.
  ev('e3', 'acme', '{\n  "tenantId": "acme",\n  "ok": true\n}'),
];

function bodies(events: readonly SinkEvent[], limits: PayloadLimits = LIMITS): Buffer[] {
  const split = splitIntoRequests(events, (e) => encodeDatadogEntry(e, OPTS), DATADOG_FRAMING, limits);
  expect(split.oversized).toEqual([]);
  return split.parts.map((p) => p.body);
}

describe('datadog encoding: golden body', () => {
  it('encodes the fixed batch as the golden file (same JSON, and byte for byte once compacted)', () => {
    const [body, ...rest] = bodies(BATCH);
    expect(rest).toEqual([]);
    const golden = readFileSync(GOLDEN, 'utf8');
    expect(JSON.parse(body!.toString('utf8'))).toEqual(JSON.parse(golden));
    expect(body!.toString('utf8')).toBe(JSON.stringify(JSON.parse(golden)));
  });

  it('keys in a fixed order; hostname left out when unset; the message is the payload text', () => {
    const opts = entryMetaOf({ source: 's', service: 'svc', tags: [] });
    expect(encodeDatadogEntry(ev('x', 'acme', '{"a":1}'), opts).toString()).toBe(
      '{"ddsource":"s","ddtags":"tenant:acme","service":"svc","message":"{\\"a\\":1}","event_id":"x"}',
    );
  });
});

describe('datadog tags', () => {
  it('follow Datadog\'s rules: lowercase, other characters to "_", one "_" per run, no trailing "_", 200 chars', () => {
    expect(sanitizeTag('Env:Prod')).toBe('env:prod');
    expect(sanitizeTag('team:security ops!!')).toBe('team:security_ops');
    expect(sanitizeTag('a,b"c\\d')).toBe('a_b_c_d');
    expect(sanitizeTag('path:/a/b.c-d_e')).toBe('path:/a/b.c-d_e');
    expect(sanitizeTag('région:東京')).toBe('région:東京');
    expect(sanitizeTag(`k:${'v'.repeat(300)}`)).toHaveLength(200);
  });

  it('the tenant tag always starts with "tenant:" and never ends with ":"', () => {
    expect(tenantTag('acme')).toBe('tenant:acme');
    expect(tenantTag('Acme Corp')).toMatch(/^tenant:acme_corp-h[0-9a-f]{12}$/);
    expect(tenantTag('!!!')).toMatch(/^tenant:unrepresentable-h[0-9a-f]{12}$/);
    fc.assert(
      fc.property(fc.string(), (t) => {
        const tag = tenantTag(t);
        expect(tag.startsWith('tenant:')).toBe(true);
        expect(tag.endsWith(':')).toBe(false);
        expect(tag.endsWith('_')).toBe(false);
        expect([...tag].length).toBeLessThanOrEqual(200);
        expect(tag).toMatch(/^[\p{L}\p{N}_\-:./]+$/u);
      }),
    );
  });

  it('two distinct tenants never share a tenant tag (case, replaced characters, cut, look-alike hashes)', () => {
    expect(tenantTag('Acme')).not.toBe(tenantTag('acme'));
    expect(tenantTag('a b')).not.toBe(tenantTag('a_b'));
    const hashed = tenantTag('Acme').slice('tenant:'.length);
    expect(tenantTag(hashed)).not.toBe(tenantTag('Acme'));
    const tenant = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom('acme', 'Acme', 'a b', 'a_b', 'x'.repeat(250)),
    );
    fc.assert(
      fc.property(tenant, tenant, (a, b) => {
        fc.pre(a !== b);
        expect(tenantTag(a)).not.toBe(tenantTag(b));
      }),
      { numRuns: 2000 },
    );
  });
});

// Events as the buffer holds them: a tenant, an id, a JSON object payload.
const arbEvent = fc
  .record({
    tenant: fc.string({ minLength: 1, maxLength: 20 }),
    fields: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
    pad: fc.nat(3000),
  })
  .map(({ tenant, fields, pad }) => ({
    tenant,
    payload: JSON.stringify({ ...fields, pad: 'p'.repeat(pad) }),
  }));

describe('datadog encoding: properties', () => {
  it('every event appears exactly once, in order, and each entry parses back to its event', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { maxLength: 40 }),
        fc.integer({ min: 2048, max: 20_000 }),
        fc.integer({ min: 1, max: 10 }),
        (raw, maxRequestBytes, maxEvents) => {
          const events = raw.map((r, i) => ev(`id-${i}`, r.tenant, r.payload));
          const limits = { maxRequestBytes, maxEvents, maxEventBytes: 4096 };
          const split = splitIntoRequests(
            events,
            (e) => encodeDatadogEntry(e, OPTS),
            DATADOG_FRAMING,
            limits,
          );
          const seen: string[] = [];
          for (const part of split.parts) {
            // Splits respect the limits.
            expect(part.body.length).toBeLessThanOrEqual(maxRequestBytes);
            expect(part.events.length).toBeLessThanOrEqual(maxEvents);
            const entries = JSON.parse(part.body.toString('utf8')) as Record<string, string>[];
            expect(entries.map((x) => x.event_id)).toEqual(part.events.map((e) => e.id));
            entries.forEach((entry, i) => {
              const e = part.events[i]!;
              expect(entry.message).toBe(e.payload.toString('utf8'));
              expect(entry.ddtags!.split(',')).toEqual([
                'env:prod',
                'team:security_ops',
                tenantTag(e.tenant),
              ]);
              expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThanOrEqual(4096);
            });
            seen.push(...part.events.map((e) => e.id));
          }
          for (const o of split.oversized) {
            // Larger than a log may be, or than a request holds even alone (the array's brackets included).
            expect(o.bytes > 4096 || o.bytes + 2 > maxRequestBytes).toBe(true);
            seen.push(o.event.id);
          }
          expect([...seen].sort()).toEqual(events.map((e) => e.id).sort());
          // Delivered ones keep their relative order.
          const sent = split.parts.flatMap((p) => p.events.map((e) => e.id));
          expect(sent).toEqual(events.map((e) => e.id).filter((id) => sent.includes(id)));
        },
      ),
    );
  });
});
