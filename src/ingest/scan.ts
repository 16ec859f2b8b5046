// The validating byte scan of the ingest hot path: one pass over an event's bytes that decides what
// JSON.parse + the tenant rules would decide (one JSON object, UTF-8, a good top-level tenantId) without
// building the value.
//
// Invariants (checked against JSON.parse by the differential property test in test/unit/ingest/scan.test.ts):
// - Accepted: exactly one RFC 8259 value surrounded by JSON whitespace (space, tab, LF, CR), in valid UTF-8
//   (no overlongs, no UTF-8-encoded surrogates, nothing above U+10FFFF), the same as isUtf8 + JSON.parse on
//   the decoded text. A leading BOM is not JSON whitespace, so it is refused as malformed, as JSON.parse does.
// - The tenant is the value of the LAST top-level member whose key, unescaped, is `tenantId` (JSON.parse
//   keeps the last duplicate); nested `tenantId` keys are ignored.
// - Nesting depth is unlimited, like V8's JSON.parse (which accepted 10,000,000 levels on Node 20): the
//   scan is iterative, with one byte of explicit stack per level, so its memory is bounded by the input's
//   size (an event, or an HTTP body split into array elements) and deep input cannot overflow the JS stack.
// - Rejection reasons follow the old order: too_large, invalid_utf8 (anywhere in the input, even after a
//   syntax error), malformed_json, not_an_object, missing_tenant, invalid_tenant.
// The scan works on bytes and allocates nothing per byte; the only string it builds is the tenant.
import { isUtf8 } from 'node:buffer';

/** Most Unicode code points (not UTF-16 code units) in a tenantId: 256 emoji are as good as 256 letters. */
export const MAX_TENANT_LENGTH = 256;

export type RejectReason =
  'too_large' | 'invalid_utf8' | 'malformed_json' | 'not_an_object' | 'missing_tenant' | 'invalid_tenant';

export type Validation =
  | { readonly ok: true; readonly tenant: string }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

/** Detail of a malformed_json refusal from the scan alone; validateEvent words it with a position. */
export const MALFORMED_DETAIL = 'not valid JSON';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_U = 0x75;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Bytes allowed after a backslash, other than `u`, mapped to the character they stand for. */
const ESCAPED = new Uint16Array(256);
/** Hex digit values, 0xff for non-digits. */
const HEX = new Uint8Array(256).fill(0xff);
for (const [b, c] of [
  [QUOTE, 0x22],
  [BACKSLASH, 0x5c],
  [0x2f, 0x2f], // \/
  [0x62, 0x08], // \b
  [0x66, 0x0c], // \f
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
] as const)
  ESCAPED[b] = c;
for (let d = 0; d < 10; d++) HEX[ZERO + d] = d;
for (let d = 0; d < 6; d++) HEX[0x41 + d] = HEX[0x61 + d] = 10 + d;

const TENANT_KEY = Uint8Array.from('tenantId', (c) => c.charCodeAt(0));

// Scan state. Module-level so that the scan allocates nothing; safe because a scan never yields (JS is
// single-threaded and nothing here is re-entered).
/** Container types of the open arrays/objects (LBRACKET or LBRACE), one byte per level. Grows on demand. */
let stack = new Uint8Array(64);
/** Where the scan failed, and whether because of invalid UTF-8 inside a string (else: syntax). */
let failedAt = -1;
let failedUtf8 = false;
/** Facts about the last string scanned. */
let lastEscaped = false;
let lastAscii = true;
/** The next value read is the value of a top-level `tenantId` member. */
let tenantNext = false;
/** Last top-level tenantId value seen: none, a string (its raw range), or another kind of value. */
const NONE = 0;
const STRING = 1;
const OTHER = 2;
let tenantKind = NONE;
let tenantStart = 0;
let tenantEnd = 0;
let tenantEscaped = false;
let tenantAscii = true;

function fail(at: number): number {
  failedAt = at;
  failedUtf8 = false;
  return -1;
}

function failUtf8(at: number): number {
  failedAt = at;
  failedUtf8 = true;
  return -1;
}

