// `buffer.encryption`: the keys of encryption at rest, and turning them into key bytes at start.
// A key is 32 bytes written as base64 text (`openssl rand -base64 32`), inline as a secret (usually
// `${ENV_NAME}`) or in a file. The first key encrypts new records; every listed key decrypts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCodes, LogdriverError } from '../errors.js';
import { secret } from './fields.js';

export const KEY_BYTES = 32;
export const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const KEY_FORMAT = `must be ${KEY_BYTES} bytes written as base64 (generate one with: openssl rand -base64 32)`;

/** The key bytes of base64 text, or undefined when it is not exactly 32 bytes of base64. */
export function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (!BASE64.test(t) || t.length % 4 !== 0) return undefined;
  const key = Buffer.from(t, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

const keyEntry = z
  .strictObject({
    /** Stored with every record it encrypts: short, and never reused for a different key. */
    id: z.string().regex(KEY_ID, 'must be 1 to 32 characters of A-Z a-z 0-9 . _ -'),
    /** The key as base64 text, usually `${ENV_NAME}`. Never printed. */
    key: secret.refine((s) => decodeKey(s.reveal()) !== undefined, { message: KEY_FORMAT }).optional(),
    /** A file holding the key as base64 text (read at start). */
    keyFile: z.string().min(1).optional(),
  })
  .superRefine((k, ctx) => {
    if ((k.key === undefined) === (k.keyFile === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of key and keyFile' });
  });

export const encryptionSchema = z
  .strictObject({
    keys: z
      .array(keyEntry)
      .min(1, 'list at least one key (the first encrypts)')
      .superRefine((keys, ctx) => {
        const seen = new Set<string>();
        keys.forEach((k, i) => {
          if (seen.has(k.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'duplicate key id' });
          seen.add(k.id);
        });
      }),
  })
  .optional();

export type EncryptionConfig = z.output<typeof encryptionSchema>;

/**
 * The key bytes of `buffer.encryption`, first key first (empty when encryption is off). A key file that cannot be
 * read or does not hold a key fails with LOGDRIVER_ERR_BUFFER_KEY naming the key id and file, never its content.
 */
export function loadEncryptionKeys(cfg: EncryptionConfig): { id: string; key: Buffer }[] {
  if (!cfg) return [];
  return cfg.keys.map((k, i) => {
    const where = `buffer.encryption.keys[${i}] (id "${k.id}")`;
    if (k.key) return { id: k.id, key: decodeKey(k.key.reveal())! };
    let text: string;
    try {
      text = readFileSync(k.keyFile!, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new LogdriverError(ErrorCodes.BUFFER_KEY, `${where}: cannot read keyFile ${k.keyFile} (${code})`);
    }
    const key = decodeKey(text);
    if (!key) throw new LogdriverError(ErrorCodes.BUFFER_KEY, `${where}: keyFile ${k.keyFile} ${KEY_FORMAT}`);
    return { id: k.id, key };
  });
}
