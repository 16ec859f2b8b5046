// Tests for the per-request event cap of parseBody and the tenantId length counted in Unicode code points.
import { describe, expect, it } from 'vitest';
import { parseBody, type ParseResult } from '../../../src/ingest/body.js';
import { scanEvent } from '../../../src/ingest/scan.js';
import {
  codePointsAtMost,
  MAX_TENANT_LENGTH,
  validateEvent,
  validateEventByParse,
  validateValue,
} from '../../../src/ingest/validate.js';

const BIG = 1 << 30;
const ev = (i: number): string => JSON.stringify({ tenantId: 'acme', i });
const parse = (text: string, maxEvents: number): ParseResult =>
  parseBody(Buffer.from(text, 'utf8'), BIG, maxEvents);

describe('parseBody: maxEvents', () => {
  const array = (n: number): string => `[${Array.from({ length: n }, (_, i) => ev(i)).join(',')}]`;
  const ndjson = (n: number): string => Array.from({ length: n }, (_, i) => ev(i)).join('\n');

  it('takes exactly maxEvents events as an array or as NDJSON', () => {
    expect(parse(array(5), 5)).toMatchObject({ ok: true, events: { length: 5 } });
    expect(parse(ndjson(5), 5)).toMatchObject({ ok: true, events: { length: 5 } });
  });

  it('refuses an array of maxEvents + 1 with 413 too_many_events, naming the element and the key', () => {
    expect(parse(array(6), 5)).toEqual({
      ok: false,
      reason: 'too_many_events',
      status: 413,
      line: 6,
      detail:
        'element 6: the request holds more than 5 events (ingest.http.maxEventsPerRequest); split it into smaller requests',
    });
  });

  it('refuses NDJSON over the cap, counting events rather than blank lines', () => {
    const text = `${ev(1)}\n\n${ev(2)}\n${ev(3)}\n\n`;
    expect(parse(text, 3)).toMatchObject({ ok: true, events: { length: 3 } });
    expect(parse(`${text}${ev(4)}\n`, 3)).toMatchObject({ ok: false, reason: 'too_many_events', line: 6 });
  });

  it('refuses a huge array before validating its elements (an invalid one past the cap is never judged)', () => {
    const text = `[${ev(1)},${ev(2)},{"no":"tenant"}]`;
    expect(parse(text, 2)).toMatchObject({ ok: false, reason: 'too_many_events', status: 413 });
  });

  it('counts a single object as one event, and has no cap by default', () => {
    expect(parse(ev(1), 1)).toMatchObject({ ok: true });
    expect(parseBody(Buffer.from(array(20_000)), BIG)).toMatchObject({
      ok: true,
      events: { length: 20_000 },
    });
  });
});

describe('tenantId length in Unicode code points', () => {
  const emoji = '\u{1F600}';
  const event = (tenant: string): Buffer => Buffer.from(JSON.stringify({ tenantId: tenant }), 'utf8');
  const escaped = (tenant: string): Buffer =>
    Buffer.from(
      `{"tenantId":"${[...tenant].map((c) => (c.length === 2 ? `\\u${c.charCodeAt(0).toString(16)}\\u${c.charCodeAt(1).toString(16)}` : c)).join('')}"}`,
    );
  const validators = { validateEvent, validateEventByParse, scanEvent } as const;

  for (const [name, validate] of Object.entries(validators)) {
    it(`${name}: 256 emoji (512 UTF-16 units, 1024 bytes) are accepted, 257 refused`, () => {
      expect(validate(event(emoji.repeat(256)), BIG)).toEqual({ ok: true, tenant: emoji.repeat(256) });
      expect(validate(escaped(emoji.repeat(256)), BIG)).toEqual({ ok: true, tenant: emoji.repeat(256) });
      for (const bytes of [event(emoji.repeat(257)), escaped(emoji.repeat(257))]) {
        expect(validate(bytes, BIG)).toMatchObject({ ok: false, reason: 'invalid_tenant' });
      }
    });

    it(`${name}: mixed widths count one per character`, () => {
      const t = `${'é'.repeat(100)}${'\u20ac'.repeat(100)}${emoji.repeat(56)}`;
      expect(validate(event(t), BIG)).toEqual({ ok: true, tenant: t });
      expect(validate(event(`${t}x`), BIG)).toMatchObject({ ok: false, reason: 'invalid_tenant' });
    });
  }

  it('validateValue agrees, and says what is counted', () => {
    expect(validateValue({ tenantId: emoji.repeat(MAX_TENANT_LENGTH) })).toMatchObject({ ok: true });
    expect(validateValue({ tenantId: emoji.repeat(MAX_TENANT_LENGTH + 1) })).toEqual({
      ok: false,
      reason: 'invalid_tenant',
      detail: 'tenantId is longer than 256 characters (Unicode code points)',
    });
  });

  it('codePointsAtMost counts surrogate pairs once', () => {
    expect(codePointsAtMost('', 0)).toBe(true);
    expect(codePointsAtMost('ab', 1)).toBe(false);
    expect(codePointsAtMost(emoji.repeat(3), 3)).toBe(true);
    expect(codePointsAtMost(`${emoji.repeat(3)}a`, 3)).toBe(false);
    expect(codePointsAtMost(emoji.repeat(4), 3)).toBe(false);
  });
});