/** Offset of the first byte at or after `i` that is not JSON whitespace (or `end`). */
export function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** Checks one UTF-8 sequence whose lead byte (>= 0x80) is at `i`; returns the offset after it, or -1. */
function utf8Sequence(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0xc2) return failUtf8(i); // a continuation byte, or the lead of an overlong 2-byte form
  if (c < 0xe0) {
    if (i + 1 < end && (b[i + 1]! & 0xc0) === 0x80) return i + 2;
    return failUtf8(i);
  }
  if (c < 0xf0) {
    if (i + 2 >= end) return failUtf8(i);
    const c1 = b[i + 1]!;
    // E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
    if (c1 < (c === 0xe0 ? 0xa0 : 0x80) || c1 > (c === 0xed ? 0x9f : 0xbf)) return failUtf8(i);
    if ((b[i + 2]! & 0xc0) !== 0x80) return failUtf8(i);
    return i + 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return failUtf8(i);
    const c1 = b[i + 1]!;
    // F0 needs 90..BF (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
    if (c1 < (c === 0xf0 ? 0x90 : 0x80) || c1 > (c === 0xf4 ? 0x8f : 0xbf)) return failUtf8(i);
    if ((b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return failUtf8(i);
    return i + 4;
  }
  return failUtf8(i); // F5..FF: 5- and 6-byte forms and beyond U+10FFFF
}

/**
 * Scans a string whose opening quote is just before `i`; returns the offset after the closing quote, or
 * -1. Sets lastEscaped / lastAscii.
 */
function scanString(b: Uint8Array, i: number, end: number): number {
  let escaped = false;
  let ascii = true;
  for (;;) {
    // Four bytes at a time while none is a quote, a backslash, a control character or non-ASCII. SWAR: a
    // term has a byte's high bit set when the word holds a byte < 0x20, == '"', == '\\' or >= 0x80 (never
    // missed; a false alarm only falls back to the byte loop below).
    while (i + 4 <= end) {
      const w = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      const q = w ^ 0x22222222;
      const k = w ^ 0x5c5c5c5c;
      const special = ((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((k - 0x01010101) & ~k) | w;
      if ((special & 0x80808080) !== 0) break;
      i += 4;
    }
    if (i >= end) return fail(i);
    const c = b[i]!;
    // Plain printable ASCII, by far the most common: one range check covers everything after the quote.
    if (c > QUOTE && c < 0x7f && c !== BACKSLASH) {
      i++;
      continue;
    }
    if (c === QUOTE) {
      lastEscaped = escaped;
      lastAscii = ascii;
      return i + 1;
    }
    if (c === BACKSLASH) {
      escaped = true;
      if (i + 1 >= end) return fail(i + 1);
      const e = b[i + 1]!;
      if (e === LOWER_U) {
        if (i + 5 >= end) return fail(end);
        if ((HEX[b[i + 2]!]! | HEX[b[i + 3]!]! | HEX[b[i + 4]!]! | HEX[b[i + 5]!]!) === 0xff) return fail(i);
        i += 6;
      } else if (ESCAPED[e] !== 0) {
        i += 2;
      } else {
        return fail(i + 1);
      }
    } else if (c < 0x20) {
      return fail(i); // a raw control character
    } else if (c < 0x80) {
      i++; // space, !, DEL
    } else {
      ascii = false;
      i = utf8Sequence(b, i, end);
      if (i < 0) return -1;
    }
  }
}

/** Number per RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? starting at `i`. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i >= end) return fail(i);
  const lead = b[i]!;
  if (lead === ZERO) i++;
  else if (lead >= ONE && lead <= NINE) {
    i++;
    while (i < end && b[i]! >= ZERO && b[i]! <= NINE) i++;
  } else return fail(i);
  if (i < end && b[i] === DOT) {
    i++;
    if (i >= end || b[i]! < ZERO || b[i]! > NINE) return fail(i);
    while (i < end && b[i]! >= ZERO && b[i]! <= NINE) i++;
  }
  if (i < end && (b[i]! | 0x20) === LOWER_E) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= end || b[i]! < ZERO || b[i]! > NINE) return fail(i);
    while (i < end && b[i]! >= ZERO && b[i]! <= NINE) i++;
  }
  return i;
}

/** `true`, `false`, `null` or a number at `i`. */
function scanScalar(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c === 0x74 /* t */) return literal(b, i, end, 0x72, 0x75, 0x65, -1); // true
  if (c === 0x66 /* f */) return literal(b, i, end, 0x61, 0x6c, 0x73, 0x65); // false
  if (c === 0x6e /* n */) return literal(b, i, end, 0x75, 0x6c, 0x6c, -1); // null
  if (c === MINUS || (c >= ZERO && c <= NINE)) return scanNumber(b, i, end);
  return fail(i);
}

/** A 4- or 5-letter literal whose first letter is at `i` (x4 is -1 for 4 letters). */
function literal(b: Uint8Array, i: number, end: number, x1: number, x2: number, x3: number, x4: number) {
  const n = x4 === -1 ? 4 : 5;
  if (i + n > end) return fail(end);
  if (b[i + 1] !== x1 || b[i + 2] !== x2 || b[i + 3] !== x3 || (x4 !== -1 && b[i + 4] !== x4)) return fail(i);
  return i + n;
}

/** Whether the key b[s..e) (raw string contents, escaped or not) unescapes to `tenantId`. */
function isTenantKey(b: Uint8Array, s: number, e: number, escaped: boolean): boolean {
  if (!escaped) {
    if (e - s !== TENANT_KEY.length) return false;
    for (let k = 0; k < TENANT_KEY.length; k++) if (b[s + k] !== TENANT_KEY[k]) return false;
    return true;
  }
  // Rare: compare UTF-16 code unit by code unit. Raw non-ASCII bytes can never match an ASCII key.
  let k = 0;
  for (let i = s; i < e; k++) {
    let unit: number;
    const c = b[i]!;
    if (c === BACKSLASH) {
      const x = b[i + 1]!;
      if (x === LOWER_U) {
        unit = (HEX[b[i + 2]!]! << 12) | (HEX[b[i + 3]!]! << 8) | (HEX[b[i + 4]!]! << 4) | HEX[b[i + 5]!]!;
        i += 6;
      } else {
        unit = ESCAPED[x]!;
        i += 2;
      }
    } else {
      unit = c;
      i++;
    }
    if (k >= TENANT_KEY.length || unit !== TENANT_KEY[k]) return false;
  }
  return k === TENANT_KEY.length;
}

/**
 * Reads an object member's key at `i` (whitespace first), the whitespace and the colon after it; returns
 * the offset after the colon, or -1. Sets tenantNext when the member is a top-level `tenantId`.
 */
function scanKey(b: Uint8Array, i: number, end: number, depth: number): number {
  i = skipWhitespace(b, i, end);
  if (i >= end || b[i] !== QUOTE) return fail(i);
  const s = i + 1;
  i = scanString(b, s, end);
  if (i < 0) return -1;
  tenantNext = depth === 1 && isTenantKey(b, s, i - 1, lastEscaped);
  i = skipWhitespace(b, i, end);
  if (i >= end || b[i] !== COLON) return fail(i);
  return i + 1;
}

/**
 * Walks one JSON value starting at `start` (leading whitespace skipped) and returns the offset just past
 * it, or -1 when the bytes there do not begin with one well-formed value (a syntax error, or invalid UTF-8
 * inside a string). Bytes after the value are not looked at. Remembers the value's top-level `tenantId`
 * for scanEvent.
 */
export function scanValue(b: Uint8Array, start: number, end: number): number {
  end = Math.min(end, b.length);
  const after = walk(b, start, end);
  // A very deep input grew the stack: let it go rather than hold it for the life of the process.
  if (stack.length > 4096) stack = new Uint8Array(64);
  return after;
}

/** scanValue's loop. Iterative, so any depth fits: the explicit stack holds one byte per open container. */
function walk(b: Uint8Array, start: number, end: number): number {
  tenantKind = NONE;
  tenantNext = false;
  let depth = 0;
  let i = start;
  value: for (;;) {
    // ---- one value at i
    i = skipWhitespace(b, i, end);
    if (i >= end) return fail(i);
    let c = b[i]!;
    if (c === QUOTE) {
      const s = i + 1;
      i = scanString(b, s, end);
      if (i < 0) return -1;
      if (tenantNext) {
        tenantKind = STRING;
        tenantStart = s;
        tenantEnd = i - 1;
        tenantEscaped = lastEscaped;
        tenantAscii = lastAscii;
        tenantNext = false;
      }
    } else if (c === LBRACE || c === LBRACKET) {
      if (tenantNext) {
        tenantKind = OTHER;
        tenantNext = false;
      }
      if (depth === stack.length) {
        const grown = new Uint8Array(stack.length * 2);
        grown.set(stack);
        stack = grown;
      }
      stack[depth++] = c;
      i = skipWhitespace(b, i + 1, end);
      if (i >= end) return fail(i);
      if (c === LBRACE) {
        if (b[i] !== RBRACE) {
          i = scanKey(b, i, end, depth);
          if (i < 0) return -1;
          continue value;
        }
      } else if (b[i] !== RBRACKET) {
        continue value;
      }
      depth--; // an empty {} or []
      i++;
    } else {
      if (tenantNext) {
        tenantKind = OTHER;
        tenantNext = false;
      }
      i = scanScalar(b, i, end);
      if (i < 0) return -1;
    }
    // ---- after a value: close containers, or go on to the next member or element
    for (;;) {
      if (depth === 0) return i;
      i = skipWhitespace(b, i, end);
      if (i >= end) return fail(i);
      c = b[i]!;
      const open = stack[depth - 1];
      if (c === COMMA) {
        i++;
        if (open === LBRACE) {
          i = scanKey(b, i, end, depth);
          if (i < 0) return -1;
        }
        continue value;
      }
      if (c !== (open === LBRACE ? RBRACE : RBRACKET)) return fail(i);
      depth--;
      i++;
    }
  }
}

/** Byte offset where the last failed scanValue stopped (for tests and diagnostics). */
export function scanFailedAt(): number {
  return failedAt;
}

const TOO_LONG = `tenantId is longer than ${MAX_TENANT_LENGTH} characters (Unicode code points)`;

/**
 * Whether a well-formed string holds at most `max` code points. A surrogate pair is one code point in two
 * code units, so a string of at most `max` units always fits and one of more than `2 * max` never does;
 * between the two, every unit but a low surrogate starts a code point.
 */
export function codePointsAtMost(s: string, max: number): boolean {
  if (s.length <= max) return true;
  if (s.length > 2 * max) return false;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0xdc00 || u > 0xdfff) n++;
  }
  return n <= max;
}

