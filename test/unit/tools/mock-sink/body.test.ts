// Body decoding and envelope parsing: NDJSON, JSON arrays, gzip, and refusals naming the bad element.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { decodeBody, parseEnvelopes } from '../../../../src/tools/mock-sink/index.js';

const envelope = fc.record({
  id: fc.string({ minLength: 1 }),
  tenantId: fc.string({ minLength: 1 }),
  receivedAt: fc.integer({ min: 0, max: 2 ** 45 }),
  event: fc.dictionary(fc.string(), fc.jsonValue()),
});

describe('parseEnvelopes', () => {
  it('reads back any envelopes written as NDJSON or as a JSON array', () => {
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 20 }), (envs) => {
        const ndjson = Buffer.from(envs.map((e) => JSON.stringify(e)).join('\n') + '\n');
        const array = Buffer.from(JSON.stringify(envs));
        for (const [body, type] of [
          [ndjson, 'application/x-ndjson'],
          [array, 'application/json; charset=utf-8'],
          [array, undefined],
        ] as const) {
          const r = parseEnvelopes(body, type);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.envelopes).toEqual(JSON.parse(JSON.stringify(envs)));
        }
      }),
    );
  });

  it('skips blank lines and CRLF endings in NDJSON', () => {
    const line = JSON.stringify({ id: 'b-1', tenantId: 'acme', receivedAt: 1, event: {} });
    const r = parseEnvelopes(Buffer.from(`\r\n${line}\r\n   \n${line}`), 'application/x-ndjson');
    expect(r.ok && r.envelopes.length).toBe(2);
  });

  it('refuses the whole body naming the first bad line or element', () => {
    const good = JSON.stringify({ id: 'b-1', tenantId: 'acme', event: {} });
    const cases: [string, string | undefined, RegExp][] = [
      [`${good}\n{oops`, 'application/x-ndjson', /^line 2: not valid JSON/],
      [`${good}\n${JSON.stringify({ id: 'b-2', event: {} })}`, undefined, /^line 2: "tenantId"/],
      [JSON.stringify([{ id: '', tenantId: 'a', event: {} }]), 'application/json', /^element 0: "id"/],
      [JSON.stringify([{ id: 'x', tenantId: 'a', event: 3 }]), 'application/json', /"event" must be/],
      [JSON.stringify([{ id: 'x', tenantId: 'a', receivedAt: 'now', event: {} }]), undefined, /"receivedAt"/],
      ['[1,2', 'application/json', /^body is not valid JSON/],
      ['[]', 'application/json', /no envelopes/],
      ['', undefined, /no envelopes/],
      ['hello world', 'text/plain', /^line 1: not valid JSON/],
    ];
    for (const [body, type, message] of cases) {
      const r = parseEnvelopes(Buffer.from(body), type);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.status).toBe(400);
        expect(r.message).toMatch(message);
      }
    }
  });
});

describe('decodeBody', () => {
  it('passes identity bodies through and gunzips gzip bodies', async () => {
    const raw = Buffer.from('{"a":1}\n');
    expect(await decodeBody(raw, undefined, 1024)).toEqual({ ok: true, body: raw });
    expect(await decodeBody(gzipSync(raw), 'gzip', 1024)).toEqual({ ok: true, body: raw });
  });

  it('answers 400 for corrupt gzip, 413 for a body that inflates past the limit, 415 for other encodings', async () => {
    expect(await decodeBody(Buffer.from('not gzip'), 'gzip', 1024)).toMatchObject({ ok: false, status: 400 });
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    expect(await decodeBody(bomb, 'gzip', 64 * 1024)).toMatchObject({ ok: false, status: 413 });
    expect(await decodeBody(Buffer.from('x'), 'br', 1024)).toMatchObject({ ok: false, status: 415 });
  });
});
