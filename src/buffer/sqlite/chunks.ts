// Chunks: a tenant's events stored together as one run of envelope lines (one SQLite row each). This file
// holds the in-memory side: the open chunk ingest writes into, a sealed chunk with its per-line state, and
// each tenant's queue of chunks in order (the chunk directory).
import { lineBytes, lineHead, lineOffsets, writeLine, singleLinePayload } from '../lines.js';
import type { ChunkRow } from './statements.js';

/** Per-line state of a chunk that was split: free, in a lease, or gone (acknowledged or dead-lettered). */
export const FREE = 0;
export const LEASED = 1;
export const GONE = 2;

/**
 * A chunk as the directory knows it: its row (firstSeq, count, bytes and firstReceivedAt describe the live
 * events only; ids of later lines are read from the lines), and `lines`, its bytes while cached, undefined
 * when only on disk.
 */
export interface Chunk extends ChunkRow {
  readonly id: number;
  readonly tenant: string;
  lines: Buffer | undefined;
  /**
   * Unsplit chunk (state undefined): every line of `lines` is live, and all of them are leased or none.
   * Split chunk: `offsets` and one state byte per line of `lines`. A chunk is only split while cached.
   */
  leasedWhole: boolean;
  offsets: Uint32Array | undefined;
  state: Uint8Array | undefined;
  /** Leases holding it: a pinned chunk keeps its lines in memory (their layout is what leases point into). */
  pins: number;
}

/**
 * Every field written in one order, so all chunks share one hidden class. A spread of the row (`{ ...row }`)
 * gave each chunk a hidden class of its own (~450 bytes more per chunk, measured in a heap snapshot of a
 * 100,000-tenant restart): too much when a flood of tenant ids makes one chunk per tenant.
 */
export function newChunk(row: ChunkRow, lines?: Buffer): Chunk {
  return {
    id: row.id,
    tenant: row.tenant,
    firstSeq: row.firstSeq,
    count: row.count,
    bytes: row.bytes,
    firstReceivedAt: row.firstReceivedAt,
    attempts: row.attempts,
    notBefore: row.notBefore,
    lines,
    leasedWhole: false,
    offsets: undefined,
    state: undefined,
    pins: 0,
  };
}

/** Events of the chunk that no lease holds. */
export function freeCount(c: Chunk): number {
  if (!c.state) return c.leasedWhole ? 0 : c.count;
  let n = 0;
  for (const s of c.state) if (s === FREE) n++;
  return n;
}

/** Turns an unsplit cached chunk into a split one (offsets and per-line state). */
export function split(c: Chunk): void {
  if (c.state) return;
  if (!c.lines) throw new Error(`chunk ${c.id} must be loaded before it is split`);
  c.offsets = lineOffsets(c.lines);
  c.state = new Uint8Array(c.offsets.length - 1).fill(c.leasedWhole ? LEASED : FREE);
  c.leasedWhole = false;
}

/** A tenant's chunks in order, with its totals (the backend's one copy of its counts). */
export class TenantQueue {
  readonly tenant: string;
  /** Made with its first chunk: an empty array's first push reserves room for 17 (~150 bytes per tenant). */
  readonly chunks: Chunk[];
  events = 0;
  bytes = 0;
  constructor(first: Chunk) {
    this.tenant = first.tenant;
    this.chunks = [first];
  }

  remove(c: Chunk): void {
    const i = this.chunks[0] === c ? 0 : this.chunks.indexOf(c);
    if (i === 0) this.chunks.shift();
    else if (i > 0) this.chunks.splice(i, 1);
  }
}

const EMPTY = Buffer.alloc(0);

/** A chunk being written by ingest before its commit: lines appended into a growing buffer. */
export class OpenChunk {
  readonly tenant: string;
  readonly #tenantJson: string;
  readonly #initial: number;
  #buf: Buffer;
  #length = 0;
  count = 0;
  firstSeq = 0;
  firstReceivedAt = 0;

  /** `initialBytes` is a floor: the first line gets a buffer of its own size when larger. */
  constructor(tenant: string, initialBytes: number) {
    this.tenant = tenant;
    this.#tenantJson = JSON.stringify(tenant);
    this.#initial = initialBytes;
    this.#buf = EMPTY;
  }

  get bytes(): number {
    return this.#length;
  }

  /** Writes one event's line; returns the bytes it added. */
  add(prefix: string, seq: number, receivedAt: number, payload: Buffer): number {
    const head = lineHead(prefix + seq, this.#tenantJson, receivedAt);
    const body = singleLinePayload(payload);
    const size = lineBytes(head, body);
    if (this.#length + size > this.#buf.length) {
      // The first line sizes the buffer: a chunk of one event (a flood of tenant ids) then carries no slack
      // and is sealed without a copy; later lines double it.
      const want = this.#buf.length === 0 ? Math.max(size, this.#initial) : this.#buf.length * 2;
      const grown = Buffer.allocUnsafeSlow(Math.max(want, this.#length + size));
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    this.#length = writeLine(this.#buf, this.#length, head, body);
    if (this.count++ === 0) {
      this.firstSeq = seq;
      this.firstReceivedAt = receivedAt;
    }
    return size;
  }

  /** The lines written so far, in a buffer of their own (no slack kept beyond a quarter). */
  seal(): Buffer {
    const used = this.#buf.subarray(0, this.#length);
    if (this.#buf.length - this.#length <= this.#length / 4) return used;
    // A buffer of its own, not a slice of Node's shared pool (a small cached chunk would pin a whole slab).
    const exact = Buffer.allocUnsafeSlow(this.#length);
    used.copy(exact);
    return exact;
  }
}
