// Encrypted records on their own: round trip, and that any single-bit flip or a record moved to another row,
// tenant or buffer fails authentication (a property over random blobs and ids).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RecordCipher,
  isEncrypted,
  openPlain,
  recordKeyId,
  type RecordContext,
} from '../../../src/buffer/sqlite/crypto.js';
import { decodeKey } from '../../../src/config/index.js';
import { ErrorCodes } from '../../../src/errors.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'key-2024.b_x', key: randomBytes(32) };

const ctxArb: fc.Arbitrary<RecordContext> = fc.oneof(
  fc.record({
    kind: fc.constant('chunk' as const),
    id: fc.integer({ min: 1, max: 2 ** 40 }),
    tenant: fc.string({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('dead_letter' as const),
    seq: fc.integer({ min: 1, max: 2 ** 40 }),
    tenant: fc.string({ minLength: 1, maxLength: 40 }),
  }),
);

function authFails(f: () => unknown): void {
  expect(f).toThrow(expect.objectContaining({ code: ErrorCodes.BUFFER_RECORD_AUTH }) as Error);
}

describe('RecordCipher', () => {
  it('round-trips, and writes the versioned header with the key id', () => {
    const c = new RecordCipher([k1], 'buf');
    const plain = Buffer.from('{"id":"buf-1","tenantId":"acme","receivedAt":1,"event":{"a":1}}\n');
    const sealed = c.seal(plain, { kind: 'chunk', id: 7, tenant: 'acme' });
    expect(isEncrypted(sealed)).toBe(true);
    expect([...sealed.subarray(0, 3)]).toEqual([0, 1, 2]);
    expect(recordKeyId(sealed)).toBe('k1');
    expect(sealed.length).toBe(3 + 2 + 12 + plain.length + 16);
    expect(sealed.includes(Buffer.from('acme'))).toBe(false);
    expect(c.open(sealed, { kind: 'chunk', id: 7, tenant: 'acme' }, 'k1')).toEqual(plain);
    // A fresh nonce each time: the same plaintext never gives the same record.
    expect(c.seal(plain, { kind: 'chunk', id: 7, tenant: 'acme' }).equals(sealed)).toBe(false);
  });

  it('passes clear-text records through (a plain buffer being migrated)', () => {
    const c = new RecordCipher([k1], 'buf');
    const plain = Buffer.from('{"tenantId":"a"}');
    expect(c.open(plain, { kind: 'dead_letter', seq: 1, tenant: 'a' }, null)).toEqual(plain);
    expect(openPlain(plain, null)).toEqual(plain);
    const sealed = c.seal(plain, { kind: 'dead_letter', seq: 1, tenant: 'a' });
    expect(() => openPlain(sealed, null)).toThrow(/key "k1"/);
    // A row that says encrypted must hold an encrypted record: a flipped mark byte is not clear text.
    const unmarked = Buffer.from(sealed);
    unmarked[0] = 0x7b;
    authFails(() => c.open(unmarked, { kind: 'dead_letter', seq: 1, tenant: 'a' }, 'k1'));
    authFails(() => openPlain(unmarked, 'k1'));
  });

  it('encrypts with the first key and opens with any listed key (rotation)', () => {
    const old = new RecordCipher([k1], 'buf');
    const rotated = new RecordCipher([k2, k1], 'buf');
    const ctx: RecordContext = { kind: 'chunk', id: 1, tenant: 't' };
    const before = old.seal(Buffer.from('x'), ctx);
    const after = rotated.seal(Buffer.from('y'), ctx);
    expect(recordKeyId(after)).toBe(k2.id);
    expect(rotated.open(before, ctx, 'k1').toString()).toBe('x');
    expect(rotated.open(after, ctx, k2.id).toString()).toBe('y');
    expect(() => old.open(after, ctx, null)).toThrow(/not configured/);
    // Same id, other key material: authentication fails.
    authFails(() => new RecordCipher([{ id: 'k1', key: randomBytes(32) }], 'buf').open(before, ctx, 'k1'));
  });

  it('property: open(seal(x)) = x; any single-bit flip, another row, tenant or buffer fails', () => {
    const c = new RecordCipher([k1, k2], 'buf-a');
    const other = new RecordCipher([k1, k2], 'buf-b');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        ctxArb,
        ctxArb,
        fc.nat(),
        (bytes, ctx, ctx2, bitSeed) => {
          const plain = Buffer.from(bytes);
          const sealed = c.seal(plain, ctx);
          expect(c.open(sealed, ctx, recordKeyId(sealed)!).equals(plain)).toBe(true);
          const bit = bitSeed % (sealed.length * 8);
          const flipped = Buffer.from(sealed);
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          authFails(() => c.open(flipped, ctx, 'k1'));
          if (JSON.stringify(ctx) !== JSON.stringify(ctx2)) authFails(() => c.open(sealed, ctx2, 'k1'));
          authFails(() => other.open(sealed, ctx, 'k1'));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decodeKey', () => {
  it('takes 32 bytes of base64 (as openssl rand -base64 32 writes it) and nothing else', () => {
    const key = randomBytes(32);
    expect(decodeKey(`${key.toString('base64')}\n`)).toEqual(key);
    expect(decodeKey(randomBytes(16).toString('base64'))).toBeUndefined();
    expect(decodeKey(key.toString('hex'))).toBeUndefined();
    expect(decodeKey('not base64 at all!')).toBeUndefined();
  });
});
