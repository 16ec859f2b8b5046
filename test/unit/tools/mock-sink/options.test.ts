// Mock sink options: validation, runtime patches, loopback-only binding and the seeded PRNG.
import { describe, it, expect } from 'vitest';
import {
  DEFAULT_OPTIONS,
  loopbackAddress,
  redactOptions,
  resolveOptions,
  seededRandom,
  startMockSink,
} from '../../../../src/tools/mock-sink/index.js';

describe('resolveOptions', () => {
  it('merges a valid patch over the base and leaves the base untouched', () => {
    const o = resolveOptions(DEFAULT_OPTIONS, {
      latencyMs: { min: 1, max: 4 },
      mode: 'throttle',
      failRate: 0.5,
    });
    expect(o).toMatchObject({ latencyMs: { min: 1, max: 4 }, mode: 'throttle', failRate: 0.5, port: 0 });
    expect(DEFAULT_OPTIONS.mode).toBe('ok');
  });

  it('refuses bad values and unknown keys, naming the key', () => {
    const bad: [unknown, RegExp][] = [
      [{ failRate: 1.5 }, /failRate/],
      [{ mode: 'sideways' }, /mode/],
      [{ latencyMs: { min: 5, max: 1 } }, /latencyMs/],
      [{ outages: [{ startMs: 10, endMs: 5 }] }, /outages/],
      [{ failStatus: 502 }, /failStatus/],
      [{ colour: 'red' }, /colour|unrecognized/i],
    ];
    for (const [patch, message] of bad) {
      expect(() => resolveOptions(DEFAULT_OPTIONS, patch)).toThrow(message);
    }
  });

  it('refuses host and port changes at runtime, and clears the token when it is set to undefined', () => {
    expect(() => resolveOptions(DEFAULT_OPTIONS, { port: 1 }, true)).toThrow(/port/);
    const withToken = resolveOptions(DEFAULT_OPTIONS, { token: 's3cret' });
    expect(resolveOptions(withToken, { token: undefined }, true).token).toBeUndefined();
    expect(redactOptions(withToken).token).toBe('***');
  });
});

describe('loopbackAddress', () => {
  it('accepts loopback addresses only', () => {
    expect(loopbackAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(loopbackAddress('127.1.2.3')).toBe('127.1.2.3');
    expect(loopbackAddress('localhost')).toBe('127.0.0.1');
    expect(loopbackAddress('[::1]')).toBe('::1');
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) {
      expect(() => loopbackAddress(host)).toThrow(
        expect.objectContaining({ code: 'MOCK_SINK_NON_LOOPBACK' }),
      );
    }
  });

  it('makes startMockSink refuse a non-loopback host before binding', async () => {
    await expect(startMockSink({ host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'MOCK_SINK_NON_LOOPBACK',
    });
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, differs across seeds, and stays in [0, 1)', () => {
    const take = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 1000 }, () => r());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    const xs = take(1);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Roughly uniform: the mean of 1000 draws is near 0.5.
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.05);
  });
});
