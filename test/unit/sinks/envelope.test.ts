// Property and example tests: envelope bodies from events, NDJSON to JSON array, batchOf.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLine, singleLinePayload } from '../../../src/buffer/lines.js';
import { batchOf, encodeJsonArray, encodeNdjson, ndjsonToJsonArray } from '../../../src/sinks/envelope.js';
import type { SinkEvent } from '../../../src/sinks/types.js';

// Strings that stress JSON escaping: quotes, backslashes, control chars, line separators, lone surrogates.
const nastyChar = fc.oneof(
  fc.constantFrom('"', '\\', '\n', '\r', '\u0000', '\u001f', '\u2028', '\u2029', '\ud800', '\udfff', '😀'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 40 });

const jsonObject = fc.dictionary(nastyString, fc.jsonValue({ stringUnit: nastyChar, maxDepth: 4 }), {
  maxKeys: 8,
});

/** The same JSON value in the layouts producers send: compact, pretty (LF), pretty (CRLF), padded. */
const payloadText = fc
  .tuple(jsonObject, fc.constantFrom('compact', 'pretty', 'crlf', 'padded', 'tabs'))
  .map(([obj, layout]) => {
    switch (layout) {
      case 'compact':
        return JSON.stringify(obj);
      case 'pretty':
        return JSON.stringify(obj, null, 2);
      // Every raw LF in JSON.stringify output is whitespace (string contents are escaped), so this is valid JSON.
      case 'crlf':
        return JSON.stringify(obj, null, 2).replace(/\n/g, '\r\n');
      case 'padded':
        return `\r\n  ${JSON.stringify(obj, null, 1)}\n\n`;
      default:
        return JSON.stringify(obj, null, '\t');
    }
  });

const eventFields = {
  id: nastyString,
  tenant: nastyString,
  receivedAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  payload: payloadText.map((t) => Buffer.from(t, 'utf8')),
};
const sinkEvent = fc.record(eventFields);

/** Ids as the buffer makes them, `<hex buffer id>-<seq>` (they never need escaping). */
const bufferId = fc
  .tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 16 }), fc.nat())
  .map(([hex, seq]) => `${hex}-${seq}`);
/** An event as the buffer stores it: any tenant and payload, a buffer id. */
const storedEvent = fc.record({ ...eventFields, id: bufferId });

interface Envelope {
  id: string;
  tenantId: string;
  receivedAt: number;
  event: unknown;
}

function expectRoundTrip(parsed: Envelope, e: SinkEvent): void {
  expect(Object.keys(parsed)).toEqual(['id', 'tenantId', 'receivedAt', 'event']);
  expect(parsed.id).toBe(e.id);
  expect(parsed.tenantId).toBe(e.tenant);
  expect(parsed.receivedAt).toBe(e.receivedAt);
  expect(parsed.event).toEqual(JSON.parse(e.payload.toString('utf8')));
}

