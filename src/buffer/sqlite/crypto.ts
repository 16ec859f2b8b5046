// Encryption at rest of buffer records (chunk lines, dead-letter payloads): AES-256-GCM from node:crypto, a
// fresh random 96-bit nonce per record, and the row's identity bound as associated data, so a record copied
// to another row, tenant or buffer fails to open. Pure: no SQLite here (see keyring.ts for the key checks).
//
// Record layout (all integers one byte):
//   0x00 | version (1) | key id length L (1..32) | key id (L ASCII bytes) | nonce (12) | ciphertext | tag (16)
// A plain record is the JSON text it always was: it never starts with 0x00 (JSON text cannot hold a NUL), so
// both kinds can share a table while a plain buffer is being migrated (`logdriver rekey`).
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, LogdriverError } from '../../errors.js';

/** One key: `id` is stored with every record it encrypts; `key` is 32 bytes. */
export interface BufferKey {
  readonly id: string;
  readonly key: Uint8Array;
}

export const RECORD_MARK = 0x00;
export const RECORD_VERSION = 1;
export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The row a record belongs to: its kind and primary key, and its tenant. */
export type RecordContext =
  | { readonly kind: 'chunk'; readonly id: number; readonly tenant: string }
  | { readonly kind: 'dead_letter'; readonly seq: number; readonly tenant: string };

/** True when the bytes are an encrypted record (a plain one is JSON text). */
export function isEncrypted(blob: Uint8Array): boolean {
  return blob.length > 0 && blob[0] === RECORD_MARK;
}

/** The key id in an encrypted record's header (undefined for a plain record or a damaged header). */
export function recordKeyId(blob: Uint8Array): string | undefined {
  if (!isEncrypted(blob) || blob.length < 3) return undefined;
  const n = blob[2]!;
  if (n === 0 || blob.length < 3 + n) return undefined;
  return Buffer.from(blob.buffer, blob.byteOffset + 3, n).toString('latin1');
}

/** Why a record could not be opened; `code` is stable, the message says what to do. */
export class RecordError extends LogdriverError {
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(ErrorCodes.BUFFER_RECORD_AUTH, message);
  }
}

/** The key check stored in `meta` for a key id: HMAC-SHA256 of a fixed label and the buffer id, in hex. */
export function keyCheck(key: Uint8Array, bufferId: string): string {
  return createHmac('sha256', key).update(`logdriver buffer key check v1\0${bufferId}`).digest('hex');
}

export function sameCheck(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Seals with the first key; opens with whichever key a record names. */
export class RecordCipher {
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  readonly #current: { id: string; key: Uint8Array; header: Buffer };
  readonly #bufferId: string;

  constructor(keys: readonly BufferKey[], bufferId: string) {
    const first = keys[0];
    if (!first) throw new Error('a record cipher needs at least one key');
    for (const k of keys) {
      if (!KEY_ID_PATTERN.test(k.id)) throw new Error(`bad key id ${JSON.stringify(k.id)}`);
      if (k.key.length !== KEY_BYTES) throw new Error(`key "${k.id}" is not ${KEY_BYTES} bytes`);
    }
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
    this.#current = { id: first.id, key: first.key, header: header(first.id) };
    this.#bufferId = bufferId;
  }

  /** The id of the key that encrypts new records. */
  get keyId(): string {
    return this.#current.id;
  }

  hasKey(id: string): boolean {
    return this.#keys.has(id);
  }

  #aad(head: Uint8Array, ctx: RecordContext): Buffer {
    const row = ctx.kind === 'chunk' ? ctx.id : ctx.seq;
    return Buffer.concat([head, Buffer.from(JSON.stringify([this.#bufferId, ctx.kind, row, ctx.tenant]))]);
  }

  seal(plain: Uint8Array, ctx: RecordContext): Buffer {
    const { key, header: head } = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(this.#aad(head, ctx));
    const out = Buffer.allocUnsafe(head.length + NONCE_BYTES + plain.length + TAG_BYTES);
    head.copy(out, 0);
    nonce.copy(out, head.length);
    let at = head.length + NONCE_BYTES;
    at += c.update(plain).copy(out, at);
    at += c.final().copy(out, at);
    c.getAuthTag().copy(out, at);
    return out;
  }

  /**
   * The plaintext of a record (a plain record as it is). `storedKeyId` is the key id its row's column holds
   * (null: written in clear text): a row that says encrypted must hold an encrypted record under that key id,
   * so flipping the header's mark byte cannot pass ciphertext off as clear text. Throws RecordError when the
   * record does not authenticate.
   */
  open(blob: Uint8Array, ctx: RecordContext, storedKeyId: string | null): Buffer {
    const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    checkStoredKey(buf, storedKeyId);
    if (!isEncrypted(buf)) return buf;
    return openWith(
      buf,
      ctx,
      (id) => this.#keys.get(id),
      (h, c) => this.#aad(h, c),
    );
  }
}

/** Opens a record without a configured cipher: a plain record passes, an encrypted one names its key. */
export function openPlain(blob: Uint8Array, storedKeyId: string | null): Buffer {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  checkStoredKey(buf, storedKeyId);
  if (!isEncrypted(buf)) return buf;
  const id = recordKeyId(buf);
  throw new RecordError(`record is encrypted with key "${id ?? '?'}" and no key is configured`, id);
}

function checkStoredKey(buf: Buffer, storedKeyId: string | null): void {
  if (storedKeyId === null) return;
  if (!isEncrypted(buf) || recordKeyId(buf) !== storedKeyId)
    throw new RecordError(
      `failed authentication (its header does not name key "${storedKeyId}" as its row does: tampered)`,
      storedKeyId,
    );
}

function header(id: string): Buffer {
  const idBytes = Buffer.from(id, 'latin1');
  return Buffer.concat([Buffer.from([RECORD_MARK, RECORD_VERSION, idBytes.length]), idBytes]);
}

function openWith(
  buf: Buffer,
  ctx: RecordContext,
  keyOf: (id: string) => Uint8Array | undefined,
  aad: (head: Uint8Array, ctx: RecordContext) => Buffer,
): Buffer {
  if (buf[1] !== RECORD_VERSION)
    throw new RecordError(`unsupported record format version ${buf[1] ?? '?'}`, undefined);
  const id = recordKeyId(buf);
  const headLen = 3 + (buf[2] ?? 0);
  if (id === undefined || buf.length < headLen + NONCE_BYTES + TAG_BYTES)
    throw new RecordError('record header is damaged', id);
  const key = keyOf(id);
  if (!key) throw new RecordError(`record is encrypted with key "${id}", which is not configured`, id);
  const head = buf.subarray(0, headLen);
  const nonce = buf.subarray(headLen, headLen + NONCE_BYTES);
  const body = buf.subarray(headLen + NONCE_BYTES, buf.length - TAG_BYTES);
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad(head, ctx));
  d.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(body), d.final()]);
  } catch {
    throw new RecordError('failed authentication (tampered, moved from another row, or wrong key)', id);
  }
}
