// Differential tests of the byte scan: on every input, validateEvent (the scan) must say exactly what the
// old isUtf8 + JSON.parse + validateValue path (validateEventByParse, the oracle) says: same ok, reason,
// detail and tenant. Plus named cases and scanValue's end offsets (what HTTP array splitting relies on).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_TENANT_LENGTH, scanEvent, scanFailedAt, scanValue } from '../../../src/ingest/scan.js';
import { validateEvent, validateEventByParse } from '../../../src/ingest/validate.js';

const BIG = 1 << 30;

function same(bytes: Uint8Array, max = BIG): void {
  const oracle = validateEventByParse(bytes, max);
  expect(validateEvent(bytes, max), Buffer.from(bytes).toString('latin1').slice(0, 300)).toEqual(oracle);
  // The scan alone already decides: JSON.parse only words malformed_json.
  const raw = scanEvent(bytes, max);
  expect(raw.ok ? raw : raw.reason).toEqual(oracle.ok ? oracle : oracle.reason);
}

// ---- JSON text generators -------------------------------------------------------------------------------
// A tree is serialised by hand, so the text can hold what JSON.stringify never writes: duplicate keys,
// escaped keys, any whitespace, any number spelling.

type Tree =
  | { t: 'num'; text: string }
  | { t: 'lit'; text: 'true' | 'false' | 'null' }
  | { t: 'str'; value: string }
  | { t: 'arr'; items: Tree[] }
  | { t: 'obj'; members: [string, Tree][] };

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const textArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 8, unit: 'grapheme' }),
  fc.string({ maxLength: 8, unit: 'binary' }),
  fc.string({
    maxLength: 6,
    unit: fc.oneof(fc.constantFrom('a', '"', '\\', '/', '\n', '\u0000', '\u2028'), loneSurrogate),
  }),
);

