// Property and example tests for the shared envelope encoder (NDJSON and JSON-array bodies).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeEnvelope,
  encodeJsonArray,
  encodeNdjson,
  singleLinePayload,
} from '../../../src/sinks/envelope.js';
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

const sinkEvent = fc.record({
  id: nastyString,
  tenant: nastyString,
  receivedAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  payload: payloadText.map((t) => Buffer.from(t, 'utf8')),
});

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

  it('a single envelope equals its NDJSON line without the newline', () => {
    fc.assert(
      fc.property(sinkEvent, (e) => {
        const one = encodeEnvelope(e);
        expect(one.includes(0x0a) || one.includes(0x0d)).toBe(false);
        expect(Buffer.concat([one, Buffer.from('\n')]).equals(encodeNdjson([e]))).toBe(true);
      }),
    );
  });
});

describe('envelope encoder (examples)', () => {
  const base = { id: 'ev-1', tenant: 'acme', receivedAt: 1764000000000 };

  it('passes a single-line payload through byte for byte, without copying', () => {
    const payload = Buffer.from('{"tenantId":"acme", "n" : 1.50,"big":12345678901234567890}');
    expect(singleLinePayload(payload)).toBe(payload);
    expect(encodeEnvelope({ ...base, payload }).toString()).toBe(
      `{"id":"ev-1","tenantId":"acme","receivedAt":1764000000000,"event":${payload.toString()}}`,
    );
  });

  it('keeps number spellings when a pretty-printed payload is put on one line', () => {
    const payload = Buffer.from('{\r\n  "big": 12345678901234567890,\n  "f": 1.50,\n  "s": "a\\nb"\n}\n');
    const line = encodeEnvelope({ ...base, payload }).toString();
    expect(line).toContain('12345678901234567890');
    expect(line).toContain('1.50');
    expect((JSON.parse(line) as Envelope).event).toEqual(JSON.parse(payload.toString()));
    // The caller's buffer is not modified.
    expect(payload.includes(0x0a)).toBe(true);
  });

  it('writes a non-finite receivedAt as null so the line stays valid JSON', () => {
    const line = encodeEnvelope({ ...base, receivedAt: Number.NaN, payload: Buffer.from('{}') }).toString();
    expect(JSON.parse(line)).toEqual({ id: 'ev-1', tenantId: 'acme', receivedAt: null, event: {} });
  });

  it('encodes an empty batch as an empty NDJSON body and an empty array', () => {
    expect(encodeNdjson([]).length).toBe(0);
    expect(encodeJsonArray([]).toString()).toBe('[]');
  });
});
