// Tests for the synthetic event generator: determinism, validity, tenant skew, sizes, timestamps.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateEvent } from '../../../../src/ingest/validate.js';
import { generateEvents, resolveGenerateOptions, tenantName } from '../../../../src/tools/load/index.js';

const MAX_EVENT_BYTES = 1024 * 1024;
const EVENT_NAME = /^(?:(?:ADMIN|DATA|PERIODIC|USER|CUSTOM)_[A-Z][A-Z_]*|KEY_WRAP|KEY_UNWRAP)$/;

interface Parsed {
  tenantId: string;
  timestampMillis: number;
  iclFields: Record<string, unknown>;
  customFields: Record<string, unknown>;
}

const parse = (b: Buffer): Parsed => JSON.parse(b.toString('utf8')) as Parsed;

function tenantCounts(events: Iterable<Buffer>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ev of events) {
    const t = parse(ev).tenantId;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

describe('generateEvents', () => {
  it('gives byte-identical output for the same seed and different output for another seed', () => {
    const opts = { count: 3000, tenants: 20, seed: 7 };
    const a = Buffer.concat([...generateEvents(opts)]);
    const b = Buffer.concat([...generateEvents(opts)]);
    const c = Buffer.concat([...generateEvents({ ...opts, seed: 8 })]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('yields exactly count events', () => {
    expect([...generateEvents({ count: 0 })]).toHaveLength(0);
    expect([...generateEvents({ count: 1234 })]).toHaveLength(1234);
  });

  it('emits events that pass validateEvent and carry the documented fields, even across slabs', () => {
    // 20k events of ~500 bytes span ~10 shared 1 MiB slabs; all are checked after collection.
    const events = [...generateEvents({ count: 20_000, tenants: 30, seed: 3 })];
    const names = new Map<string, number>();
    for (const ev of events) {
      expect(ev.includes(0x0a)).toBe(false);
      const v = validateEvent(ev, MAX_EVENT_BYTES);
      expect(v.ok).toBe(true);
      const e = parse(ev);
      expect(e.tenantId).toMatch(/^tenant-\d{4}$/);
      expect(Number.isInteger(e.timestampMillis)).toBe(true);
      for (const k of ['event', 'requestingId', 'dataLabel', 'sourceIp', 'objectId', 'requestId']) {
        expect(typeof e.iclFields[k]).toBe('string');
      }
      expect(e.iclFields.sourceIp).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
      expect(typeof e.customFields).toBe('object');
      const name = e.iclFields.event as string;
      expect(name).toMatch(EVENT_NAME);
      names.set(name, (names.get(name) ?? 0) + 1);
    }
    const ranked = [...names.entries()].sort((x, y) => y[1] - x[1]);
    expect(ranked[0]?.[0]).toBe('KEY_UNWRAP');
    for (const family of ['ADMIN_', 'DATA_', 'PERIODIC_', 'USER_', 'CUSTOM_', 'KEY_WRAP']) {
      expect(ranked.some(([n]) => n.startsWith(family))).toBe(true);
    }
  });

  it('gives a few heavy tenants with skew > 0', () => {
    const counts = [
      ...tenantCounts(generateEvents({ count: 20_000, tenants: 50, skew: 1.1, seed: 5 })).values(),
    ];
    counts.sort((a, b) => b - a);
    const top = counts[0] ?? 0;
    const median = counts[Math.floor(counts.length / 2)] ?? 0;
    // Zipf(1.1) over 50 tenants: top/median is ~ 26^1.1 ≈ 36 in expectation.
    expect(top).toBeGreaterThan(5 * median);
  });

  it('spreads tenants roughly uniformly with skew 0', () => {
    const counts = tenantCounts(generateEvents({ count: 20_000, tenants: 10, skew: 0, seed: 5 }));
    expect(counts.size).toBe(10);
    // Expected 2,000 each (sd ~42): bounds are generous.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1600);
    for (const n of counts.values()) expect(n).toBeLessThan(2400);
  });

  it.each([500, 1500, 4000])('keeps the mean size within 15%% of %i bytes', (meanBytes) => {
    let total = 0;
    let count = 0;
    for (const ev of generateEvents({ count: 20_000, meanBytes, seed: 11 })) {
      total += ev.length;
      count++;
    }
    const mean = total / count;
    expect(mean).toBeGreaterThan(meanBytes * 0.85);
    expect(mean).toBeLessThan(meanBytes * 1.15);
  });

  it('keeps sizes within the spread when the mean is well above the unpadded size', () => {
    const sizes = [...generateEvents({ count: 5000, meanBytes: 2000, sizeSpread: 0.25 })].map(
      (b) => b.length,
    );
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1500);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2500);
    expect(new Set(sizes).size).toBeGreaterThan(100);
  });

  it('advances timestamps from startMillis at about eventsPerSec', () => {
    const ts = [...generateEvents({ count: 20_000, startMillis: 1_000_000, eventsPerSec: 1000 })].map(
      (b) => parse(b).timestampMillis,
    );
    expect(ts[0]).toBeGreaterThanOrEqual(1_000_000);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1] ?? 0);
    const spanMs = (ts[ts.length - 1] ?? 0) - 1_000_000;
    expect(spanMs).toBeGreaterThan(17_000); // 20k events at 1000/s: ~20 s of simulated time
    expect(spanMs).toBeLessThan(23_000);
  });

  it('rejects bad options eagerly, naming the option', () => {
    expect(() => generateEvents({ tenants: 0 })).toThrow(/tenants/);
    expect(() => generateEvents({ skew: -1 })).toThrow(/skew/);
    expect(() => generateEvents({ count: 1.5 })).toThrow(/count/);
    expect(() => generateEvents({ sizeSpread: 2 })).toThrow(/sizeSpread/);
    expect(() => resolveGenerateOptions({ eventsPerSec: 0 })).toThrow(/eventsPerSec/);
  });

  it('names tenants with at least four digits, wider when needed', () => {
    expect(tenantName(0, 50)).toBe('tenant-0001');
    expect(tenantName(49, 50)).toBe('tenant-0050');
    expect(tenantName(0, 20_000)).toBe('tenant-00001');
  });

  it('yields valid events from the requested tenants for any seed, count and tenant number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.integer({ min: 1, max: 3000 }),
        (seed, count, tenants, skew, meanBytes) => {
          const allowed = new Set(Array.from({ length: tenants }, (_, i) => tenantName(i, tenants)));
          const events = [...generateEvents({ seed, count, tenants, skew, meanBytes })];
          expect(events).toHaveLength(count);
          for (const ev of events) {
            const v = validateEvent(ev, MAX_EVENT_BYTES);
            expect(v.ok).toBe(true);
            if (v.ok) expect(allowed.has(v.tenant)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
