// Splits a batch into request bodies that fit a sink's payload limits: each event encoded once, bodies
// assembled as prefix + event (+ separator + event)* + suffix. Pure; used by every HTTP-based sink.
import type { PayloadLimits, SinkEvent } from '../types.js';

/** How a sink's request body wraps its encoded events (NDJSON: all empty but "\n" endings in each event). */
export interface BodyFraming {
  readonly prefix: Buffer;
  readonly separator: Buffer;
  readonly suffix: Buffer;
}

export const NO_FRAMING: BodyFraming = Object.freeze({
  prefix: Buffer.alloc(0),
  separator: Buffer.alloc(0),
  suffix: Buffer.alloc(0),
});

/** One request's worth of a batch: its events in batch order and the uncompressed body. */
export interface RequestPart {
  readonly events: readonly SinkEvent[];
  readonly body: Buffer;
}

export interface SplitResult {
  /** In batch order; empty when every event was oversized. */
  readonly parts: readonly RequestPart[];
  /** Events that alone exceed `maxEventBytes` or cannot fit one request: to be dead-lettered. */
  readonly oversized: readonly { readonly event: SinkEvent; readonly bytes: number }[];
}

/**
 * Encodes each event once with `encodeEvent` and packs them, in order, into as few bodies as the limits
 * allow. An event is oversized when its own encoding (the bytes the sink would receive for it) is larger
 * than `maxEventBytes`, or too large for a request even alone.
 */
export function splitIntoRequests(
  events: readonly SinkEvent[],
  encodeEvent: (event: SinkEvent) => Buffer,
  framing: BodyFraming,
  limits: PayloadLimits,
): SplitResult {
  const fixed = framing.prefix.length + framing.suffix.length;
  const parts: RequestPart[] = [];
  const oversized: { event: SinkEvent; bytes: number }[] = [];
  let group: SinkEvent[] = [];
  let pieces: Buffer[] = [];
  let size = fixed;

  const flush = (): void => {
    if (group.length === 0) return;
    const chunks: Buffer[] = [framing.prefix];
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) chunks.push(framing.separator);
      chunks.push(pieces[i]!);
    }
    chunks.push(framing.suffix);
    parts.push({ events: group, body: Buffer.concat(chunks, size) });
    group = [];
    pieces = [];
    size = fixed;
  };

  for (const event of events) {
    const piece = encodeEvent(event);
    if (piece.length > limits.maxEventBytes || fixed + piece.length > limits.maxRequestBytes) {
      oversized.push({ event, bytes: piece.length });
      continue;
    }
    const added = (group.length > 0 ? framing.separator.length : 0) + piece.length;
    if (group.length >= limits.maxEvents || size + added > limits.maxRequestBytes) flush();
    size += (group.length > 0 ? framing.separator.length : 0) + piece.length;
    group.push(event);
    pieces.push(piece);
  }
  flush();
  return { parts, oversized };
}
