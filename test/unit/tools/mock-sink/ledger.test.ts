// The mock sink's id/duplicate/order bookkeeping against a simple reference model.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Ledger, parseEventId, type Envelope } from '../../../../src/tools/mock-sink/index.js';

interface Delivery {
  tenant: string;
  bufferId: string;
  seq: number;
}

function env(d: Delivery, receivedAt?: number): Envelope {
  return { id: `${d.bufferId}-${d.seq}`, tenantId: d.tenant, receivedAt, event: { n: d.seq } };
}

/** Reference: ids in a Set<string>; per (tenant, bufferId) the highest newly seen seq. */
function model(deliveries: readonly Delivery[]) {
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  const perTenant: Record<
    string,
    { events: number; unique: number; duplicates: number; orderViolations: number }
  > = {};
  for (const d of deliveries) {
    const t = (perTenant[d.tenant] ??= { events: 0, unique: 0, duplicates: 0, orderViolations: 0 });
    t.events++;
    const id = `${d.bufferId}-${d.seq}`;
    if (seen.has(id)) {
      t.duplicates++;
      continue;
    }
    seen.add(id);
    t.unique++;
    const key = `${d.tenant}\u0000${d.bufferId}`;
    const h = highest.get(key);
    if (h !== undefined && d.seq < h) t.orderViolations++;
    else highest.set(key, d.seq);
  }
  return perTenant;
}

const delivery = fc.record({
  tenant: fc.constantFrom('acme', 'globex', 'initech'),
  bufferId: fc.constantFrom('b1', 'buf-2', '7f3c-aa'),
  seq: fc.integer({ min: 0, max: 70_000 }),
});

describe('parseEventId', () => {
  it('splits at the last dash so buffer ids may contain dashes', () => {
    expect(parseEventId('0b9e-4f2a-12')).toEqual({ bufferId: '0b9e-4f2a', seq: 12 });
    expect(parseEventId('-5')).toEqual({ bufferId: '', seq: 5 });
  });

  it('refuses ids without a numeric suffix or with one beyond safe integers', () => {
    for (const id of ['abc', 'abc-', 'abc-12x', 'abc-1.5', 'a-1234567890123456']) {
      expect(parseEventId(id)).toBeUndefined();
    }
  });

  it('round-trips any bufferId and safe seq', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 999_999_999_999_999 }), (b, s) => {
        expect(parseEventId(`${b}-${s}`)).toEqual({ bufferId: b, seq: s });
      }),
    );
  });
});

describe('Ledger', () => {
  it('matches the reference model for any deliveries split into any batches', () => {
    fc.assert(
      fc.property(fc.array(delivery, { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (ds, batch) => {
        const ledger = new Ledger();
        for (let i = 0; i < ds.length; i += batch) {
          ledger.recordBatch(
            ds.slice(i, i + batch).map((d) => env(d)),
            1_000,
            false,
          );
        }
        const got = ledger.totals();
        const want = model(ds);
        expect(got.perTenant).toEqual(want);
        const sum = (k: 'events' | 'unique' | 'duplicates' | 'orderViolations') =>
          Object.values(want).reduce((a, t) => a + t[k], 0);
        expect(got.events).toBe(ds.length);
        expect(got.unique + got.duplicates).toBe(got.events);
        expect(got.unique).toBe(sum('unique'));
        expect(got.duplicates).toBe(sum('duplicates'));
        expect(got.orderViolations).toBe(sum('orderViolations'));
      }),
    );
  });

  it('treats ids of other shapes as opaque strings: duplicates counted, order not judged', () => {
    const ledger = new Ledger();
    const opaque = (id: string): Envelope => ({ id, tenantId: 't', receivedAt: undefined, event: {} });
    ledger.recordBatch([opaque('x'), opaque('y'), opaque('x')], 5, false);
    expect(ledger.totals()).toMatchObject({ events: 3, unique: 2, duplicates: 1, orderViolations: 0 });
  });

  it('records end-to-end latency from receivedAt, first/last batch times, and kept events in order', () => {
    const ledger = new Ledger();
    const a = { tenant: 'acme', bufferId: 'b', seq: 1 };
    const b = { tenant: 'acme', bufferId: 'b', seq: 2 };
    ledger.recordBatch([env(a, 900), env(b, 990)], 1_000, true);
    ledger.recordBatch([env(a, 900)], 1_050, true);
    const t = ledger.totals();
    expect(t.latencyMs).toEqual({ p50: 100, p99: 150, max: 150, count: 3 });
    expect([t.firstAt, t.lastAt]).toEqual([1_000, 1_050]);
    expect(ledger.received('acme').map((e) => e.id)).toEqual(['b-1', 'b-2', 'b-1']);
    expect(ledger.received('nobody')).toEqual([]);
  });

  it('keeps no events unless asked, and reset forgets everything', () => {
    const ledger = new Ledger();
    ledger.recordBatch([env({ tenant: 'acme', bufferId: 'b', seq: 1 })], 1, false);
    expect(ledger.received('acme')).toEqual([]);
    ledger.reset();
    expect(ledger.totals()).toMatchObject({ events: 0, unique: 0, perTenant: {}, firstAt: null });
    ledger.recordBatch([env({ tenant: 'acme', bufferId: 'b', seq: 1 })], 1, false);
    expect(ledger.totals().duplicates).toBe(0);
  });
});
