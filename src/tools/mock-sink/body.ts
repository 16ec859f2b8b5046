// Turns an ingest request body (NDJSON or a JSON array, optionally gzip) into envelopes, or says why not.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Envelope } from './ledger.js';

const gunzipAsync = promisify(gunzip);

export type BodyResult =
  { ok: true; envelopes: Envelope[] } | { ok: false; status: 400 | 413 | 415; message: string };

/** Undoes Content-Encoding (identity or gzip); refuses others and results larger than `maxBytes`. */
export async function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<{ ok: true; body: Buffer } | { ok: false; status: 400 | 413 | 415; message: string }> {
  const enc = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return { ok: true, body: raw };
  if (enc !== 'gzip' && enc !== 'x-gzip') {
    return { ok: false, status: 415, message: `unsupported Content-Encoding ${JSON.stringify(enc)}` };
  }
  try {
    // maxOutputLength turns a gzip bomb into an error instead of an allocation.
    return { ok: true, body: await gunzipAsync(raw, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    return tooBig
      ? { ok: false, status: 413, message: `decoded body exceeds ${maxBytes} bytes` }
      : { ok: false, status: 400, message: `bad gzip body: ${(err as Error).message}` };
  }
}

/** Checks one parsed element; returns the envelope or a reason. */
function toEnvelope(v: unknown): Envelope | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id.length === 0) return '"id" must be a non-empty string';
  if (typeof o.tenantId !== 'string' || o.tenantId.length === 0)
    return '"tenantId" must be a non-empty string';
  if (o.receivedAt !== undefined && (typeof o.receivedAt !== 'number' || !Number.isFinite(o.receivedAt))) {
    return '"receivedAt" must be a number';
  }
  if (o.event === null || typeof o.event !== 'object' || Array.isArray(o.event)) {
    return '"event" must be a JSON object';
  }
  return { id: o.id, tenantId: o.tenantId, receivedAt: o.receivedAt, event: o.event };
}

/** True when the body should be read as one JSON array (by Content-Type, or by sniffing `[` when absent). */
function isJsonArray(body: string, contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.includes('ndjson') || type.includes('jsonlines') || type.includes('x-jsonl')) return false;
  if (type.endsWith('/json') || type.endsWith('+json')) return true;
  return body.trimStart().startsWith('[');
}

/** Parses every envelope of the body; a single bad element refuses the whole body, naming it. */
export function parseEnvelopes(body: Buffer, contentType: string | undefined): BodyResult {
  const text = body.toString('utf8');
  const envelopes: Envelope[] = [];
  if (isJsonArray(text, contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { ok: false, status: 400, message: `body is not valid JSON: ${(err as Error).message}` };
    }
    const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    for (let i = 0; i < items.length; i++) {
      const env = toEnvelope(items[i]);
      if (typeof env === 'string') return { ok: false, status: 400, message: `element ${i}: ${env}` };
      envelopes.push(env);
    }
  } else {
    let start = 0;
    let line = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      line++;
      const raw = text.slice(start, end);
      start = end + 1;
      if (raw.length === 0 || raw === '\r') continue; // blank lines (and a trailing newline) are allowed
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (err) {
        if (raw.trim() === '') continue; // whitespace-only line: only checked on the rare failure path
        return { ok: false, status: 400, message: `line ${line}: not valid JSON: ${(err as Error).message}` };
      }
      const env = toEnvelope(parsed);
      if (typeof env === 'string') return { ok: false, status: 400, message: `line ${line}: ${env}` };
      envelopes.push(env);
    }
  }
  if (envelopes.length === 0) return { ok: false, status: 400, message: 'body holds no envelopes' };
  return { ok: true, envelopes };
}
