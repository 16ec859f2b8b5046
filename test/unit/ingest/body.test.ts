// Tests for parseBody: the three accepted shapes, line-numbered refusals, and totality over arbitrary bytes.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseBody, type ParseResult } from '../../../src/ingest/body.js';
import { validateEventByParse } from '../../../src/ingest/validate.js';

const BIG = 1 << 30;
type Ok = Extract<ParseResult, { ok: true }>;
type Err = Extract<ParseResult, { ok: false }>;

function ok(r: ParseResult): Ok {
  if (!r.ok) throw new Error(`expected success, got ${r.reason}: ${r.detail}`);
  return r;
}
function err(r: ParseResult): Err {
  if (r.ok) throw new Error(`expected a refusal, got ${r.events.length} events`);
  return r;
}
const parse = (s: string | Buffer, max = BIG): ParseResult =>
  parseBody(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, max);
/** Normal form of a JSON value (drops -0 and other spelling differences the wire cannot carry). */
const norm = (v: unknown): string => JSON.stringify(v);

const eventArb = fc
  .record({
    tenantId: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
  })
  .map(({ tenantId, extra }) => ({ ...extra, tenantId }));

describe('parseBody: accepted shapes', () => {
  it('takes one compact object and keeps its bytes', () => {
    const r = ok(parse('  {"tenantId":"acme","n":1.50}\n'));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]!.tenant).toBe('acme');
    expect(r.events[0]!.payload.toString()).toBe('{"tenantId":"acme","n":1.50}');
  });

  it('takes a pretty-printed object and keeps its bytes (the buffer stores it on one line)', () => {
    const text = '{\n  "tenantId": "acme",\n  "a": [1, 2.0, 12345678901234567890123]\n}';
    const r = ok(parse(`\n ${text}\n`));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]!.payload.toString()).toBe(text);
  });

  it('takes an array, one event per element, in order', () => {
    const r = ok(parse('[{"tenantId":"a","x":1},\n {"tenantId":"b"}]'));
    expect(r.events.map((e) => e.tenant)).toEqual(['a', 'b']);
    expect(r.events.map((e) => e.payload.toString())).toEqual(['{"tenantId":"a","x":1}', '{"tenantId":"b"}']);
  });

  it("keeps each array element's original bytes: integers beyond 2^53 and number spellings survive", () => {
    const elements = [
      '{"tenantId":"a","big":12345678901234567890123}',
      '{"tenantId":"b","n":1.0,"e":1E+2,"z":-0,"s":"\\u00e9\\/"}',
      '{ "tenantId" : "c" ,\t"x" : [ 1 , 2 ] }',
    ];
    const body = Buffer.from(`[${elements.join(',')}]`);
    const r = ok(parseBody(body, BIG));
    expect(r.events.map((e) => e.payload.toString())).toEqual(elements);
    expect(r.events.map((e) => e.tenant)).toEqual(['a', 'b', 'c']);
    // Views into the body, not copies.
    expect(r.events[0]!.payload.buffer).toBe(body.buffer);
  });

  it('takes a pretty-printed array: whitespace around elements trimmed, inside kept', () => {
    const a = '{\n    "tenantId": "a",\n    "big": 9007199254740993\n  }';
    const b = '{"tenantId":"b"}';
    const r = ok(parse(`\r\n [\n  ${a} ,\n\n\t${b}\r\n]\n\n`));
    expect(r.events.map((e) => e.payload.toString())).toEqual([a, b]);
    expect(ok(parse(' [ ] ')).events).toEqual([]);
  });

  it('takes an empty array as zero events', () => {
    expect(ok(parse('[]')).events).toEqual([]);
  });

  it('takes NDJSON with CRLF, blank lines and a trailing newline, keeping each line exactly', () => {
    const lines = ['{ "tenantId" : "a" , "v": 1.0 }', '{"tenantId":"b"}', '{"tenantId":"c"}'];
    const body = `${lines[0]}\r\n\r\n${lines[1]}\n   \n${lines[2]}\r\n`;
    const r = ok(parse(body));
    expect(r.events.map((e) => e.payload.toString())).toEqual(lines);
    expect(r.events.map((e) => e.tenant)).toEqual(['a', 'b', 'c']);
  });

  it('returns NDJSON payloads as views into the body, not copies', () => {
    const body = Buffer.from('{"tenantId":"a"}\n{"tenantId":"b"}');
    const r = ok(parseBody(body, BIG));
    expect(r.events[1]!.payload.buffer).toBe(body.buffer);
  });
});

