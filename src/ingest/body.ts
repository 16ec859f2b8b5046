// Parses an HTTP request body (one JSON object, a JSON array of objects, or NDJSON) into validated events.
import { isUtf8 } from 'node:buffer';
import {
  jsonErrorDetail,
  validateEvent,
  validateValue,
  type RejectReason,
  type Validation,
} from './validate.js';

export interface ParsedEvent {
  readonly tenant: string;
  /** One event's JSON; never contains a line feed, so line-oriented sinks can write it as one line. */
  readonly payload: Buffer;
}

export type BodyRejectReason = RejectReason | 'empty';

export type ParseResult =
  | { readonly ok: true; readonly events: ParsedEvent[] }
  | {
      readonly ok: false;
      readonly reason: BodyRejectReason;
      /** 1-based line (NDJSON, single object) or element (array) that failed; 0 when it names none. */
      readonly line: number;
      /** Human message naming the line, e.g. `line 3: tenantId is missing`. */
      readonly detail: string;
      readonly status: 400 | 413;
    };

const LF = 0x0a;
const CR = 0x0d;

/** JSON's insignificant whitespace: space, tab, LF, CR. */
function isWs(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === LF || b === CR;
}

function fail(reason: BodyRejectReason, line: number, where: string, detail: string): ParseResult {
  return {
    ok: false,
    reason,
    line,
    detail: where === '' ? detail : `${where}: ${detail}`,
    status: reason === 'too_large' ? 413 : 400,
  };
}

function failWith(v: Extract<Validation, { ok: false }>, line: number, where: string): ParseResult {
  return fail(v.reason, line, where, v.detail);
}

/** 1-based number of the first line of `body` that is not valid UTF-8 (LF never occurs inside a sequence). */
function firstNonUtf8Line(body: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const nl = body.indexOf(LF, start);
    const end = nl === -1 ? body.length : nl;
    if (!isUtf8(body.subarray(start, end))) return line;
    if (nl === -1) return line;
    start = nl + 1;
    line++;
  }
}

/**
 * Splits a body into events. The first bad line or element refuses the whole body; an event above
 * `maxEventBytes` answers 413, any other problem 400. Never throws, whatever the bytes.
 */
export function parseBody(body: Buffer, maxEventBytes: number): ParseResult {
  let first = 0;
  while (first < body.length && isWs(body[first]!)) first++;
  if (first === body.length) return fail('empty', 0, '', 'request body is empty');
  // One native pass up front: a JSON.parse of undecodable bytes would silently turn them into U+FFFD.
  if (!isUtf8(body)) {
    const line = firstNonUtf8Line(body);
    return fail('invalid_utf8', line, `line ${line}`, 'not valid UTF-8');
  }
  const lead = body[first];
  if (lead === 0x5b /* [ */) return parseArray(body, maxEventBytes);
  if (lead === 0x7b /* { */) {
    const single = parseSingle(body, first, maxEventBytes);
    if (single) return single;
  }
  return parseNdjson(body, maxEventBytes);
}

/**
 * The whole body as one object (it may be pretty-printed over many lines). Returns undefined when the
 * body is not one JSON value, so the caller falls back to NDJSON. For NDJSON this costs little: the
 * parse stops at the start of line 2 ("non-whitespace after JSON").
 */
function parseSingle(body: Buffer, first: number, maxEventBytes: number): ParseResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  let last = body.length;
  while (last > first && isWs(body[last - 1]!)) last--;
  const raw = body.subarray(first, last);
  if (raw.length > maxEventBytes) {
    return fail(
      'too_large',
      1,
      'line 1',
      `event of ${raw.length} bytes exceeds the limit of ${maxEventBytes}`,
    );
  }
  const v = validateValue(value);
  if (!v.ok) return failWith(v, 1, 'line 1');
  // A multi-line object is re-serialised compactly so every stored payload is one line; a one-line
  // object keeps its original bytes (a view into the body, no copy).
  const multiLine = raw.includes(LF) || raw.includes(CR);
  const payload = multiLine ? compact(value) : raw;
  if (payload === undefined) return fail('malformed_json', 1, 'line 1', 'event cannot be re-serialised');
  return { ok: true, events: [{ tenant: v.tenant, payload }] };
}

/**
 * A JSON array: each element becomes one event. Its payload is re-serialised with JSON.stringify, because
 * JSON.parse keeps no offsets, so the element's original bytes cannot be sliced out cheaply. Values are
 * preserved; whitespace and number spelling (1.0 -> 1) may change. An empty array is zero events.
 */
function parseArray(body: Buffer, maxEventBytes: number): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    // Either a broken array, or NDJSON whose first line is an array: when that line is valid JSON on its
    // own, the NDJSON reading names it; otherwise say where the parser stopped.
    const ndjson = parseNdjson(body, maxEventBytes);
    if (!ndjson.ok && ndjson.reason !== 'malformed_json') return ndjson;
    return fail('malformed_json', 0, 'array', jsonErrorDetail(err));
  }
  if (!Array.isArray(value)) return fail('malformed_json', 0, 'array', 'not a JSON array');
  const events: ParsedEvent[] = [];
  for (let i = 0; i < value.length; i++) {
    const n = i + 1;
    const element: unknown = value[i];
    const v = validateValue(element);
    if (!v.ok) return failWith(v, n, `element ${n}`);
    const payload = compact(element);
    if (payload === undefined) return fail('malformed_json', n, `element ${n}`, 'cannot be re-serialised');
    if (payload.length > maxEventBytes) {
      const msg = `event of ${payload.length} bytes exceeds the limit of ${maxEventBytes}`;
      return fail('too_large', n, `element ${n}`, msg);
    }
    events.push({ tenant: v.tenant, payload });
  }
  return { ok: true, events };
}

/**
 * NDJSON: one object per line; blank (whitespace-only) lines and a trailing newline are skipped, a CR
 * before the LF is dropped. Line numbers count every physical line, blank ones included, so they match
 * what an editor shows. Payloads are views into the body: they pin it until they are stored.
 */
function parseNdjson(body: Buffer, maxEventBytes: number): ParseResult {
  const events: ParsedEvent[] = [];
  let line = 0;
  let start = 0;
  while (start < body.length) {
    line++;
    const nl = body.indexOf(LF, start);
    let end = nl === -1 ? body.length : nl;
    const next = nl === -1 ? body.length : nl + 1;
    if (end > start && body[end - 1] === CR) end--;
    let i = start;
    while (i < end && isWs(body[i]!)) i++;
    if (i < end) {
      const bytes = body.subarray(start, end);
      const v = validateEvent(bytes, maxEventBytes);
      if (!v.ok) return failWith(v, line, `line ${line}`);
      events.push({ tenant: v.tenant, payload: bytes });
    }
    start = next;
  }
  return { ok: true, events };
}

/** JSON.stringify as bytes; undefined if it throws (nesting too deep for the recursive serialiser). */
function compact(value: unknown): Buffer | undefined {
  try {
    return Buffer.from(JSON.stringify(value), 'utf8');
  } catch {
    return undefined;
  }
}