const digits = (min: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: 25 });
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom(
    '123456789012345678901234567890',
    '1e400',
    '-1E-400',
    '0.0',
    '-0',
    '1.5e+10',
    '9007199254740993',
  ),
  fc
    .tuple(
      fc.boolean(),
      fc.oneof(
        fc.constant('0'),
        fc.tuple(fc.constantFrom(...'123456789'), digits(0)).map(([a, b]) => a + b),
      ),
      fc.option(
        digits(1).map((d) => `.${d}`),
        { nil: '' },
      ),
      fc.option(
        fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1)).map((p) => p.join('')),
        { nil: '' },
      ),
    )
    .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac}${exp}`),
);

const keyArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('tenantId', 'tenantid', 'tenantId ', 'tenant', '', '__proto__', 'a'),
  },
  { weight: 2, arbitrary: textArb },
);

const tenantValue: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 4, arbitrary: textArb.map((value) => ({ t: 'str' as const, value })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        MAX_TENANT_LENGTH - 1,
        MAX_TENANT_LENGTH,
        MAX_TENANT_LENGTH + 1,
        2 * MAX_TENANT_LENGTH,
        2 * MAX_TENANT_LENGTH + 2,
        3 * MAX_TENANT_LENGTH + 1,
        4 * MAX_TENANT_LENGTH + 1,
      )
      .chain((n) =>
        fc.constantFrom('x', 'é', '\u{1F600}', '\u20ac').map((c) => ({
          t: 'str' as const,
          value: c.repeat(Math.ceil(n / c.length)),
        })),
      ),
  },
  { weight: 1, arbitrary: numberText.map((text) => ({ t: 'num' as const, text })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('true', 'false', 'null').map((text) => ({ t: 'lit' as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({ t: 'obj' as const, members: [['tenantId', { t: 'str', value: 'in' }]] }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'arr' as const, items: [{ t: 'str', value: 'a' }] }) },
) as fc.Arbitrary<Tree>;

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree; member: [string, Tree] }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText.map((text) => ({ t: 'num' as const, text })),
    fc.constantFrom('true', 'false', 'null').map((text) => ({ t: 'lit' as const, text })),
    textArb.map((value) => ({ t: 'str' as const, value })),
    fc.array(tie('tree'), { maxLength: 4 }).map((items) => ({ t: 'arr' as const, items })),
    fc.array(tie('member'), { maxLength: 5 }).map((members) => ({ t: 'obj' as const, members })),
  ),
  member: fc.oneof(fc.tuple(keyArb, tie('tree')), fc.tuple(fc.constant('tenantId'), tenantValue)),
})).tree;

/** A top-level object, usually with one or more tenantId members among others. */
const eventTree: fc.Arbitrary<Tree> = fc
  .tuple(
    fc.array(fc.tuple(keyArb, treeArb), { maxLength: 5 }),
    fc.array(tenantValue, { maxLength: 3 }),
    fc.array(fc.nat(), { maxLength: 3 }),
  )
  .map(([members, tenants, at]) => {
    const all: [string, Tree][] = [...members];
    tenants.forEach((v, k) => all.splice((at[k] ?? 0) % (all.length + 1), 0, ['tenantId', v]));
    return { t: 'obj', members: all };
  });

/** A tiny PRNG so one seed decides all the whitespace and escaping of a serialisation. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Near-misses of each token kind: what a lenient parser would take and JSON.parse refuses. */
const BAD = {
  num: [
    '01',
    '00',
    '-01',
    '+1',
    '.5',
    '1.',
    '1e',
    '1e+',
    '-',
    '--1',
    '0x1',
    'NaN',
    'Infinity',
    '1_0',
    '1.e5',
    '0.e1',
  ],
  lit: ['tru', 'True', 'nul', 'nulll', 'fals', 'undefined', "'a'"],
  esc: ['\\x41', '\\a', '\\v', '\\0', '\\u12G4', '\\u12', '\\U0041', "\\'", '\t', '\u0001', '\u001f'],
  ws: ['\f', '\v', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u0085'],
  punct: ['', ',', ';', '::', ',,'],
};

function serialise(tree: Tree, seed: number, style: 'compact' | 'noisy' | 'broken'): string {
  const rnd = prng(seed);
  const WS = [' ', '\t', '\r', '\n'];
  const pick = (xs: readonly string[]): string => xs[Math.floor(rnd() * xs.length)]!;
  /** In 'broken' style, now and then a token is replaced by a near-miss. */
  const corrupt = (): boolean => style === 'broken' && rnd() < 0.04;
  const ws = (): string => {
    if (corrupt()) return pick(BAD.ws);
    if (style === 'compact' || rnd() < 0.6) return '';
    let out = '';
    while (rnd() < 0.5) out += WS[Math.floor(rnd() * 4)];
    return out || ' ';
  };
  const str = (s: string): string => {
    // JSON.stringify escapes what must be (and lone surrogates); then some plain characters get \u escapes.
    const base = JSON.stringify(s);
    if (style === 'compact') return base;
    let out = '"';
    for (let i = 1; i < base.length - 1; i++) {
      const ch = base[i]!;
      if (ch === '\\') {
        const esc = base[i + 1] === 'u' ? base.slice(i, i + 6) : base.slice(i, i + 2);
        out += esc;
        i += esc.length - 1;
      } else if (corrupt()) {
        out += pick(BAD.esc) + ch;
      } else if (rnd() < 0.15) {
        out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
        if (rnd() < 0.5) out = out.slice(0, -4) + out.slice(-4).toUpperCase();
      } else out += ch;
    }
    return `${out}"`;
  };
  const sep = (c: string): string => (corrupt() ? pick(BAD.punct) : c);
  const go = (n: Tree): string => {
    switch (n.t) {
      case 'num':
        return corrupt() ? pick(BAD.num) : n.text;
      case 'lit':
        return corrupt() ? pick(BAD.lit) : n.text;
      case 'str':
        return str(n.value);
      case 'arr':
        return `[${ws()}${n.items.map((x) => go(x) + ws()).join(`${sep(',')}${ws()}`)}${corrupt() ? ',' : ''}]`;
      case 'obj':
        return `{${ws()}${n.members
          .map(([k, v]) => `${str(k)}${ws()}${sep(':')}${ws()}${go(v)}${ws()}`)
          .join(`${sep(',')}${ws()}`)}${corrupt() ? ',' : ''}}`;
    }
  };
  return ws() + go(tree) + ws();
}

const validText = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: eventTree }, { weight: 1, arbitrary: treeArb }),
    fc.nat(),
    fc.boolean(),
  )
  .map(([tree, seed, noisy]) => serialise(tree, seed, noisy ? 'noisy' : 'compact'));

/** Like validText, with near-miss tokens here and there (most texts get one or more). */
const brokenText = fc
  .tuple(fc.oneof({ weight: 4, arbitrary: eventTree }, { weight: 1, arbitrary: treeArb }), fc.nat())
  .map(([tree, seed]) => serialise(tree, seed, 'broken'));

