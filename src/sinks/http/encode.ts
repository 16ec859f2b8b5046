// Request bodies for the HTTP sink: a batch becomes NDJSON or a JSON array of envelopes, optionally gzipped.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { encodeJsonArray, encodeNdjson } from '../envelope.js';
import type { SinkEvent } from '../types.js';
import type { HttpFormat } from './config.js';

// zlib's async form runs on the libuv thread pool, so compressing a large batch does not block the event loop.
const gzipAsync = promisify(gzipCallback);

export interface BodyOptions {
  readonly format: HttpFormat;
  readonly gzip: boolean;
}

/** The uncompressed body for a batch (pure). */
export function encodeBatch(events: readonly SinkEvent[], format: HttpFormat): Buffer {
  return format === 'json_array' ? encodeJsonArray(events) : encodeNdjson(events);
}

/** The body exactly as it goes on the wire (gzip only when configured; the header comes from config.ts). */
export async function encodeBody(events: readonly SinkEvent[], opts: BodyOptions): Promise<Buffer> {
  const raw = encodeBatch(events, opts.format);
  return opts.gzip ? gzipAsync(raw) : raw;
}
