// NDJSON streaming: read a file line by line as Buffers, write events in large chunks with backpressure.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const NL = 0x0a;
const CR = 0x0d;

export interface ReadNdjsonOptions {
  /** A line longer than this aborts the read (guards against a file with no newlines). Default 16 MiB. */
  readonly maxLineBytes?: number;
}

/**
 * Yields each non-empty line of an NDJSON file as raw bytes (no newline, CR stripped).
 * Streams the file: memory stays bounded by one read chunk plus the longest line.
 * Lines are not parsed or validated here: a load generator should be able to send bad input too.
 */
export async function* readNdjson(path: string, opts: ReadNdjsonOptions = {}): AsyncGenerator<Buffer> {
  const maxLine = opts.maxLineBytes ?? 16 * 1024 * 1024;
  // Pieces of a line that spans read chunks; joined once when its newline arrives (no O(n^2) concat).
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const finish = (tail: Buffer): Buffer | undefined => {
    let line = pending.length === 0 ? tail : Buffer.concat([...pending, tail], pendingLen + tail.length);
    pending = [];
    pendingLen = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    return line.length > 0 ? line : undefined;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      const line = finish(chunk.subarray(start, nl));
      if (line !== undefined) yield line;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > maxLine) throw new RangeError(`${path}: a line is longer than ${maxLine} bytes`);
    }
  }
  const last = finish(Buffer.alloc(0));
  if (last !== undefined) yield last;
}

/**
 * Writes events as NDJSON into `out`, copying them into ~256 KiB chunks (one write per chunk,
 * not per event) and waiting for 'drain' when the stream pushes back. Returns the event count.
 * Does not end `out`. Each chunk is a fresh buffer because the stream may still hold the last one.
 */
export async function writeNdjson(
  events: Iterable<Uint8Array>,
  out: Writable,
  chunkBytes = 256 * 1024,
): Promise<number> {
  let chunk = Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  let count = 0;
  const write = async (buf: Buffer): Promise<void> => {
    if (out.errored) throw out.errored;
    if (out.destroyed) throw new Error('output stream was closed');
    // once() rejects if 'error' fires while waiting, so a broken pipe ends the loop instead of hanging.
    if (!out.write(buf)) await once(out, 'drain');
  };
  for (const ev of events) {
    if (used + ev.length + 1 > chunkBytes && used > 0) {
      await write(chunk.subarray(0, used));
      chunk = Buffer.allocUnsafe(chunkBytes);
      used = 0;
    }
    if (ev.length + 1 > chunkBytes) {
      await write(Buffer.concat([ev, Buffer.from('\n')]));
    } else {
      chunk.set(ev, used);
      chunk[used + ev.length] = NL;
      used += ev.length + 1;
    }
    count++;
  }
  if (used > 0) await write(chunk.subarray(0, used));
  return count;
}
