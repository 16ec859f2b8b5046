// Property tests for the config unit parsers (byte sizes and listen addresses round-trip and never throw), and the byte formatter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseByteSize, parseListen } from '../../../src/config/index.js';
import { formatBytes } from '../../../src/config/units.js';

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** A unit name in random letter case: sizes are case-insensitive. */
const unitArb = fc
  .tuple(fc.constantFrom(...Object.keys(UNITS)), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
  .map(([u, upper]) => ({
    factor: UNITS[u]!,
    text: [...u].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''),
  }));

const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.stringMatching(/^\s*\d{1,20}(\.\d{1,5})?\s*[a-zA-Z]{0,4}\s*$/),
  fc.stringMatching(/^\s*\[?[\w.:]{0,12}\]?:\d{0,7}\s*$/),
);

describe('parseByteSize', () => {
  it('returns a safe non-negative integer as itself', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => parseByteSize(n) === n));
  });

  it('refuses negative, fractional and unsafe numbers', () => {
    fc.assert(fc.property(fc.integer({ max: -1 }), (n) => parseByteSize(n) === undefined));
    fc.assert(
      fc.property(
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
        (d) => parseByteSize(d) === undefined,
      ),
    );
    expect(parseByteSize(Number.MAX_SAFE_INTEGER + 1)).toBeUndefined();
    expect(parseByteSize(Number.NaN)).toBeUndefined();
  });

  it('round-trips "<n><unit>" with optional spaces, in any letter case', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        unitArb,
        fc.constantFrom('', ' '),
        fc.constantFrom('', '  '),
        (n, unit, gap, pad) => {
          const bytes = n * unit.factor;
          fc.pre(Number.isSafeInteger(bytes));
          expect(parseByteSize(`${pad}${n}${gap}${unit.text}${pad}`)).toBe(bytes);
        },
      ),
    );
  });

  it('agrees with the number form for the bare-number string form', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => parseByteSize(String(n)) === parseByteSize(n)));
  });

  it('reads decimals and floors to whole bytes', () => {
    expect(parseByteSize('1.5KiB')).toBe(1536);
    expect(parseByteSize('0.5 GB')).toBe(500_000_000);
    expect(parseByteSize('1.0001KB')).toBe(1000);
  });

  it('refuses what is not a size', () => {
    for (const s of ['', 'GiB', '-1', '1e3', '10 gigs', '1,000', '0x10', '1 2'])
      expect(parseByteSize(s)).toBeUndefined();
    expect(parseByteSize('99999999999TiB')).toBeUndefined();
  });

  it('never throws and only returns safe non-negative integers', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const r = parseByteSize(s);
        return r === undefined || (Number.isSafeInteger(r) && r >= 0);
      }),
    );
  });
});

describe('parseListen', () => {
  const port = fc.integer({ min: 0, max: 65535 });

  it('round-trips host:port for IPv4 addresses and host names', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.domain()), port, (host, p) => {
        expect(parseListen(`${host}:${p}`)).toEqual({ host, port: p });
      }),
    );
  });

  it('round-trips [v6]:port', () => {
    fc.assert(
      fc.property(fc.ipV6(), port, (host, p) => {
        expect(parseListen(`[${host}]:${p}`)).toEqual({ host, port: p });
      }),
    );
  });

  it('refuses ports above 65535, missing ports and bare IPv6', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65536, max: 99999 }), (p) => parseListen(`127.0.0.1:${p}`) === undefined),
    );
    for (const s of ['localhost', '127.0.0.1', ':9000', '::1:9000', '127.0.0.1:', '127.0.0.1:123456']) {
      expect(parseListen(s)).toBeUndefined();
    }
  });

  it('never throws and only returns in-range ports and non-empty hosts', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const r = parseListen(s);
        return (
          r === undefined || (r.host.length > 0 && Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535)
        );
      }),
    );
  });
});

describe('formatBytes', () => {
  it('prints bytes below 1 KiB exactly and larger sizes in binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(30_000)).toBe('29.3 KiB');
    expect(formatBytes(1024 ** 3)).toBe('1.0 GiB');
    expect(formatBytes(5 * 1024 ** 5)).toBe('5120.0 TiB');
  });
});
