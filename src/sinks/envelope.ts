// The wire form of one event shared by every sink: {"id","tenantId","receivedAt","event"} built by concatenation.
import type { SinkEvent } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/**
 * The payload as it may go on one NDJSON line. The payload is valid JSON (ingest validated it) and JSON
 * strings cannot hold a raw CR or LF, so every CR/LF byte is whitespace between tokens of a pretty-printed
 * event; replacing each with a space keeps the same JSON value. (Bytes of multi-byte UTF-8 sequences are
 * all >= 0x80, so they are never mistaken for CR/LF.) This is deliberately not JSON.stringify(JSON.parse()):
 * a round trip through JS numbers would corrupt integers above 2^53 and rewrite number spellings.
 * Payloads without CR/LF (the common case) pass through as the same Buffer: the hot path never copies.
 */
export function singleLinePayload(payload: Buffer): Buffer {
  const lf = payload.indexOf(LF);
  const cr = payload.indexOf(CR);
  if (lf === -1 && cr === -1) return payload;
  const out = Buffer.from(payload);
  for (let i = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr); i < out.length; i++) {
    if (out[i] === LF || out[i] === CR) out[i] = SPACE;
  }
  return out;
}

/** Everything of an envelope before the payload. Id and tenant go through JSON.stringify (quotes, control chars, lone surrogates). */
function envelopeHead(e: SinkEvent): string {
  // A non-finite receivedAt would make the line invalid JSON; JSON.stringify writes such a number as null.
  const at = Number.isFinite(e.receivedAt) ? String(e.receivedAt) : 'null';
  return `{"id":${JSON.stringify(e.id)},"tenantId":${JSON.stringify(e.tenant)},"receivedAt":${at},"event":`;
}

/**
 * Writes `open`, then each envelope followed by `after` (the last one by `lastAfter`), then `close` into one
 * buffer sized exactly up front: one allocation per batch, payload bytes copied once.
 */
function join(
  events: readonly SinkEvent[],
  open: Buffer,
  after: Buffer,
  lastAfter: Buffer,
  close: Buffer,
): Buffer {
  const heads: string[] = new Array<string>(events.length);
  const headBytes: number[] = new Array<number>(events.length);
  const payloads: Buffer[] = new Array<Buffer>(events.length);
  let total = open.length + close.length;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SinkEvent;
    const head = envelopeHead(e);
    const payload = singleLinePayload(e.payload);
    heads[i] = head;
    headBytes[i] = Buffer.byteLength(head, 'utf8');
    payloads[i] = payload;
    total +=
      (headBytes[i] as number) + payload.length + 1 + (i === events.length - 1 ? lastAfter : after).length;
  }
  const out = Buffer.allocUnsafe(total);
  let at = open.copy(out, 0);
  for (let i = 0; i < events.length; i++) {
    at += out.write(heads[i] as string, at, headBytes[i] as number, 'utf8');
    at += (payloads[i] as Buffer).copy(out, at);
    out[at++] = 0x7d; // '}' closes the envelope
    at += (i === events.length - 1 ? lastAfter : after).copy(out, at);
  }
  at += close.copy(out, at);
  // Exact sizing is an invariant: a mismatch would leave uninitialised memory in the body.
  if (at !== total) throw new Error(`envelope encoder wrote ${at} of ${total} bytes`);
  return out;
}

/** One event's envelope, without a trailing newline. Its bytes contain no raw CR or LF. */
export function encodeEnvelope(e: SinkEvent): Buffer {
  return join([e], EMPTY, EMPTY, EMPTY, EMPTY);
}

/** NDJSON body: one envelope per line, every line (the last too) terminated by "\n". Empty batch: empty body. */
export function encodeNdjson(events: readonly SinkEvent[]): Buffer {
  return join(events, EMPTY, NEWLINE, NEWLINE, EMPTY);
}

const OPEN_ARRAY = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_ARRAY = Buffer.from(']');

/** JSON array body: `[envelope,envelope,…]`. Empty batch: `[]`. */
export function encodeJsonArray(events: readonly SinkEvent[]): Buffer {
  return join(events, OPEN_ARRAY, COMMA, EMPTY, CLOSE_ARRAY);
}
