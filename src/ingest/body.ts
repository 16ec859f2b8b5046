// Parses an HTTP request body (one JSON object, a JSON array of objects, or NDJSON) into validated events.
import { isUtf8 } from 'node:buffer';
import { scanValue, skipWhitespace } from './scan.js';
import { jsonErrorDetail, validateEvent, type RejectReason, type Validation } from './validate.js';

export interface ParsedEvent {
  readonly tenant: string;
  /**
   * One event's original bytes, a view into the body (surrounding whitespace trimmed). A pretty-printed
   * event keeps its line breaks: the buffer stores every payload on one line (lines.ts, singleLinePayload).
   */
  readonly payload: Buffer;
}

export type BodyRejectReason = RejectReason | 'empty' | 'too_many_events';

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
const COMMA = 0x2c;
const RBRACKET = 0x5d;

function fail(reason: BodyRejectReason, line: number, where: string, detail: string): ParseResult {
  return {
    ok: false,
    reason,
    line,
    detail: where === '' ? detail : `${where}: ${detail}`,
    status: reason === 'too_large' || reason === 'too_many_events' ? 413 : 400,
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

/** The refusal of a body holding more than `maxEvents` events; `at` is the first event over the cap. */
function tooMany(maxEvents: number, at: number, where: string): ParseResult {
  const detail = `the request holds more than ${maxEvents} events (ingest.http.maxEventsPerRequest); split it into smaller requests`;
  return fail('too_many_events', at, where, detail);
}

/**
 * Splits a body into events. The first bad line or element refuses the whole body; an event above
 * `maxEventBytes` or more than `maxEvents` events answer 413, any other problem 400. The event count is
 * checked as the body is split, so an oversized request is refused before its events are validated.
 * Never throws, whatever the bytes.
 */
export function parseBody(body: Buffer, maxEventBytes: number, maxEvents = Infinity): ParseResult {
  const first = skipWhitespace(body, 0, body.length);
  if (first === body.length) return fail('empty', 0, '', 'request body is empty');
  // One native pass up front: a JSON.parse of undecodable bytes would silently turn them into U+FFFD.
  if (!isUtf8(body)) {
    const line = firstNonUtf8Line(body);
    return fail('invalid_utf8', line, `line ${line}`, 'not valid UTF-8');
  }
  const lead = body[first];
  if (lead === 0x5b /* [ */) return parseArray(body, first, maxEventBytes, maxEvents);
  if (lead === 0x7b /* { */) {
    const single = parseSingle(body, first, maxEventBytes);
    if (single) return single;
  }
  return parseNdjson(body, maxEventBytes, maxEvents);
}

/**
 * The whole body as one object (it may be pretty-printed over many lines). Returns undefined when the
 * body is not one JSON value, so the caller falls back to NDJSON. For NDJSON this costs little: the
 * scan stops at the start of line 2 (something follows the value).
 */
function parseSingle(body: Buffer, first: number, maxEventBytes: number): ParseResult | undefined {
  const end = scanValue(body, first, body.length);
  if (end < 0 || skipWhitespace(body, end, body.length) !== body.length) return undefined;
  // The original bytes, even when they span lines: never re-serialised (that would round numbers).
  const payload = body.subarray(first, end);
  const v = validateEvent(payload, maxEventBytes);
  if (!v.ok) return failWith(v, 1, 'line 1');
  return { ok: true, events: [{ tenant: v.tenant, payload }] };
}

/**
 * A JSON array: each element becomes one event whose payload is the element's own bytes, a view into the
 * body, exactly as sent (numbers beyond 2^53, spellings such as 1.0 and whitespace inside are kept). The
 * whole array is checked for syntax first, so a broken array is refused as such before any element is
 * judged. An empty array is zero events.
 */
function parseArray(body: Buffer, first: number, maxEventBytes: number, maxEvents: number): ParseResult {
  const n = body.length;
  const bounds: number[] = []; // start, end of each element
  let i = skipWhitespace(body, first + 1, n);
  let ok = true;
  if (i < n && body[i] === RBRACKET) i++;
  else {
    for (;;) {
      const start = skipWhitespace(body, i, n);
      const end = scanValue(body, start, n);
      if (end < 0) {
        ok = false;
        break;
      }
      if (bounds.length / 2 === maxEvents)
        return tooMany(maxEvents, maxEvents + 1, `element ${maxEvents + 1}`);
      bounds.push(start, end);
      i = skipWhitespace(body, end, n);
      if (i < n && body[i] === COMMA) {
        i++;
        continue;
      }
      if (i < n && body[i] === RBRACKET) i++;
      else ok = false;
      break;
    }
  }
  if (!ok || skipWhitespace(body, i, n) !== n) return brokenArray(body, maxEventBytes, maxEvents);
  const events: ParsedEvent[] = [];
  for (let k = 0; k < bounds.length; k += 2) {
    const element = k / 2 + 1;
    const payload = body.subarray(bounds[k], bounds[k + 1]);
    const v = validateEvent(payload, maxEventBytes);
    if (!v.ok) return failWith(v, element, `element ${element}`);
    events.push({ tenant: v.tenant, payload });
  }
  return { ok: true, events };
}

/**
 * A body starting with '[' that is not one JSON array: either a broken array, or NDJSON whose first line
 * is an array. When the NDJSON reading names a line for another reason than its syntax, say that;
 * otherwise say where JSON.parse stops in the array (JSON.parse only words the refusal).
 */
function brokenArray(body: Buffer, maxEventBytes: number, maxEvents: number): ParseResult {
  const ndjson = parseNdjson(body, maxEventBytes, maxEvents);
  if (!ndjson.ok && ndjson.reason !== 'malformed_json') return ndjson;
  let detail = 'not valid JSON';
  try {
    JSON.parse(body.toString('utf8'));
  } catch (err) {
    detail = jsonErrorDetail(err);
  }
  return fail('malformed_json', 0, 'array', detail);
}

/**
 * NDJSON: one object per line; blank (whitespace-only) lines and a trailing newline are skipped, a CR
 * before the LF is dropped. Line numbers count every physical line, blank ones included, so they match
 * what an editor shows. Payloads are views into the body: they pin it until they are stored.
 */
function parseNdjson(body: Buffer, maxEventBytes: number, maxEvents: number): ParseResult {
  const events: ParsedEvent[] = [];
  let line = 0;
  let start = 0;
  while (start < body.length) {
    line++;
    const nl = body.indexOf(LF, start);
    let end = nl === -1 ? body.length : nl;
    const next = nl === -1 ? body.length : nl + 1;
    if (end > start && body[end - 1] === CR) end--;
    if (skipWhitespace(body, start, end) < end) {
      if (events.length === maxEvents) return tooMany(maxEvents, line, `line ${line}`);
      const bytes = body.subarray(start, end);
      const v = validateEvent(bytes, maxEventBytes);
      if (!v.ok) return failWith(v, line, `line ${line}`);
      events.push({ tenant: v.tenant, payload: bytes });
    }
    start = next;
  }
  return { ok: true, events };
}
