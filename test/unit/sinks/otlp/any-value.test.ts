// Tests for JSON → OTLP AnyValue: the shapes of the JSON mapping, exact integers, and (property) a round trip
// back to the same JSON value for random JSON.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DEPTH,
  anyValueToJson,
  jsonToAnyValue,
  type AnyValue,
} from '../../../../src/sinks/otlp/any-value.js';

describe('jsonToAnyValue', () => {
  it('maps each JSON type to its AnyValue field', () => {
    expect(jsonToAnyValue('"x"')).toEqual({ stringValue: 'x' });
    expect(jsonToAnyValue('true')).toEqual({ boolValue: true });
    expect(jsonToAnyValue('null')).toEqual({});
    expect(jsonToAnyValue('42')).toEqual({ intValue: '42' });
    expect(jsonToAnyValue('-0')).toEqual({ intValue: '0' });
    expect(jsonToAnyValue('1.0')).toEqual({ doubleValue: 1 });
    expect(jsonToAnyValue('1e3')).toEqual({ doubleValue: 1000 });
    expect(jsonToAnyValue('1e400')).toEqual({ doubleValue: 'Infinity' });
    expect(jsonToAnyValue(' [1, "a"] ')).toEqual({
      arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }] },
    });
    expect(jsonToAnyValue('{"a":{"b":[]}}')).toEqual({
      kvlistValue: {
        values: [
          {
            key: 'a',
            value: { kvlistValue: { values: [{ key: 'b', value: { arrayValue: { values: [] } } }] } },
          },
        ],
      },
    });
  });

  it('keeps int64 exact and sends larger integers as doubles', () => {
    expect(jsonToAnyValue('9223372036854775807')).toEqual({ intValue: '9223372036854775807' });
    expect(jsonToAnyValue('-9223372036854775808')).toEqual({ intValue: '-9223372036854775808' });
    expect(jsonToAnyValue('9223372036854775808')).toEqual({ doubleValue: 9223372036854775808 });
  });

  it('a repeated key keeps its first position and last value, as JSON.parse does', () => {
    const v = jsonToAnyValue('{"a":1,"b":2,"a":3}');
    expect(v).toEqual({
      kvlistValue: {
        values: [
          { key: 'a', value: { intValue: '3' } },
          { key: 'b', value: { intValue: '2' } },
        ],
      },
    });
    expect(anyValueToJson(v!)).toEqual(JSON.parse('{"a":1,"b":2,"a":3}'));
  });

  it('refuses invalid JSON and nesting past MAX_DEPTH', () => {
    for (const bad of ['', '{', '{"a":}', '[1,]', '"\u0001"', '01', 'tru', '{"a":1}x', '"\\x"', "{'a':1}"]) {
      expect(jsonToAnyValue(bad), bad).toBeUndefined();
    }
    expect(jsonToAnyValue('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))).toBeDefined();
    expect(jsonToAnyValue('['.repeat(MAX_DEPTH + 2) + ']'.repeat(MAX_DEPTH + 2))).toBeUndefined();
    expect(jsonToAnyValue('['.repeat(100_000))).toBeUndefined();
  });

  it('property: agrees with JSON.parse on random JSON text (round trip to the same value)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const any = jsonToAnyValue(text);
        expect(any).toBeDefined();
        expect(anyValueToJson(any!)).toEqual(JSON.parse(text));
        // The AnyValue itself survives JSON: what goes on the wire decodes to the same value.
        expect(anyValueToJson(JSON.parse(JSON.stringify(any)) as AnyValue)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('property: agrees with JSON.parse on pretty-printed JSON with unicode keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 3 })), (value) => {
        const text = JSON.stringify(value, null, 2);
        expect(anyValueToJson(jsonToAnyValue(text)!)).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });
});
