// Packs batches of events into one transferable ArrayBuffer for the worker boundary: one copy, no
// per-event structured clone. Layout per record is documented next to each pack function.
import type { AppendRecord } from './engine.js';
import type { EventRow } from './statements.js';

/** Append record: u32 tenant length, tenant UTF-8, f64 receivedAt, u32 payload length, payload. */
export function packAppends(
  events: readonly { tenant: string; receivedAt: number; payload: Uint8Array }[],
): ArrayBuffer {
  let size = 0;
  for (const e of events) size += 16 + Buffer.byteLength(e.tenant) + e.payload.byteLength;
  const buf = Buffer.allocUnsafeSlow(size);
  let o = 0;
  for (const e of events) {
    const tlen = buf.write(e.tenant, o + 4, 'utf8');
    buf.writeUInt32LE(tlen, o);
    o += 4 + tlen;
    buf.writeDoubleLE(e.receivedAt, o);
    buf.writeUInt32LE(e.payload.byteLength, o + 8);
    o += 12;
    buf.set(e.payload, o);
    o += e.payload.byteLength;
  }
  return buf.buffer;
}

export function unpackAppends(ab: ArrayBuffer): AppendRecord[] {
  const buf = Buffer.from(ab);
  const out: AppendRecord[] = [];
  let o = 0;
  while (o < buf.length) {
    const tlen = buf.readUInt32LE(o);
    const tenant = buf.toString('utf8', o + 4, o + 4 + tlen);
    o += 4 + tlen;
    const receivedAt = buf.readDoubleLE(o);
    const plen = buf.readUInt32LE(o + 8);
    o += 12;
    out.push({ tenant, receivedAt, payload: buf.subarray(o, o + plen) });
    o += plen;
  }
  return out;
}

/** Row record: f64 seq, f64 receivedAt, f64 attempts, f64 nextAttemptAt, u32 payload length, payload. */
export function packRows(rows: readonly EventRow[]): ArrayBuffer {
  let size = 0;
  for (const r of rows) size += 36 + r.payload.byteLength;
  const buf = Buffer.allocUnsafeSlow(size);
  let o = 0;
  for (const r of rows) {
    buf.writeDoubleLE(r.seq, o);
    buf.writeDoubleLE(r.received_at, o + 8);
    buf.writeDoubleLE(r.attempts, o + 16);
    buf.writeDoubleLE(r.next_attempt_at, o + 24);
    buf.writeUInt32LE(r.payload.byteLength, o + 32);
    o += 36;
    buf.set(r.payload, o);
    o += r.payload.byteLength;
  }
  return buf.buffer;
}

export interface UnpackedRow {
  seq: number;
  receivedAt: number;
  attempts: number;
  nextAttemptAt: number;
  payload: Buffer;
}

export function unpackRows(ab: ArrayBuffer): UnpackedRow[] {
  const buf = Buffer.from(ab);
  const out: UnpackedRow[] = [];
  let o = 0;
  while (o < buf.length) {
    const plen = buf.readUInt32LE(o + 32);
    out.push({
      seq: buf.readDoubleLE(o),
      receivedAt: buf.readDoubleLE(o + 8),
      attempts: buf.readDoubleLE(o + 16),
      nextAttemptAt: buf.readDoubleLE(o + 24),
      payload: buf.subarray(o + 36, o + 36 + plen),
    });
    o += 36 + plen;
  }
  return out;
}
