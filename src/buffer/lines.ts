// The stored form of an event, shared by every backend and sent as is by NDJSON sinks: one envelope line,
// {"id":"<bufferId>-<seq>","tenantId":…,"receivedAt":…,"event":<payload>}\n, built by concatenation.
import type { StoredEvent } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const CLOSE_LF = Buffer.from('}\n');
const ID_OPEN = '{"id":"';
const TENANT_KEY = Buffer.from(',"tenantId":');
const AT_KEY = Buffer.from(',"receivedAt":');
const EVENT_KEY = Buffer.from(',"event":');

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

/**
 * Everything of a line before the payload. The tenant goes through JSON.stringify (quotes, control
 * characters); ingest refused tenants that are not well-formed Unicode. Ids are `<hex>-<digits>`: no escaping.
 */
export function lineHead(id: string, tenantJson: string, receivedAt: number): string {
  const at = Number.isFinite(receivedAt) ? String(receivedAt) : 'null';
  return `${ID_OPEN}${id}","tenantId":${tenantJson},"receivedAt":${at},"event":`;
}

/** Bytes of the line for these parts (what an event counts against buffer.maxBytes). */
export function lineBytes(head: string, payload: Buffer): number {
  return Buffer.byteLength(head) + payload.length + CLOSE_LF.length;
}

/** Writes one line at `at` of `out` (which must have room); returns the offset after it. */
export function writeLine(out: Buffer, at: number, head: string, payload: Buffer): number {
  at += out.write(head, at, 'utf8');
  at += payload.copy(out, at);
  at += CLOSE_LF.copy(out, at);
  return at;
}

/** One event's line, "\n" included. */
export function encodeLine(id: string, tenant: string, receivedAt: number, payload: Buffer): Buffer {
  const head = lineHead(id, JSON.stringify(tenant), receivedAt);
  const body = singleLinePayload(payload);
  const out = Buffer.allocUnsafe(lineBytes(head, body));
  writeLine(out, 0, head, body);
  return out;
}

/** Offsets where each line of `lines` starts, plus lines.length at the end (n lines: n + 1 entries). */
export function lineOffsets(lines: Buffer): Uint32Array {
  let n = 0;
  for (let i = lines.indexOf(LF); i !== -1; i = lines.indexOf(LF, i + 1)) n++;
  const out = new Uint32Array(n + 1);
  let k = 0;
  let start = 0;
  for (let i = lines.indexOf(LF); i !== -1; i = lines.indexOf(LF, i + 1)) {
    out[k++] = start;
    start = i + 1;
  }
  out[k] = start;
  return out;
}

/** The id of the line starting at `start` (ids never need escaping, so it ends at the next quote). */
export function lineId(lines: Buffer, start: number): string {
  const from = start + ID_OPEN.length;
  return lines.toString('latin1', from, lines.indexOf(0x22, from));
}

/** Decodes one line (without or with its "\n") back into the event it stores. */
export function decodeLine(line: Buffer): StoredEvent {
  // A JSON string cannot hold a bare '"', so the first `,"receivedAt":` after the tenant string and the
  // first `,"event":` after it are the keys, never text inside the tenant.
  const id = lineId(line, 0);
  const tenantAt = line.indexOf(TENANT_KEY) + TENANT_KEY.length;
  const atKey = line.indexOf(AT_KEY, tenantAt);
  const eventKey = line.indexOf(EVENT_KEY, atKey);
  if (tenantAt < TENANT_KEY.length || atKey === -1 || eventKey === -1)
    throw new Error('stored line is not an envelope');
  const tenant = JSON.parse(line.toString('utf8', tenantAt, atKey)) as string;
  const receivedAt = Number(line.toString('latin1', atKey + AT_KEY.length, eventKey));
  const end = line[line.length - 1] === LF ? line.length - 2 : line.length - 1;
  return {
    id,
    seq: Number(id.slice(id.lastIndexOf('-') + 1)),
    tenant,
    receivedAt,
    payload: line.subarray(eventKey + EVENT_KEY.length, end),
  };
}

/** Decodes every line of a chunk, in order. */
export function decodeLines(lines: Buffer): StoredEvent[] {
  const offsets = lineOffsets(lines);
  const out: StoredEvent[] = new Array<StoredEvent>(offsets.length - 1);
  for (let i = 0; i + 1 < offsets.length; i++)
    out[i] = decodeLine(lines.subarray(offsets[i], offsets[i + 1]));
  return out;
}
