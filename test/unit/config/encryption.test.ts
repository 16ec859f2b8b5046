// buffer.encryption: the key list's rules, ${ENV} keys that never print, and key files read at start.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Secret, loadEncryptionKeys, resolveConfig } from '../../../src/config/index.js';
import { ErrorCodes } from '../../../src/errors.js';
import { failure, tempConfigDir } from './helpers.js';

const b64 = () => randomBytes(32).toString('base64');
const withKeys = (keys: unknown) => ({ buffer: { encryption: { keys } } });

describe('buffer.encryption', () => {
  const tmp = tempConfigDir();
  afterAll(() => tmp.cleanup());

  it('is off by default', () => {
    const { config } = resolveConfig({}, {});
    expect(config.buffer.encryption).toBeUndefined();
    expect(loadEncryptionKeys(config.buffer.encryption)).toEqual([]);
  });

  it('takes keys from ${ENV} (kept secret) and from files, first key first', () => {
    const inline = b64();
    const fromFile = randomBytes(32);
    const file = tmp.write('k1.key', `${fromFile.toString('base64')}\n`);
    const { config } = resolveConfig(
      withKeys([
        { id: 'k2', key: '${BUFFER_KEY}' },
        { id: 'k1', keyFile: file },
      ]),
      { BUFFER_KEY: inline },
    );
    expect(config.buffer.encryption!.keys[0]!.key).toBeInstanceOf(Secret);
    expect(JSON.stringify(config)).not.toContain(inline);
    expect(loadEncryptionKeys(config.buffer.encryption)).toEqual([
      { id: 'k2', key: Buffer.from(inline, 'base64') },
      { id: 'k1', key: fromFile },
    ]);
  });

  it('names every bad key entry without printing a value', () => {
    const short = randomBytes(16).toString('base64');
    const err = failure(() =>
      resolveConfig(
        withKeys([
          { id: 'k1', key: short },
          { id: 'k1', keyFile: '/x' },
          { id: 'no spaces', key: b64(), keyFile: '/y' },
        ]),
        {},
      ),
    );
    expect(err.message).toContain('buffer.encryption.keys[0].key: must be 32 bytes written as base64');
    expect(err.message).toContain('buffer.encryption.keys[1].id: duplicate key id');
    expect(err.message).toContain('buffer.encryption.keys[2].id: must be 1 to 32 characters');
    expect(err.message).toContain('buffer.encryption.keys[2]: give exactly one of key and keyFile');
    expect(err.message).not.toContain(short);
    expect(failure(() => resolveConfig(withKeys([]), {})).message).toContain('list at least one key');
  });

  it('fails with LOGDRIVER_ERR_BUFFER_KEY on a key file that is missing or holds no key', () => {
    const bad = tmp.write('bad.key', 'not a key\n');
    for (const keyFile of [bad, `${bad}.missing`]) {
      const { config } = resolveConfig(withKeys([{ id: 'k1', keyFile }]), {});
      expect(() => loadEncryptionKeys(config.buffer.encryption)).toThrow(
        expect.objectContaining({ code: ErrorCodes.BUFFER_KEY }) as Error,
      );
    }
  });
});
