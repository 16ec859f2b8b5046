// Tests for the shared CLI flag parsers and the flag -> generator option mapping.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { generatorOptionsFrom, intFlag, numberFlag, startFlag } from '../../../../src/tools/load/index.js';

describe('intFlag', () => {
  const parse = intFlag(1, 100);
  it('accepts integers in range', () => {
    expect(parse('1')).toBe(1);
    expect(parse(' 100 ')).toBe(100);
  });
  it.each(['abc', '', '1.5', '1e3', '0', '101', '0x10'])('rejects "%s" with a clear message', (v) => {
    expect(() => parse(v)).toThrow(InvalidArgumentError);
    expect(() => parse(v)).toThrow(/expected an integer from 1 to 100/);
  });
});

describe('numberFlag', () => {
  const parse = numberFlag(0, 1);
  it('accepts decimals in range', () => {
    expect(parse('0.25')).toBe(0.25);
    expect(parse('1')).toBe(1);
  });
  it.each(['x', '', '-0.1', '1.01', 'Infinity', 'NaN'])('rejects "%s"', (v) => {
    expect(() => parse(v)).toThrow(InvalidArgumentError);
  });
});

describe('startFlag', () => {
  it('takes epoch millis or "now"', () => {
    expect(startFlag('1764000000000')).toBe(1_764_000_000_000);
    const before = Date.now();
    const now = startFlag('now');
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(() => startFlag('yesterday')).toThrow(InvalidArgumentError);
  });
});

describe('generatorOptionsFrom', () => {
  it('maps flag names onto generator options and leaves unset ones to defaults', () => {
    expect(generatorOptionsFrom({ count: 5, size: 700, spread: 0.1, start: 9, eventsPerSec: 3 })).toEqual({
      count: 5,
      meanBytes: 700,
      sizeSpread: 0.1,
      startMillis: 9,
      eventsPerSec: 3,
    });
    expect(generatorOptionsFrom({ seed: 1 }, { count: 1000, startMillis: 5 })).toEqual({
      count: 1000,
      startMillis: 5,
      seed: 1,
    });
    expect(generatorOptionsFrom({ tenants: 2, skew: 0 })).toEqual({ tenants: 2, skew: 0 });
  });
});
