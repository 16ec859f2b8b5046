// Event validation shared by every ingest path: bytes in, tenant out, or a reason to refuse.
import { isUtf8 } from 'node:buffer';

export const MAX_TENANT_LENGTH = 256;

export type RejectReason =
  'too_large' | 'invalid_utf8' | 'malformed_json' | 'not_an_object' | 'missing_tenant' | 'invalid_tenant';

export type Validation =
  | { readonly ok: true; readonly tenant: string }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

function reject(reason: RejectReason, detail: string): Validation {
  return { ok: false, reason, detail };
}

/**
 * What to say about a JSON.parse failure. The parser's own message may quote the input, and an event can
 * carry credentials, so only the position where it broke is kept.
 */
export function jsonErrorDetail(err: unknown): string {
  const position = /position (\d+)/.exec((err as Error).message)?.[1];
  return position ? `not valid JSON (at position ${position})` : 'not valid JSON';
}

/** Checks an already-parsed value: a JSON object with a non-empty string tenantId of at most 256 chars. */
export function validateValue(value: unknown): Validation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', 'an event must be a JSON object');
  }
  const tenant = (value as Record<string, unknown>).tenantId;
  if (tenant === undefined) return reject('missing_tenant', 'tenantId is missing');
  if (typeof tenant !== 'string' || tenant.length === 0) {
    return reject('invalid_tenant', 'tenantId must be a non-empty string');
  }
  // A lone surrogate cannot be stored as UTF-8: it would come back as U+FFFD, a different tenant.
  if (!tenant.isWellFormed()) return reject('invalid_tenant', 'tenantId is not well-formed Unicode');
  if (tenant.length > MAX_TENANT_LENGTH) {
    return reject('invalid_tenant', `tenantId is longer than ${MAX_TENANT_LENGTH} characters`);
  }
  return { ok: true, tenant };
}

/** Validates one event's raw bytes (a ZeroMQ frame, an NDJSON line). */
export function validateEvent(bytes: Uint8Array, maxEventBytes: number): Validation {
  if (bytes.byteLength > maxEventBytes) {
    return reject('too_large', `event of ${bytes.byteLength} bytes exceeds the limit of ${maxEventBytes}`);
  }
  if (!isUtf8(bytes)) return reject('invalid_utf8', 'event is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return reject('malformed_json', jsonErrorDetail(err));
  }
  return validateValue(value);
}
