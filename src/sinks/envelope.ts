// Envelope bodies for code that holds events rather than a lease (tests, tools), and the one conversion a
// sink may apply to stored lines: NDJSON to a JSON array. The line format itself lives in buffer/lines.ts.
import { lineBytes, lineHead, singleLinePayload, writeLine } from '../buffer/lines.js';
import type { SinkBatch, SinkEvent } from './types.js';

const LF = 0x0a;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The head of an event's line. lineHead writes the id between quotes unescaped (buffer ids never need
 * escaping); events built by hand may carry any string, so the id goes in JSON-escaped: for an id that needs
 * no escaping this is the id itself, so the bytes equal what the buffer stores.
 */
function headOf(e: SinkEvent): string {
  return lineHead(JSON.stringify(e.id).slice(1, -1), JSON.stringify(e.tenant), e.receivedAt);
}

/**
 * NDJSON body: each event's envelope line, `{"id","tenantId","receivedAt","event"}` + "\n" (the last line
 * too), byte for byte what the buffer stores for the same event. One allocation sized up front; payload
 * bytes copied once. Empty batch: empty body.
 */
export function encodeNdjson(events: readonly SinkEvent[]): Buffer {
  const heads = new Array<string>(events.length);
  const bodies = new Array<Buffer>(events.length);
  let total = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SinkEvent;
    const head = headOf(e);
    const body = singleLinePayload(e.payload);
    heads[i] = head;
    bodies[i] = body;
    total += lineBytes(head, body);
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < events.length; i++) at = writeLine(out, at, heads[i] as string, bodies[i] as Buffer);
  // Exact sizing is an invariant: a mismatch would leave uninitialised memory in the body.
  if (at !== total) throw new Error(`envelope encoder wrote ${at} of ${total} bytes`);
  return out;
}

/**
 * JSON array body `[envelope,envelope,…]` encoded from the events directly (empty batch: `[]`). Sinks
 * convert stored lines with ndjsonToJsonArray instead; this is its independent reference for code that has
 * events.
 */
export function encodeJsonArray(events: readonly SinkEvent[]): Buffer {
  const heads = new Array<string>(events.length);
  const bodies = new Array<Buffer>(events.length);
  // "[" and "]", one "}" per envelope and a "," between two.
  let total = 2 + Math.max(events.length * 2 - 1, 0);
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SinkEvent;
    heads[i] = headOf(e);
    bodies[i] = singleLinePayload(e.payload);
    total += Buffer.byteLength(heads[i] as string) + (bodies[i] as Buffer).length;
  }
  const out = Buffer.allocUnsafe(total);
  out[0] = OPEN_BRACKET;
  let at = 1;
  for (let i = 0; i < events.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += out.write(heads[i] as string, at, 'utf8');
    at += (bodies[i] as Buffer).copy(out, at);
    out[at++] = CLOSE_BRACE;
  }
  out[at++] = CLOSE_BRACKET;
  if (at !== total) throw new Error(`envelope encoder wrote ${at} of ${total} bytes`);
  return out;
}

/**
 * NDJSON envelope lines to a JSON array of the same envelopes: "[" first, each line-ending "\n" turned
 * into "," and the last one into "]". One allocation and a memchr per line, no per-event parsing. Valid
 * because of what buffer/lines.ts guarantees of every line: exactly one JSON value, never empty, and no raw
 * LF inside it (JSON strings cannot hold one; the payload's whitespace LFs were made spaces), so every LF is
 * a line end. A missing final "\n" is tolerated. Empty input: `[]`.
 */
export function ndjsonToJsonArray(ndjson: Buffer): Buffer {
  if (ndjson.length === 0) return Buffer.from('[]');
  const terminated = ndjson[ndjson.length - 1] === LF;
  const out = Buffer.allocUnsafe(ndjson.length + (terminated ? 1 : 2));
  out[0] = OPEN_BRACKET;
  ndjson.copy(out, 1);
  for (let i = ndjson.indexOf(LF); i !== -1; i = ndjson.indexOf(LF, i + 1)) out[i + 1] = COMMA;
  out[out.length - 1] = CLOSE_BRACKET;
  return out;
}

/**
 * A SinkBatch made from events (for tests, tools and any code that has events rather than a lease).
 * `ndjson()` is encodeNdjson of the events, built on first use and then the same Buffer; `events()` is the
 * array given (not copied: the caller must not change it while the batch is in use). The tenant defaults to
 * the first event's (empty string for an empty batch); nothing checks that every event has it.
 */
export function batchOf(events: readonly SinkEvent[], tenant?: string): SinkBatch {
  let lines: Buffer | undefined;
  return {
    tenant: tenant ?? events[0]?.tenant ?? '',
    count: events.length,
    ndjson: () => (lines ??= encodeNdjson(events)),
    events: () => events,
  };
}
