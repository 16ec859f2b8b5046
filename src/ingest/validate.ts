// Event validation shared by every ingest path: bytes in, tenant out, or a reason to refuse.
import { isUtf8 } from 'node:buffer';
import { checkTenant, MALFORMED_DETAIL, scanEvent, type RejectReason, type Validation } from './scan.js';

export { codePointsAtMost, MAX_TENANT_LENGTH, type RejectReason, type Validation } from './scan.js';

function reject(reason: RejectReason, detail: string): Validation {
  return { ok: false, reason, detail };
}

/**
 * What to say about a JSON.parse failure. The parser's own message may quote the input, and an event can
 * carry credentials, so only the position where it broke is kept.
 */
export function jsonErrorDetail(err: unknown): string {
  const position = /position (\d+)/.exec((err as Error).message)?.[1];
  return position ? `not valid JSON (at position ${position})` : MALFORMED_DETAIL;
}

function utf8Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Checks an already-parsed value: a JSON object with a non-empty, well-formed string tenantId of at most 256
 * Unicode code points.
 */
export function validateValue(value: unknown): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', 'an event must be a JSON object');
  }
  return checkTenant((value as Record<string, unknown>).tenantId);
}

/**
 * Validates one event's raw bytes (a ZeroMQ frame, an NDJSON line, an array element) with the byte scan,
 * without building the value. JSON.parse runs only to word a malformed_json refusal.
 */
export function validateEvent(bytes: Uint8Array, maxEventBytes: number): Validation {
  const v = scanEvent(bytes, maxEventBytes);
  if (v.ok || v.reason !== 'malformed_json') return v;
  try {
    JSON.parse(utf8Text(bytes));
  } catch (err) {
    return reject('malformed_json', jsonErrorDetail(err));
  }
  // JSON.parse took what the scan refused. The differential test rules this out; should it ever happen,
  // the scan's stricter verdict stands.
  return v;
}

/**
 * The reference the scan is checked against: isUtf8 + JSON.parse + validateValue, as validateEvent was
 * before the scan. Slower (it builds the whole value); kept for tests and benchmarks.
 */
export function validateEventByParse(bytes: Uint8Array, maxEventBytes: number): Validation {
  if (bytes.byteLength > maxEventBytes) {
    return reject('too_large', `event of ${bytes.byteLength} bytes exceeds the limit of ${maxEventBytes}`);
  }
  if (!isUtf8(bytes)) return reject('invalid_utf8', 'event is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(utf8Text(bytes));
  } catch (err) {
    return reject('malformed_json', jsonErrorDetail(err));
  }
  return validateValue(value);
}
