// Tests for HTTP body encoding: the batch's lines as they are or as a JSON array, and the gzip round trip.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { batchOf, encodeJsonArray, encodeNdjson } from '../../../../src/sinks/envelope.js';
import { encodeBatch, encodeBody } from '../../../../src/sinks/http/encode.js';
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

  it('gzip compresses the same body (gunzip restores it)', async () => {
    const batch = batchOf(events);
    for (const format of ['ndjson', 'json_array'] as const) {
      const zipped = await encodeBody(batch, { format, gzip: true });
      expect(zipped[0]).toBe(0x1f);
      expect(zipped[1]).toBe(0x8b);
      expect(gunzipSync(zipped).equals(encodeBatch(batch, format))).toBe(true);
    }
  });

  it('without gzip the body is the plain encoding', async () => {
    const body = await encodeBody(batchOf(events), { format: 'ndjson', gzip: false });
    expect(body.equals(encodeNdjson(events))).toBe(true);
  });
});
