// Tests for HTTP body encoding: format choice and gzip round trip.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeJsonArray, encodeNdjson } from '../../../../src/sinks/envelope.js';
import { encodeBatch, encodeBody } from '../../../../src/sinks/http/encode.js';
import type { SinkEvent } from '../../../../src/sinks/types.js';

const events: SinkEvent[] = [1, 2, 3].map((i) => ({
  id: `id-${i}`,
  tenant: 'acme',
  receivedAt: i,
  payload: Buffer.from(`{"tenantId":"acme","i":${i}}`),
}));

describe('HTTP body encoding', () => {
  it('picks the envelope encoder by format', () => {
    expect(encodeBatch(events, 'ndjson').equals(encodeNdjson(events))).toBe(true);
    expect(encodeBatch(events, 'json_array').equals(encodeJsonArray(events))).toBe(true);
  });

  it('gzip compresses the same body (gunzip restores it)', async () => {
    for (const format of ['ndjson', 'json_array'] as const) {
      const zipped = await encodeBody(events, { format, gzip: true });
      expect(zipped[0]).toBe(0x1f);
      expect(zipped[1]).toBe(0x8b);
      expect(gunzipSync(zipped).equals(encodeBatch(events, format))).toBe(true);
    }
  });

  it('without gzip the body is the plain encoding', async () => {
    expect((await encodeBody(events, { format: 'ndjson', gzip: false })).equals(encodeNdjson(events))).toBe(
      true,
    );
  });
});
