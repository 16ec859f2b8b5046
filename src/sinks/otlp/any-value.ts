// JSON text to OTLP AnyValue (opentelemetry.proto.common.v1.AnyValue in the proto3 JSON mapping) and back.
// Pure. Integer literals are kept exact: they are read from the text, never through a JS number.
//
// Reference: AnyValue {stringValue|boolValue|intValue|doubleValue|arrayValue{values}|kvlistValue{values:[{key,
// value}]}}, int64 as a decimal string, an unset AnyValue ({}) for null:
// https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/common/v1/common.proto
// and https://protobuf.dev/programming-guides/json/ (double: number, or "NaN" / "Infinity" / "-Infinity").
//
// Mapping: string → stringValue; true/false → boolValue; a number written without fraction or exponent that
// fits int64 → intValue (decimal string, "-0" → "0"); any other number → doubleValue (what JSON.parse gives,
// ±Infinity for an overflow, spelled as the mapping requires); array → arrayValue; object → kvlistValue in key
// order, a repeated key keeping its first position and last value (as JSON.parse does); null → {}.

export type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number | 'Infinity' | '-Infinity' | 'NaN' }
  | { readonly arrayValue: { readonly values: readonly AnyValue[] } }
  | { readonly kvlistValue: { readonly values: readonly KeyValue[] } }
  | Readonly<Record<string, never>>;

export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** Nesting deeper than this is not converted (the caller falls back to the text): recursion stays bounded. */
export const MAX_DEPTH = 256;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class JsonSyntax extends Error {}

function doubleOf(n: number): AnyValue {
  if (Number.isFinite(n)) return { doubleValue: n };
  return { doubleValue: Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity' };
}

class Reader {
  at = 0;
  constructor(readonly text: string) {}

  ws(): void {
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.at++;
    }
  }

  string(): string {
    // Find the closing quote (skipping escapes), then let JSON.parse decode and validate the literal.
    const t = this.text;
    const start = this.at;
    let i = start + 1;
    for (;;) {
      if (i >= t.length) throw new JsonSyntax('unterminated string');
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      i += c === 0x5c ? 2 : 1;
    }
    this.at = i + 1;
    return JSON.parse(t.slice(start, i + 1)) as string;
  }

  value(depth: number): AnyValue {
    if (depth > MAX_DEPTH) throw new JsonSyntax('too deep');
    this.ws();
    const t = this.text;
    const c = t[this.at];
    if (c === '"') return { stringValue: this.string() };
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (t.startsWith('true', this.at)) return ((this.at += 4), { boolValue: true });
    if (t.startsWith('false', this.at)) return ((this.at += 5), { boolValue: false });
    if (t.startsWith('null', this.at)) return ((this.at += 4), {});
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(t);
    if (!m) throw new JsonSyntax(`unexpected character at ${this.at}`);
    this.at += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = BigInt(m[0]);
      if (n >= INT64_MIN && n <= INT64_MAX) return { intValue: n.toString() };
    }
    return doubleOf(Number(m[0]));
  }

  array(depth: number): AnyValue {
    this.at++;
    const values: AnyValue[] = [];
    this.ws();
    if (this.text[this.at] === ']') return (this.at++, { arrayValue: { values } });
    for (;;) {
      values.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.at++];
      if (c === ']') return { arrayValue: { values } };
      if (c !== ',') throw new JsonSyntax('expected , or ]');
    }
  }

  object(depth: number): AnyValue {
    this.at++;
    const values: KeyValue[] = [];
    const index = new Map<string, number>();
    this.ws();
    if (this.text[this.at] === '}') return (this.at++, { kvlistValue: { values } });
    for (;;) {
      this.ws();
      if (this.text[this.at] !== '"') throw new JsonSyntax('expected a key');
      const key = this.string();
      this.ws();
      if (this.text[this.at++] !== ':') throw new JsonSyntax('expected :');
      const value = this.value(depth + 1);
      const seen = index.get(key);
      if (seen === undefined) {
        index.set(key, values.length);
        values.push({ key, value });
      } else values[seen] = { key, value };
      this.ws();
      const c = this.text[this.at++];
      if (c === '}') return { kvlistValue: { values } };
      if (c !== ',') throw new JsonSyntax('expected , or }');
    }
  }
}

/** The AnyValue of one JSON text; undefined when it is not valid JSON or nests deeper than MAX_DEPTH. */
export function jsonToAnyValue(text: string): AnyValue | undefined {
  const r = new Reader(text);
  try {
    const v = r.value(0);
    r.ws();
    return r.at === text.length ? v : undefined;
  } catch (err) {
    if (err instanceof JsonSyntax || err instanceof SyntaxError || err instanceof RangeError)
      return undefined;
    throw err;
  }
}

/** A string attribute. */
export function stringAttr(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

/**
 * An AnyValue back as the JSON value it stands for (intValue as a JS number: exact up to 2^53). The inverse
 * of jsonToAnyValue for tests and tools; throws on a shape that is not an AnyValue.
 */
export function anyValueToJson(v: AnyValue): unknown {
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: AnyValue[] }).values ?? [];
    return values.map(anyValueToJson);
  }
  if ('kvlistValue' in o) {
    const out: Record<string, unknown> = {};
    for (const kv of (o.kvlistValue as { values?: KeyValue[] }).values ?? []) {
      // defineProperty: a "__proto__" key stays an own property, as JSON.parse makes it.
      Object.defineProperty(out, kv.key, {
        value: anyValueToJson(kv.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (Object.keys(o).length === 0) return null;
  throw new TypeError(`not an AnyValue: ${Object.keys(o).join(',')}`);
}
