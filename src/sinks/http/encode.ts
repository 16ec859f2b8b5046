// HTTP request bodies: a batch's NDJSON lines as they are or as one JSON array, optionally gzipped.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ndjsonToJsonArray } from '../envelope.js';
import type { SinkBatch } from '../types.js';
import type { HttpFormat } from './config.js';

// zlib's async form runs on the libuv thread pool, so compressing a large batch does not block the event loop.
const gzipAsync = promisify(gzipCallback);

export interface BodyOptions {
  readonly format: HttpFormat;
  readonly gzip: boolean;
}

/**
 * The uncompressed body for a batch. NDJSON is the batch's lines themselves (no copy, nothing encoded per
 * event); a JSON array is one pass over them. Never decodes events.
 */
export function encodeBatch(batch: SinkBatch, format: HttpFormat): Buffer {
  return format === 'json_array' ? ndjsonToJsonArray(batch.ndjson()) : batch.ndjson();
}

/** The body exactly as it goes on the wire (gzip only when configured; the header comes from config.ts). */
export async function encodeBody(batch: SinkBatch, opts: BodyOptions): Promise<Buffer> {
  const raw = encodeBatch(batch, opts.format);
  return opts.gzip ? gzipAsync(raw) : raw;
}