describe('envelope encoder (properties)', () => {
  it('every NDJSON line parses back to its event, one line per event, no raw CR inside a line', () => {
    fc.assert(
      fc.property(fc.array(sinkEvent, { maxLength: 12 }), (events) => {
        const body = encodeNdjson(events).toString('utf8');
        if (events.length === 0) {
          expect(body).toBe('');
          return;
        }
        expect(body.endsWith('\n')).toBe(true);
        const lines = body.slice(0, -1).split('\n');
        expect(lines).toHaveLength(events.length);
        lines.forEach((line, i) => {
          expect(line).not.toContain('\r');
          expectRoundTrip(JSON.parse(line) as Envelope, events[i] as SinkEvent);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a JSON-array body parses to the same envelopes as the NDJSON lines', () => {
    fc.assert(
      fc.property(fc.array(sinkEvent, { maxLength: 12 }), (events) => {
        const array = JSON.parse(encodeJsonArray(events).toString('utf8')) as Envelope[];
        const lines = encodeNdjson(events)
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Envelope);
        expect(array).toHaveLength(events.length);
        expect(array).toEqual(lines);
        array.forEach((env, i) => expectRoundTrip(env, events[i] as SinkEvent));
      }),
      { numRuns: 200 },
    );
  });

  it("a batch is the concatenation of its events' lines", () => {
    fc.assert(
      fc.property(fc.array(sinkEvent, { maxLength: 8 }), (events) => {
        const one = events.map((e) => encodeNdjson([e]));
        expect(encodeNdjson(events).equals(Buffer.concat(one))).toBe(true);
      }),
    );
  });

  it('for buffer ids, the line is byte for byte the one the buffer stores (lines.ts encodeLine)', () => {
    fc.assert(
      fc.property(fc.array(storedEvent, { maxLength: 8 }), (events) => {
        const stored = Buffer.concat(events.map((e) => encodeLine(e.id, e.tenant, e.receivedAt, e.payload)));
        expect(encodeNdjson(events).equals(stored)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ndjsonToJsonArray (properties)', () => {
  it('equals encodeJsonArray of the same events, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(sinkEvent, { maxLength: 12 }), (events) => {
        expect(ndjsonToJsonArray(encodeNdjson(events)).equals(encodeJsonArray(events))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('parses to the values of the NDJSON lines parsed one by one (lines as the buffer stores them)', () => {
    fc.assert(
      fc.property(fc.array(storedEvent, { maxLength: 12 }), (events) => {
        const ndjson = Buffer.concat(events.map((e) => encodeLine(e.id, e.tenant, e.receivedAt, e.payload)));
        const lines = ndjson
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown);
        expect(JSON.parse(ndjsonToJsonArray(ndjson).toString('utf8'))).toEqual(lines);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves its input unchanged and tolerates a missing final newline', () => {
    fc.assert(
      fc.property(fc.array(sinkEvent, { minLength: 1, maxLength: 6 }), (events) => {
        const ndjson = encodeNdjson(events);
        const before = Buffer.from(ndjson);
        const array = ndjsonToJsonArray(ndjson);
        expect(ndjson.equals(before)).toBe(true);
        expect(ndjsonToJsonArray(ndjson.subarray(0, -1)).equals(array)).toBe(true);
      }),
    );
  });
});

describe('envelope encoder (examples)', () => {
  const base = { id: 'ev-1', tenant: 'acme', receivedAt: 1764000000000 };
  const lineOf = (e: SinkEvent): string => encodeNdjson([e]).toString();

  it('passes a single-line payload through byte for byte, without copying', () => {
    const payload = Buffer.from('{"tenantId":"acme", "n" : 1.50,"big":12345678901234567890}');
    expect(singleLinePayload(payload)).toBe(payload);
    expect(lineOf({ ...base, payload })).toBe(
      `{"id":"ev-1","tenantId":"acme","receivedAt":1764000000000,"event":${payload.toString()}}\n`,
    );
  });

  it('keeps number spellings when a pretty-printed payload is put on one line', () => {
    const payload = Buffer.from('{\r\n  "big": 12345678901234567890,\n  "f": 1.50,\n  "s": "a\\nb"\n}\n');
    const line = lineOf({ ...base, payload });
    expect(line).toBe(
      '{"id":"ev-1","tenantId":"acme","receivedAt":1764000000000,"event":' +
        '{    "big": 12345678901234567890,   "f": 1.50,   "s": "a\\nb" } }\n',
    );
    expect((JSON.parse(line) as Envelope).event).toEqual(JSON.parse(payload.toString()));
    // The caller's buffer is not modified.
    expect(payload.includes(0x0a)).toBe(true);
  });

  it('escapes an id or tenant that needs it, as JSON.stringify does', () => {
    const line = lineOf({ id: 'a"b\\c\n', tenant: 'x\u2028"', receivedAt: 1, payload: Buffer.from('{}') });
    expect(line).toBe('{"id":"a\\"b\\\\c\\n","tenantId":"x\u2028\\"","receivedAt":1,"event":{}}\n');
    expect(JSON.parse(line)).toEqual({ id: 'a"b\\c\n', tenantId: 'x\u2028"', receivedAt: 1, event: {} });
  });

  it('writes a non-finite receivedAt as null so the line stays valid JSON', () => {
    const line = lineOf({ ...base, receivedAt: Number.NaN, payload: Buffer.from('{}') });
    expect(JSON.parse(line)).toEqual({ id: 'ev-1', tenantId: 'acme', receivedAt: null, event: {} });
  });

  it('encodes an empty batch as an empty NDJSON body and an empty array', () => {
    expect(encodeNdjson([]).length).toBe(0);
    expect(encodeJsonArray([]).toString()).toBe('[]');
    expect(ndjsonToJsonArray(Buffer.alloc(0)).toString()).toBe('[]');
  });

  it('converts NDJSON lines to an array by replacing line ends', () => {
    expect(ndjsonToJsonArray(Buffer.from('{"a":1}\n{"b":"\\n"}\n')).toString()).toBe('[{"a":1},{"b":"\\n"}]');
    expect(ndjsonToJsonArray(Buffer.from('{"a":1}\n')).toString()).toBe('[{"a":1}]');
    expect(ndjsonToJsonArray(Buffer.from('{"a":1}')).toString()).toBe('[{"a":1}]');
  });
});

describe('batchOf', () => {
  const events: SinkEvent[] = [1, 2].map((i) => ({
    id: `b-${i}`,
    tenant: 'acme',
    receivedAt: i,
    payload: Buffer.from(`{"tenantId":"acme","i":${i}}`),
  }));

  it('is a SinkBatch of the events: tenant, count, their lines, the events themselves', () => {
    const batch = batchOf(events);
    expect(batch.tenant).toBe('acme');
    expect(batch.count).toBe(2);
    expect(batch.events()).toBe(events);
    expect(batch.ndjson().equals(encodeNdjson(events))).toBe(true);
    // Built once, like a lease's lines: every call gives the same bytes.
    expect(batch.ndjson()).toBe(batch.ndjson());
  });

  it('takes an explicit tenant, and an empty batch has empty lines', () => {
    expect(batchOf(events, 'globex').tenant).toBe('globex');
    const empty = batchOf([]);
    expect([empty.tenant, empty.count, empty.ndjson().length, empty.events()]).toEqual(['', 0, 0, []]);
  });
});
