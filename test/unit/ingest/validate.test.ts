// Tests for the shared event validation: tenant rules, size, UTF-8 and JSON checks on raw bytes.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_TENANT_LENGTH, validateEvent, validateValue } from '../../../src/ingest/validate.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('validateValue', () => {
  it('accepts an object with a tenantId of 1..256 characters', () => {
    expect(validateValue({ tenantId: 'a' })).toEqual({ ok: true, tenant: 'a' });
    const max = 'x'.repeat(MAX_TENANT_LENGTH);
    expect(validateValue({ tenantId: max })).toEqual({ ok: true, tenant: max });
  });

  it('refuses non-objects, missing, empty, non-string and over-long tenants', () => {
    for (const v of [null, 1, 'x', [], [{ tenantId: 'a' }]]) {
      expect(validateValue(v)).toMatchObject({ ok: false, reason: 'not_an_object' });
    }
    expect(validateValue({})).toMatchObject({ ok: false, reason: 'missing_tenant' });
    for (const t of ['', 7, null, { a: 1 }]) {
      expect(validateValue({ tenantId: t })).toMatchObject({ ok: false, reason: 'invalid_tenant' });
    }
    expect(validateValue({ tenantId: 'x'.repeat(MAX_TENANT_LENGTH + 1) })).toMatchObject({
      ok: false,
      reason: 'invalid_tenant',
    });
  });
});

describe('validateEvent', () => {
  it('checks size first, then UTF-8, then JSON', () => {
    expect(validateEvent(bytes('{"tenantId":"a"}'), 16)).toEqual({ ok: true, tenant: 'a' });
    expect(validateEvent(bytes('{"tenantId":"a"}'), 15)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(validateEvent(Buffer.from([0x7b, 0xff, 0x7d]), 100)).toMatchObject({ reason: 'invalid_utf8' });
    expect(validateEvent(bytes('{"tenantId":'), 100)).toMatchObject({ reason: 'malformed_json' });
  });

  it('reads only the view it is given, not the whole underlying buffer', () => {
    const whole = bytes('{"tenantId":"a"}\n{"tenantId":"b"}');
    expect(validateEvent(whole.subarray(17), 100)).toEqual({ ok: true, tenant: 'b' });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(120), (u, max) => {
        expect(typeof validateEvent(u, max).ok).toBe('boolean');
      }),
    );
  });
});

describe('malformed JSON detail', () => {
  it('says where parsing stopped without quoting the event (it may carry credentials)', () => {
    const secret = 'hunter2-password-value';
    const v = validateEvent(Buffer.from(`{"tenantId":"acme","password":"${secret}" oops}`), 1 << 20);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toBe('malformed_json');
      expect(v.detail).not.toContain(secret);
      expect(v.detail).toMatch(/^not valid JSON/);
    }
  });
});