const INVALID_UTF8: readonly number[][] = [
  [0x80], // lone continuation
  [0xc0, 0xaf], // overlong '/'
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0xaf], // overlong 3-byte
  [0xf0, 0x80, 0x80, 0xaf], // overlong 4-byte
  [0xed, 0xa0, 0x80], // UTF-8-encoded surrogate U+D800
  [0xed, 0xbf, 0xbf], // U+DFFF
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], // 6-byte form
  [0xff],
  [0xfe],
  [0xc2], // truncated 2-byte
  [0xe2, 0x82], // truncated 3-byte
  [0xf0, 0x9f, 0x98], // truncated 4-byte
];
const VALID_UTF8: readonly number[][] = [
  [0xc2, 0x80],
  [0xef, 0xbf, 0xbf],
  [0xf4, 0x8f, 0xbf, 0xbf],
  [0xe2, 0x80, 0xa8],
];

type Mutation =
  | { k: 'flip'; at: number; byte: number }
  | { k: 'insert'; at: number; bytes: number[] }
  | { k: 'delete'; at: number; n: number }
  | { k: 'truncate'; at: number }
  | { k: 'inString'; at: number; bytes: number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    k: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.constantFrom(...INVALID_UTF8, ...VALID_UTF8),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom(...[...'{}[]",:\\ 0-.eE'].map((c) => [c.charCodeAt(0)])),
    ),
  }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    k: fc.constant('inString' as const),
    at: fc.nat(),
    bytes: fc.constantFrom(...INVALID_UTF8, ...VALID_UTF8, [0x09], [0x1f], [0x7f]),
  }),
);

function mutate(bytes: Buffer, ms: Mutation[]): Buffer {
  let b = bytes;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.k === 'insert' ? 1 : 0));
    if (m.k === 'flip' && b.length > 0) {
      b = Buffer.from(b);
      b[at] = m.byte;
    } else if (m.k === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.k === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else if (m.k === 'truncate') b = b.subarray(0, at);
    else if (m.k === 'inString') {
      // Just after some quote, so the bytes most likely land inside a string.
      const quotes = [...b.keys()].filter((i) => b[i] === 0x22);
      if (quotes.length === 0) continue;
      const q = quotes[m.at % quotes.length]! + 1;
      b = Buffer.concat([b.subarray(0, q), Buffer.from(m.bytes), b.subarray(q)]);
    }
  }
  return b;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// ---- properties -----------------------------------------------------------------------------------------

describe('scan vs JSON.parse (differential)', () => {
  it('agrees on valid JSON text: events, duplicated and escaped keys, nesting, any value', () => {
    fc.assert(
      fc.property(validText, (text) => same(Buffer.from(text, 'utf8'))),
      { numRuns: 3000 },
    );
  });

  it("agrees on fast-check's own JSON values and texts", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
          fc
            .tuple(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 20, unit: 'binary' }))
            .map(([v, t]) => JSON.stringify({ x: v, tenantId: t })),
        ),
        (text) => same(Buffer.from(text, 'utf8')),
      ),
      { numRuns: 1000 },
    );
  });

  it('agrees on mutated and truncated JSON (byte flips, insertions, deletions, invalid UTF-8)', () => {
    fc.assert(
      fc.property(validText, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, ms) =>
        same(mutate(Buffer.from(text, 'utf8'), ms)),
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees on near-miss JSON (bad numbers, literals, escapes, whitespace, punctuation)', () => {
    fc.assert(
      fc.property(brokenText, (text) => same(Buffer.from(text, 'utf8'))),
      { numRuns: 3000 },
    );
  });

  it('agrees with a BOM, trailing whitespace or trailing garbage', () => {
    const extra = fc.constantFrom(
      '',
      ' ',
      '\n',
      '\r\n\t ',
      'x',
      '}',
      ',',
      '{}',
      '\u00a0',
      '\u2028',
      '\u0000',
    );
    fc.assert(
      fc.property(validText, fc.boolean(), extra, (text, bom, tail) => {
        const body = Buffer.from(text + tail, 'utf8');
        same(bom ? Buffer.concat([BOM, body]) : body);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees on random bytes and on JSON-ish token soup', () => {
    const soup = fc
      .array(
        fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          '"',
          ':',
          ',',
          ' ',
          '\\',
          'u',
          '0',
          '1',
          '-',
          '.',
          'e',
          'tenantId',
          '"tenantId":',
          'true',
          'nul',
          '\\u0049',
        ),
        { maxLength: 30 },
      )
      .map((p) => Buffer.from(p.join('')));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
          soup,
        ),
        (b) => same(b),
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on the size limit, checked before anything else', () => {
    fc.assert(
      fc.property(validText, fc.nat(40), (text, max) => same(Buffer.from(text, 'utf8'), max)),
      { numRuns: 500 },
    );
  });
});

