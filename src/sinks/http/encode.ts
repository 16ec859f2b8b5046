// HTTP request bodies: a batch's NDJSON lines as they are or as one JSON array, split only when the
// endpoint's limits demand it. Pure.
import { encodeNdjson, ndjsonToJsonArray } from '../envelope.js';
import type { EncodedBatch } from '../transport/batch-sink.js';
import { NO_FRAMING, splitIntoRequests, type BodyFraming } from '../transport/split.js';
import type { PayloadLimits, SinkBatch } from '../types.js';
import type { HttpFormat } from './config.js';

const JSON_ARRAY: BodyFraming = Object.freeze({
  prefix: Buffer.from('['),
  separator: Buffer.from(','),
  suffix: Buffer.from(']'),
});

/**
 * The uncompressed body of a whole batch. NDJSON is the batch's lines themselves (no copy, nothing encoded
 * per event); a JSON array is one pass over them. Never decodes events.
 */
export function encodeBatch(batch: SinkBatch, format: HttpFormat): Buffer {
  return format === 'json_array' ? ndjsonToJsonArray(batch.ndjson()) : batch.ndjson();
}

/** One event's piece of a body: its envelope line (NDJSON) or the envelope alone (JSON array). */
function envelopeOf(format: HttpFormat): (e: Parameters<typeof encodeNdjson>[0][number]) => Buffer {
  return format === 'json_array'
    ? (e) => encodeNdjson([e]).subarray(0, -1) // the line without its "\n"
    : (e) => encodeNdjson([e]);
}

/**
 * The batch as request bodies. When the stored lines fit the limits as they are (the usual case: delivery
 * claims within them), one body from the lines, without decoding a single event; otherwise the events are
 * split into bodies that fit, and those too large for any request are left out as oversized.
 */
export function encodeRequests(batch: SinkBatch, format: HttpFormat, limits: PayloadLimits): EncodedBatch {
  const lines = batch.ndjson();
  // Per-event sizes are unknown without decoding, so a per-event bound below the request bound forces a split.
  const fits =
    batch.count <= limits.maxEvents &&
    lines.length + 2 <= limits.maxRequestBytes &&
    limits.maxEventBytes >= limits.maxRequestBytes;
  if (fits) {
    return {
      bodies: [
        {
          body: format === 'json_array' ? ndjsonToJsonArray(lines) : lines,
          ids: () => batch.events().map((e) => e.id),
        },
      ],
      oversized: [],
    };
  }
  const split = splitIntoRequests(
    batch.events(),
    envelopeOf(format),
    format === 'json_array' ? JSON_ARRAY : NO_FRAMING,
    limits,
  );
  return {
    bodies: split.parts.map((p) => ({ body: p.body, ids: () => p.events.map((e) => e.id) })),
    oversized: split.oversized,
  };
}
