// Shared helpers for the config tests: temp config files and a Secret-aware deep view for comparisons.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError, Secret } from '../../../src/config/index.js';

/** A temp directory for config files; call `cleanup` in afterAll. */
export function tempConfigDir(): { write: (name: string, text: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'logdriver-config-'));
  return {
    write: (name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Secrets have no enumerable state, so `toEqual` treats any two as equal; comparing through this view makes
 * a test see the values it means to compare.
 */
export function revealed(value: unknown): unknown {
  if (value instanceof Secret) return { secret: value.reveal() };
  if (Array.isArray(value)) return value.map(revealed);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealed(v)]));
  }
  return value;
}

/** The value at a dotted path's segments. */
export function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be refused');
}
