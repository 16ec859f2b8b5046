// The last good broker answer on disk, so a restart while the broker is down still routes every tenant.
// Hazard: the document holds sink credentials; the file is written 0600 and replaced atomically.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** The cache file's content: the answer as the broker sent it, re-validated when read back. */
export interface CachedAnswer {
  readonly version: 1;
  /** The tenantSource.url it came from: a cache of another broker is not used. */
  readonly url: string;
  readonly etag?: string;
  readonly contentType?: string;
  /** ISO 8601 time of the fetch. */
  readonly savedAt: string;
  readonly body: string;
}

export type CacheRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unusable'; readonly reason: string }
  | { readonly kind: 'found'; readonly answer: CachedAnswer };

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'unknown error';
}

/** Reads the cache; never throws. Reasons name the problem, never the content. */
export function readCache(file: string, url: string): CacheRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unusable', reason: `cannot read it (${errno(err)})` };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: 'unusable', reason: 'not valid JSON' };
  }
  const a = v as Partial<CachedAnswer> | null;
  if (
    typeof a !== 'object' ||
    a === null ||
    a.version !== 1 ||
    typeof a.url !== 'string' ||
    typeof a.body !== 'string' ||
    typeof a.savedAt !== 'string' ||
    (a.etag !== undefined && typeof a.etag !== 'string') ||
    (a.contentType !== undefined && typeof a.contentType !== 'string')
  ) {
    return { kind: 'unusable', reason: 'not a logdriver tenant cache (version 1)' };
  }
  if (a.url !== url) return { kind: 'unusable', reason: 'it was fetched from another tenantSource.url' };
  return { kind: 'found', answer: a as CachedAnswer };
}

/**
 * Writes the cache: a temporary file created 0600 next to it, fsynced, then renamed over it, so a crash leaves
 * the old copy or the new one, never half of one. Throws the file system error.
 */
export function writeCache(file: string, answer: CachedAnswer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(answer));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  // The rename itself is durable once the directory is synced; not every platform allows that.
  try {
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // best effort
  }
}