function refuse(reason: RejectReason, detail: string): Validation {
  return { ok: false, reason, detail };
}

/** The tenant rules on a value already found: undefined means the member is missing. */
export function checkTenant(tenant: unknown): Validation {
  if (tenant === undefined) return refuse('missing_tenant', 'tenantId is missing');
  if (typeof tenant !== 'string' || tenant.length === 0) {
    return refuse('invalid_tenant', 'tenantId must be a non-empty string');
  }
  // A lone surrogate cannot be stored as UTF-8: it would come back as U+FFFD, a different tenant.
  if (!tenant.isWellFormed()) return refuse('invalid_tenant', 'tenantId is not well-formed Unicode');
  if (!codePointsAtMost(tenant, MAX_TENANT_LENGTH)) return refuse('invalid_tenant', TOO_LONG);
  return { ok: true, tenant };
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Unescapes the raw contents b[s..e) of a string the scan accepted (so every escape is well-formed). */
function unescapeString(b: Uint8Array, s: number, e: number): string {
  const buf = asBuffer(b);
  let out = '';
  let run = s;
  let i = s;
  while (i < e) {
    if (b[i] !== BACKSLASH) {
      i++;
      continue;
    }
    if (i > run) out += buf.toString('utf8', run, i);
    const x = b[i + 1]!;
    if (x === LOWER_U) {
      // Surrogate halves are kept as code units: a pair joins into one character, a lone one stays lone
      // (and fails isWellFormed), exactly as JSON.parse builds the string.
      out += String.fromCharCode(
        (HEX[b[i + 2]!]! << 12) | (HEX[b[i + 3]!]! << 8) | (HEX[b[i + 4]!]! << 4) | HEX[b[i + 5]!]!,
      );
      i += 6;
    } else {
      out += String.fromCharCode(ESCAPED[x]!);
      i += 2;
    }
    run = i;
  }
  if (e > run) out += buf.toString('utf8', run, e);
  return out;
}

/** The tenant found by the last successful scanValue of an object, checked against the tenant rules. */
function scannedTenant(b: Uint8Array): Validation {
  if (tenantKind === NONE) return checkTenant(undefined);
  if (tenantKind === OTHER) return checkTenant(null);
  const bytes = tenantEnd - tenantStart;
  if (tenantEscaped) return checkTenant(unescapeString(b, tenantStart, tenantEnd));
  // Unescaped UTF-8 needs at most 4 bytes per code point, and holds no lone surrogate: past 4 * 256 bytes
  // the tenant is too long whatever it says, without decoding it.
  if (bytes > 4 * MAX_TENANT_LENGTH) return refuse('invalid_tenant', TOO_LONG);
  return checkTenant(asBuffer(b).toString(tenantAscii ? 'latin1' : 'utf8', tenantStart, tenantEnd));
}

/**
 * Validates one event's raw bytes: at most maxEventBytes, UTF-8, exactly one JSON object with a good
 * top-level tenantId. A malformed_json refusal carries MALFORMED_DETAIL (validateEvent adds the position).
 */
export function scanEvent(bytes: Uint8Array, maxEventBytes: number): Validation {
  const n = bytes.byteLength;
  if (n > maxEventBytes)
    return refuse('too_large', `event of ${n} bytes exceeds the limit of ${maxEventBytes}`);
  const first = skipWhitespace(bytes, 0, n);
  let end = scanValue(bytes, first, n);
  if (end >= 0) {
    end = skipWhitespace(bytes, end, n);
    if (end !== n) end = fail(end); // something after the value
  }
  if (end < 0) {
    // Invalid UTF-8 anywhere outranks a syntax error, even one earlier in the input.
    if (failedUtf8 || !isUtf8(bytes)) return refuse('invalid_utf8', 'event is not valid UTF-8');
    return refuse('malformed_json', MALFORMED_DETAIL);
  }
  if (bytes[first] !== LBRACE) return refuse('not_an_object', 'an event must be a JSON object');
  return scannedTenant(bytes);
}
