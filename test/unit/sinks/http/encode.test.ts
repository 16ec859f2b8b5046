// Tests for HTTP body encoding: the batch's lines as they are or as a JSON array, split only past limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNBOUNDED_LIMITS } from '../../../../src/sinks/descriptor.js';
import { batchOf, encodeJsonArray, encodeNdjson } from '../../../../src/sinks/envelope.js';
import { encodeBatch, encodeRequests } from '../../../../src/sinks/http/encode.js';
import type { SinkBatch, SinkEvent } from '../../../../src/sinks/types.js';

const events: SinkEvent[] = [1, 2, 3].map((i) => ({
  id: `id-${i}`,
  tenant: 'acme',
  receivedAt: i,
  payload: Buffer.from(`{"tenantId":"acme","i":${i}}`),
}));

/** A batch like a lease: its lines are given; decoding its events is an error (no encoder may need them). */
function linesOnly(evts: readonly SinkEvent[]): SinkBatch {
  const lines = encodeNdjson(evts);
  return {
    tenant: 'acme',
    count: evts.length,
    ndjson: () => lines,
    events: () => {
      throw new Error('body encoding must not decode events');
    },
  };
}

describe('HTTP body encoding', () => {
  it('picks the body by format, from the lines alone', () => {
    const batch = linesOnly(events);
    // NDJSON is the lines themselves, not a copy.
    expect(encodeBatch(batch, 'ndjson')).toBe(batch.ndjson());
    expect(encodeBatch(batch, 'json_array').equals(encodeJsonArray(events))).toBe(true);
  });

  it('within the limits: one body, the lines themselves, no event decoded', () => {
    const batch = linesOnly(events);
    const encoded = encodeRequests(batch, 'ndjson', UNBOUNDED_LIMITS);
    expect(encoded.oversized).toEqual([]);
    expect(encoded.bodies).toHaveLength(1);
    expect(encoded.bodies[0]!.body).toBe(batch.ndjson());
  });

  it('past the limits: bodies that fit, in order, each valid in its format; oversized events left out', () => {
    const sizes = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 150, max: 2000 }),
        fc.constantFrom('ndjson' as const, 'json_array' as const),
        (pads, maxEvents, maxRequestBytes, format) => {
          const evts: SinkEvent[] = pads.map((n, i) => ({
            id: `e${i}`,
            tenant: 'acme',
            receivedAt: i,
            payload: Buffer.from(JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(n) })),
          }));
          const limits = { maxEvents, maxRequestBytes, maxEventBytes: maxRequestBytes };
          const { bodies, oversized } = encodeRequests(batchOf(evts), format, limits);
          const sent: string[] = [];
          for (const b of bodies) {
            expect(b.body.length).toBeLessThanOrEqual(maxRequestBytes);
            const ids = b.ids();
            expect(ids.length).toBeLessThanOrEqual(maxEvents);
            const parsed =
              format === 'json_array'
                ? (JSON.parse(b.body.toString()) as { id: string }[])
                : b.body
                    .toString()
                    .split('\n')
                    .filter(Boolean)
                    .map((l) => JSON.parse(l) as { id: string });
            expect(parsed.map((p) => p.id)).toEqual(ids);
            sent.push(...ids);
          }
          // Every event is either sent, in order, or reported as too large: none is lost.
          const tooLarge = new Set(oversized.map((o) => o.event.id));
          expect(sent).toEqual(evts.map((e) => e.id).filter((id) => !tooLarge.has(id)));
          for (const o of oversized)
            expect(o.bytes + (format === 'json_array' ? 2 : 0)).toBeGreaterThan(maxRequestBytes);
        },
      ),
    );
  });
});