describe('parseBody: refusals', () => {
  it('refuses an empty or whitespace-only body', () => {
    for (const b of ['', ' \r\n\t\n']) {
      const r = err(parse(b));
      expect(r).toMatchObject({ reason: 'empty', status: 400, line: 0 });
    }
  });

  it('names the first NDJSON line that is bad, counting blank lines', () => {
    const r = err(parse('{"tenantId":"a"}\n\n{"tenantId":\n{"nope":1}\n'));
    expect(r).toMatchObject({ reason: 'malformed_json', line: 3, status: 400 });
    expect(r.detail).toMatch(/^line 3: /);
  });

  it('reports a missing and an over-long tenant', () => {
    expect(err(parse('{"a":1}'))).toMatchObject({
      reason: 'missing_tenant',
      detail: 'line 1: tenantId is missing',
    });
    const long = err(parse(JSON.stringify({ tenantId: 'x'.repeat(257) })));
    expect(long).toMatchObject({ reason: 'invalid_tenant', line: 1, status: 400 });
    expect(ok(parse(JSON.stringify({ tenantId: 'x'.repeat(256) }))).events).toHaveLength(1);
  });

  it('names the bad array element, 1-based', () => {
    const r = err(parse('[{"tenantId":"a"},{"tenantId":"b"},{"tenantId":""}]'));
    expect(r).toMatchObject({ reason: 'invalid_tenant', line: 3, status: 400 });
    expect(r.detail).toBe('element 3: tenantId must be a non-empty string');
    expect(err(parse('[1]'))).toMatchObject({
      reason: 'not_an_object',
      detail: 'element 1: an event must be a JSON object',
    });
  });

  it('refuses malformed arrays and non-object values', () => {
    expect(err(parse('[{"tenantId":"a"},'))).toMatchObject({ reason: 'malformed_json', status: 400 });
    expect(err(parse('"tenantId"'))).toMatchObject({ reason: 'not_an_object', line: 1 });
    expect(err(parse('{"tenantId":"a"}\n42'))).toMatchObject({ reason: 'not_an_object', line: 2 });
    expect(err(parse('hello'))).toMatchObject({ reason: 'malformed_json', line: 1 });
    // NDJSON whose first line is an array reads as a broken array; the line is still named.
    expect(err(parse('[{"tenantId":"a"}]\n{"tenantId":"b"}'))).toMatchObject({
      reason: 'not_an_object',
      line: 1,
    });
    const broken = err(parse('[\n  {"tenantId": "a"},\n  {"tenantId" "b"}\n]'));
    expect(broken).toMatchObject({ reason: 'malformed_json', line: 0 });
    expect(broken.detail).toMatch(/^array: /);
  });

  it('refuses invalid UTF-8 and names its line', () => {
    const body = Buffer.concat([
      Buffer.from('{"tenantId":"a"}\n{"tenantId":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(err(parseBody(body, BIG))).toMatchObject({ reason: 'invalid_utf8', line: 2, status: 400 });
  });

  it('answers 413 for an event above maxEventBytes, naming it, in every shape', () => {
    const small = '{"tenantId":"a"}';
    const large = JSON.stringify({ tenantId: 'a', pad: 'x'.repeat(100) });
    expect(err(parse(`${small}\n${large}\n`, 64))).toMatchObject({
      reason: 'too_large',
      line: 2,
      status: 413,
    });
    expect(err(parse(`[${small},${large}]`, 64))).toMatchObject({
      reason: 'too_large',
      line: 2,
      status: 413,
    });
    const single = err(parse(large, 64));
    expect(single).toMatchObject({ reason: 'too_large', line: 1, status: 413 });
    expect(single.detail).toMatch(/^line 1: event of \d+ bytes exceeds the limit of 64$/);
    expect(ok(parse(small, small.length)).events).toHaveLength(1);
  });

  it('takes deep nesting as JSON.parse does, keeping the bytes (nothing is re-serialised)', () => {
    const element = `{"tenantId":"a","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const r = ok(parse(`[${element}]`));
    expect(r.events[0]!.payload.toString()).toBe(element);
    expect(ok(parse(element)).events[0]!.payload.toString()).toBe(element);
  });

  it('refuses an array with trailing content or a missing bracket as a broken array', () => {
    for (const body of [
      '[{"tenantId":"a"}',
      '[{"tenantId":"a"}] x',
      '[{"tenantId":"a"},]',
      '[{"tenantId":"a"} {"tenantId":"b"}]',
    ]) {
      expect(err(parse(body)), body).toMatchObject({ reason: 'malformed_json', line: 0, status: 400 });
    }
  });

  it('judges the syntax of the whole array before any element', () => {
    expect(err(parse('[{"x":1},{"tenantId":'))).toMatchObject({ reason: 'malformed_json', line: 0 });
    expect(err(parse('[{"tenantId":"a"},{"x":1},7]'))).toMatchObject({ reason: 'missing_tenant', line: 2 });
    expect(err(parse('[[{"tenantId":"a"}]]'))).toMatchObject({ reason: 'not_an_object', line: 1 });
  });
});

describe('parseBody: properties', () => {
  it('NDJSON round-trips tenants, values and exact line bytes', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        (evs, crlf, trailing) => {
          const lines = evs.map((e) => JSON.stringify(e));
          const body = lines.join(crlf ? '\r\n' : '\n') + (trailing ? '\n' : '');
          const r = ok(parse(body));
          expect(r.events.map((e) => e.tenant)).toEqual(evs.map((e) => e.tenantId));
          expect(r.events.map((e) => e.payload.toString('utf8'))).toEqual(lines);
        },
      ),
    );
  });

  it('a JSON array (compact or pretty) round-trips tenants, values and element bytes in order', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 20 }), fc.boolean(), (evs, pretty) => {
        const r = ok(parse(pretty ? JSON.stringify(evs, null, 2) : JSON.stringify(evs)));
        expect(r.events.map((e) => e.tenant)).toEqual(evs.map((e) => e.tenantId));
        expect(r.events.map((e) => norm(JSON.parse(e.payload.toString('utf8'))))).toEqual(evs.map(norm));
        if (!pretty)
          expect(r.events.map((e) => e.payload.toString('utf8'))).toEqual(evs.map((e) => JSON.stringify(e)));
        // Pretty: each element's text as JSON.stringify indents it one level deeper.
        else
          expect(r.events.map((e) => e.payload.toString('utf8'))).toEqual(
            evs.map((e) => JSON.stringify(e, null, 2).replaceAll('\n', '\n  ')),
          );
      }),
    );
  });

  it('a pretty-printed single object keeps its exact bytes', () => {
    fc.assert(
      fc.property(eventArb, (ev) => {
        const text = JSON.stringify(ev, null, 2);
        const r = ok(parse(`${text}\n`));
        expect(r.events).toHaveLength(1);
        expect(r.events[0]!.tenant).toBe(ev.tenantId);
        expect(r.events[0]!.payload.toString('utf8')).toBe(text);
      }),
    );
  });

  it('an array is judged element by element as JSON.parse would judge each one alone', () => {
    const element = fc.oneof(
      eventArb.map((e) => JSON.stringify(e)),
      fc.json({ maxDepth: 2 }),
      fc.constantFrom('{"tenantId":"a","n":123456789012345678901234567890}', '{"tenantId":""}', '{}', '[]'),
    );
    fc.assert(
      fc.property(fc.array(element, { maxLength: 8 }), fc.constantFrom(',', ' ,\n  '), (elements, sep) => {
        const r = parse(`[${elements.join(sep)}]`);
        const verdicts = elements.map((e) => validateEventByParse(Buffer.from(e), BIG));
        const bad = verdicts.findIndex((v) => !v.ok);
        if (bad === -1) expect(ok(r).events.map((e) => e.payload.toString())).toEqual(elements);
        else
          expect(err(r)).toMatchObject({
            line: bad + 1,
            reason: (verdicts[bad] as { reason: string }).reason,
          });
      }),
      { numRuns: 300 },
    );
  });

  const badLine = fc.constantFrom(
    { text: '{"tenantId":', reason: 'malformed_json' },
    { text: '{"tenant":"a"}', reason: 'missing_tenant' },
    { text: '"event"', reason: 'not_an_object' },
    { text: 'null', reason: 'not_an_object' },
    { text: '{"tenantId":""}', reason: 'invalid_tenant' },
    { text: JSON.stringify({ tenantId: 'y'.repeat(257) }), reason: 'invalid_tenant' },
  );

  it('one bad NDJSON line at any position is reported with exactly its line number', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 15 }), badLine, fc.nat(), (evs, bad, at) => {
        const lines = evs.map((e) => JSON.stringify(e));
        const pos = at % (lines.length + 1);
        lines.splice(pos, 0, bad.text);
        const r = err(parse(lines.join('\n')));
        expect(r.line).toBe(pos + 1);
        expect(r.reason).toBe(bad.reason);
        expect(r.detail.startsWith(`line ${pos + 1}: `)).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary bytes, and refusals are 400 or 413', () => {
    const jsonish = fc
      .array(
        fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          '"',
          ':',
          ',',
          '\n',
          '\r',
          ' ',
          'tenantId',
          '"tenantId":',
          '1',
          'x',
        ),
      )
      .map((parts) => Buffer.from(parts.join('')));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
          jsonish,
        ),
        fc.nat(300),
        (b, max) => {
          const r = parseBody(b, max);
          if (!r.ok) expect([400, 413]).toContain(r.status);
          else for (const e of r.events) expect(e.payload.length).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