describe('scan: named cases', () => {
  const cases: [name: string, text: string | Buffer, reason: string | { tenant: string }][] = [
    ['plain event', '{"tenantId":"acme","n":1}', { tenant: 'acme' }],
    ['whitespace around and inside', ' \t\r\n{ "tenantId" : "acme" } \n', { tenant: 'acme' }],
    ['escaped key is the key', '{"tenant\\u0049d":"x"}', { tenant: 'x' }],
    [
      'key fully escaped',
      '{"\\u0074\\u0065\\u006E\\u0061\\u006e\\u0074\\u0049\\u0064":"y"}',
      { tenant: 'y' },
    ],
    ['last duplicate wins (string)', '{"tenantId":1,"tenantId":"b"}', { tenant: 'b' }],
    ['last duplicate wins (non-string)', '{"tenantId":"a","tenantId":{}}', 'invalid_tenant'],
    ['nested tenantId ignored', '{"a":{"tenantId":"x"},"b":[{"tenantId":"y"}]}', 'missing_tenant'],
    ['nested tenantId ignored, top-level used', '{"a":{"tenantId":"x"},"tenantId":"z"}', { tenant: 'z' }],
    ['tenant with escapes', '{"tenantId":"a\\"b\\\\c\\/d\\n\\u00e9"}', { tenant: 'a"b\\c/d\n\u00e9' }],
    ['surrogate pair escaped', '{"tenantId":"\\ud83d\\ude00"}', { tenant: '\u{1F600}' }],
    ['lone high surrogate', '{"tenantId":"\\ud83d"}', 'invalid_tenant'],
    ['lone low surrogate', '{"tenantId":"x\\uDE00"}', 'invalid_tenant'],
    ['raw UTF-8 tenant', '{"tenantId":"\u00e9\u{1F600}"}', { tenant: '\u00e9\u{1F600}' }],
    ['empty tenant', '{"tenantId":""}', 'invalid_tenant'],
    ['null tenant', '{"tenantId":null}', 'invalid_tenant'],
    ['256 chars', `{"tenantId":"${'x'.repeat(256)}"}`, { tenant: 'x'.repeat(256) }],
    ['257 chars', `{"tenantId":"${'x'.repeat(257)}"}`, 'invalid_tenant'],
    [
      '256 astral chars (512 code units) count as 256 characters',
      `{"tenantId":"${'\u{1F600}'.repeat(256)}"}`,
      { tenant: '\u{1F600}'.repeat(256) },
    ],
    ['257 astral chars', `{"tenantId":"${'\u{1F600}'.repeat(257)}"}`, 'invalid_tenant'],
    [
      '256 escaped surrogate pairs',
      `{"tenantId":"${'\\ud83d\\ude00'.repeat(256)}"}`,
      { tenant: '\u{1F600}'.repeat(256) },
    ],
    ['257 escaped surrogate pairs', `{"tenantId":"${'\\ud83d\\ude00'.repeat(257)}"}`, 'invalid_tenant'],
    [
      '255 astral chars and one letter',
      `{"tenantId":"${'\u{1F600}'.repeat(255)}x"}`,
      { tenant: `${'\u{1F600}'.repeat(255)}x` },
    ],
    [
      'huge numbers',
      '{"tenantId":"a","n":123456789012345678901234567890,"m":1e400,"o":-0.0e-0}',
      { tenant: 'a' },
    ],
    ['leading zero', '{"tenantId":"a","n":01}', 'malformed_json'],
    ['plus sign', '{"tenantId":"a","n":+1}', 'malformed_json'],
    ['bare fraction', '{"tenantId":"a","n":.5}', 'malformed_json'],
    ['trailing dot', '{"tenantId":"a","n":1.}', 'malformed_json'],
    ['empty exponent', '{"tenantId":"a","n":1e+}', 'malformed_json'],
    ['trailing comma', '{"tenantId":"a",}', 'malformed_json'],
    ['raw control character in string', '{"tenantId":"a\tb"}', 'malformed_json'],
    ['bad escape', '{"tenantId":"\\x41"}', 'malformed_json'],
    ['short \\u escape', '{"tenantId":"\\u41"}', 'malformed_json'],
    ['NBSP is not JSON whitespace', '{"tenantId":"a"}\u00a0', 'malformed_json'],
    ['BOM', Buffer.concat([BOM, Buffer.from('{"tenantId":"a"}')]), 'malformed_json'],
    ['two values', '{"tenantId":"a"} {"tenantId":"b"}', 'malformed_json'],
    ['empty input', '', 'malformed_json'],
    ['array', '[{"tenantId":"a"}]', 'not_an_object'],
    ['string', '"tenantId"', 'not_an_object'],
    [
      'overlong in a string',
      Buffer.from([...Buffer.from('{"tenantId":"'), 0xc0, 0xaf, ...Buffer.from('"}')]),
      'invalid_utf8',
    ],
    [
      'surrogate in UTF-8',
      Buffer.from([...Buffer.from('{"tenantId":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
      'invalid_utf8',
    ],
    [
      '5-byte form',
      Buffer.from([...Buffer.from('{"a":"'), 0xf8, 0x88, 0x80, 0x80, 0x80, ...Buffer.from('"}')]),
      'invalid_utf8',
    ],
    [
      'invalid UTF-8 after a syntax error',
      Buffer.from([...Buffer.from('{"a":,"b":"'), 0xff, ...Buffer.from('"}')]),
      'invalid_utf8',
    ],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      same(bytes);
      const v = validateEvent(bytes, BIG);
      if (typeof want === 'string') expect(v).toMatchObject({ ok: false, reason: want });
      else expect(v).toEqual({ ok: true, tenant: want.tenant });
    });
  }

  it('takes nesting as deep as JSON.parse does, without recursion', () => {
    for (const depth of [1000, 200_000]) {
      same(Buffer.from(`{"tenantId":"a","x":${'['.repeat(depth)}${']'.repeat(depth)}}`));
      same(Buffer.from(`{"tenantId":"a","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`));
      same(Buffer.from(`{"tenantId":"a","x":${'['.repeat(depth)}${']'.repeat(depth - 1)}}`)); // unbalanced
    }
    // and is not left holding the big stack
    same(Buffer.from('{"tenantId":"a"}'));
  });

  it('finds a special byte at any offset of a long string (the 4-byte fast path and its tail)', () => {
    const specials = [
      [0x22],
      [0x5c, 0x6e],
      [0x5c, 0x78],
      [0x09],
      [0x1f],
      [0x7f],
      [0xc3, 0xa9],
      [0xc3],
      [0xff],
    ];
    for (const sp of specials)
      for (let at = 0; at < 12; at++)
        for (const len of [at + 1, at + 4, 16]) {
          const chars = Buffer.alloc(len, 0x61);
          const text = Buffer.concat([chars.subarray(0, at), Buffer.from(sp), chars.subarray(at)]);
          same(Buffer.concat([Buffer.from('{"tenantId":"'), text, Buffer.from('"}')]));
          same(Buffer.concat([Buffer.from('{"tenantId":"t","x":"'), text, Buffer.from('"}')]));
        }
  });

  it('reads only the view it is given', () => {
    const whole = Buffer.from('xx{"tenantId":"a"}{"tenantId":"b"}yy');
    expect(validateEvent(whole.subarray(2, 18), BIG)).toEqual({ ok: true, tenant: 'a' });
    expect(validateEvent(new Uint8Array(whole.buffer, whole.byteOffset + 18, 16), BIG)).toEqual({
      ok: true,
      tenant: 'b',
    });
  });
});

describe('scanValue', () => {
  it('returns the offset just past one value, whatever follows it', () => {
    fc.assert(
      fc.property(validText, fc.constantFrom(' x', ',{', ']', '\n{"tenantId":1}', ''), (text, tail) => {
        const value = Buffer.from(text.trim(), 'utf8');
        const b = Buffer.concat([Buffer.from('  '), value, Buffer.from(tail)]);
        const oracleOk = (() => {
          try {
            JSON.parse(text);
            return true;
          } catch {
            return false;
          }
        })();
        const end = scanValue(b, 0, b.length);
        if (oracleOk) expect(end).toBe(2 + value.length);
        else expect(end).toBe(-1);
      }),
      { numRuns: 500 },
    );
  });

  it('says where it stopped', () => {
    expect(scanValue(Buffer.from('{"a":01}'), 0, 8)).toBe(-1);
    expect(scanFailedAt()).toBe(6);
    expect(scanValue(Buffer.from('[1,]'), 0, 4)).toBe(-1);
    expect(scanFailedAt()).toBe(3);
  });

  it('stops at the given end', () => {
    const b = Buffer.from('{"a":1}');
    expect(scanValue(b, 0, 6)).toBe(-1);
    expect(scanValue(b, 0, 7)).toBe(7);
    expect(scanValue(Buffer.from('[1, 2] 3'), 0, 8)).toBe(6);
  });
});
