// Bulk encoding: a golden request body for a fixed batch, and properties of single items (two NDJSON lines,
// the action with index and id, the document as the payload's members plus @timestamp and logdriver).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BULK_FRAMING,
  documentLine,
  encodeBulkItem,
  isoOf,
} from '../../../../src/sinks/elasticsearch/encode.js';
import { splitIntoRequests } from '../../../../src/sinks/transport/split.js';
import type { PayloadLimits, SinkEvent } from '../../../../src/sinks/types.js';

const GOLDEN = new URL('../../../fixtures/sinks/elasticsearch.golden.ndjson', import.meta.url);
const LIMITS: PayloadLimits = { maxRequestBytes: 1 << 20, maxEvents: 100, maxEventBytes: 1 << 20 };
const INDEX = 'logs-logdriver-acme';

const ev = (id: string, tenant: string, receivedAt: number, payload: string): SinkEvent => ({
  id,
  tenant,
  receivedAt,
  payload: Buffer.from(payload, 'utf8'),
});

const BATCH: SinkEvent[] = [
  ev(
    '0f3a-1',
    'acme',
    1764000001000,
    '{"tenantId":"acme","timestampMillis":1764000000123,"iclFields":{"event":"DATA_DECRYPT","objectId":"doc-42"}}',
  ),
  // No top-level timestampMillis (only a nested one): @timestamp from receivedAt. Unicode stays UTF-8 bytes.
  ev('0f3a-2', 'acme', 1764000002345, '{"msg":"Grüße, 日本 🔐","inner":{"timestampMillis":5}}'),
  // Pretty-printed, escapes, an integer above 2^53 that a re-serialization would corrupt, an id and tenant
  // that need JSON escaping.
  ev(
    '0f3a-"3"',
    'ac"me\\x',
    1764000003000,
    '{\n  "timestampMillis": 1764000000001,\n  "path": "C:\\\\temp\\\\\\"x\\"",\n  "big": 12345678901234567890\n}',
  ),
  // The producer's own @timestamp and logdriver keys win (Elasticsearch refuses duplicate keys).
  ev('0f3a-4', 'acme', 1764000004000, '{"@timestamp":"2025-01-01T00:00:00Z","logdriver":"mine","ok":true}'),
  // An empty object, and a timestamp spelled with an escape.
  ev('0f3a-5', 'acme', 1764000005000, ' {  } '),
  ev('0f3a-6', 'acme', 1764000006000, '{"timestamp\\u004dillis":1764000000999.6}'),
];

function encodeBatch(events: readonly SinkEvent[], limits: PayloadLimits): Buffer[] {
  const split = splitIntoRequests(events, (e) => encodeBulkItem(e, INDEX), BULK_FRAMING, limits);
  expect(split.oversized).toEqual([]);
  return split.parts.map((p) => p.body);
}

describe('bulk encoding: golden body', () => {
  it('encodes the fixed batch byte for byte as the golden file', () => {
    const [body, ...rest] = encodeBatch(BATCH, LIMITS);
    expect(rest).toEqual([]);
    expect(body!.toString('utf8')).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('split requests concatenate to the same bytes, each ending in a newline', () => {
    const bodies = encodeBatch(BATCH, { ...LIMITS, maxEvents: 2 });
    expect(bodies).toHaveLength(3);
    for (const b of bodies) expect(b[b.length - 1]).toBe(0x0a);
    expect(Buffer.concat(bodies).equals(readFileSync(GOLDEN))).toBe(true);
  });

  it('every golden line is JSON; actions are create with the index and the event id', () => {
    const lines = readFileSync(GOLDEN, 'utf8').slice(0, -1).split('\n');
    expect(lines).toHaveLength(BATCH.length * 2);
    BATCH.forEach((e, i) => {
      expect(JSON.parse(lines[2 * i]!)).toEqual({ create: { _index: INDEX, _id: e.id } });
      expect(() => JSON.parse(lines[2 * i + 1]!) as unknown).not.toThrow();
    });
    // The big integer is spliced as written, not rounded.
    expect(lines[5]).toContain('"big": 12345678901234567890');
  });

  it('leaves @timestamp out only when neither timestampMillis nor receivedAt is a four-digit-year time', () => {
    const doc = JSON.parse(
      documentLine(ev('x', 't', Number.NaN, '{"timestampMillis":1e300}')).toString(),
    ) as object;
    expect(doc).toEqual({ logdriver: { event_id: 'x', tenant: 't' }, timestampMillis: 1e300 });
  });

  it('keeps a payload that is not an object whole under "value"', () => {
    const doc = JSON.parse(documentLine(ev('x', 't', 0, '[1,2]')).toString()) as Record<string, unknown>;
    expect(doc.value).toEqual([1, 2]);
    expect(doc['@timestamp']).toBe('1970-01-01T00:00:00.000Z');
  });

  it('isoOf: milliseconds, fraction dropped, undefined past year 9999', () => {
    expect(isoOf(1764000000999.6)).toBe('2025-11-24T16:00:00.999Z');
    expect(isoOf(253_402_300_799_999)).toBe('9999-12-31T23:59:59.999Z');
    expect(isoOf(253_402_300_800_000)).toBeUndefined();
    expect(isoOf(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('bulk encoding: properties', () => {
  const payloadArb = fc.record({
    base: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    ts: fc.option(fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double()), { nil: undefined }),
    indent: fc.constantFrom(undefined, 2),
  });

  it('every item is two JSON lines: the create action and the payload plus our keys', () => {
    fc.assert(
      fc.property(
        payloadArb,
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        ({ base, ts, indent }, tenant, id, receivedAt) => {
          const obj = ts === undefined ? base : { ...base, timestampMillis: ts };
          const payload = JSON.stringify(obj, null, indent);
          const text = encodeBulkItem(ev(id, tenant, receivedAt, payload), INDEX).toString('utf8');
          expect(text.endsWith('\n')).toBe(true);
          const lines = text.slice(0, -1).split('\n');
          expect(lines).toHaveLength(2);
          expect(JSON.parse(lines[0]!)).toEqual({ create: { _index: INDEX, _id: id } });
          const doc = JSON.parse(lines[1]!) as Record<string, unknown>;
          const parsed = JSON.parse(payload) as Record<string, unknown>;
          const mine = Object.hasOwn(parsed, 'logdriver');
          const theirsTs = Object.hasOwn(parsed, '@timestamp');
          const t = parsed.timestampMillis;
          const ms = typeof t === 'number' && isoOf(t) !== undefined ? t : receivedAt;
          const expected: Record<string, unknown> = {
            ...parsed,
            ...(theirsTs ? {} : { '@timestamp': new Date(ms).toISOString() }),
            ...(mine
              ? {}
              : {
                  logdriver: { event_id: id, tenant, received_at: new Date(receivedAt).toISOString() },
                }),
          };
          expect(doc).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
