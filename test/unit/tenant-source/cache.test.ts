// The broker cache file: written atomically and 0600, read back only for the same URL, refused when damaged.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCache, writeCache, type CachedAnswer } from '../../../src/tenant-source/index.js';
import { tempDir } from '../../support/service.js';

const URL_A = 'https://broker.example/v1/tenants';

describe('tenant cache file', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  const answer: CachedAnswer = {
    version: 1,
    url: URL_A,
    etag: '"e1"',
    contentType: 'application/json',
    savedAt: '2025-01-01T00:00:00.000Z',
    body: '{"tenants":{}}',
  };

  it('round-trips, mode 0600, no temporary file left, into a directory it creates', () => {
    const file = join(dir.path, 'sub', 'cache.json');
    writeCache(file, answer);
    writeCache(file, { ...answer, etag: '"e2"' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir.path, 'sub'))).toEqual(['cache.json']);
    expect(readCache(file, URL_A)).toEqual({ kind: 'found', answer: { ...answer, etag: '"e2"' } });
  });

  it('is absent, or unusable with a reason: another URL, not JSON, not a cache', () => {
    const file = join(dir.path, 'c2.json');
    expect(readCache(file, URL_A)).toEqual({ kind: 'absent' });
    writeCache(file, answer);
    expect(readCache(file, 'https://other.example/')).toMatchObject({ kind: 'unusable' });
    writeFileSync(file, '{ broken');
    expect(readCache(file, URL_A)).toEqual({ kind: 'unusable', reason: 'not valid JSON' });
    writeFileSync(file, JSON.stringify({ ...answer, version: 2 }));
    expect(readCache(file, URL_A)).toMatchObject({ kind: 'unusable' });
  });
});
