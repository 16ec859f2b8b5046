// A lease of chunked events: runs of lines of one or more chunks of a tenant, in order. It points into the
// chunks' cached bytes (pinned while leased), so sending it copies nothing when it is one whole chunk.
import { decodeLine, decodeLines, lineId } from '../lines.js';
import type { Lease, StoredEvent } from '../types.js';
import { GONE, LEASED, split, type Chunk } from './chunks.js';

/** A run of lines of one chunk: the whole unsplit chunk (`whole`), or lines [from, to) of a split one. */
export interface Part {
  readonly chunk: Chunk;
  whole: boolean;
  from: number;
  to: number;
}

export class ChunkLease implements Lease {
  readonly tenant: string;
  readonly owner: object;
  parts: Part[];
  count = 0;
  bytes = 0;
  attempts = 0;
  notBefore = 0;
  oldestReceivedAt = 0;
  more = false;
  #ndjson: Buffer | undefined;
  #events: readonly StoredEvent[] | undefined;

  constructor(owner: object, tenant: string, parts: Part[]) {
    this.owner = owner;
    this.tenant = tenant;
    this.parts = parts;
    for (const p of parts) p.chunk.pins++;
    this.refresh();
  }

  /** Recomputes the figures after a settle; drops (and unpins) parts with nothing left. */
  refresh(): void {
    this.#ndjson = undefined;
    this.#events = undefined;
    const kept: Part[] = [];
    let count = 0;
    let bytes = 0;
    let attempts = 0;
    let notBefore = 0;
    for (const p of this.parts) {
      const c = p.chunk;
      let n: number;
      let b: number;
      // A deleted chunk has count 0 (its lines are not marked one by one).
      if (p.whole || c.count === 0) {
        n = c.count;
        b = c.bytes;
      } else {
        [n, b] = liveIn(p);
      }
      if (n === 0) {
        c.pins--;
        continue;
      }
      kept.push(p);
      count += n;
      bytes += b;
      attempts = Math.max(attempts, c.attempts);
      notBefore = Math.max(notBefore, c.notBefore);
    }
    this.parts = kept;
    this.count = count;
    this.bytes = bytes;
    this.attempts = attempts;
    this.notBefore = notBefore;
    const first = kept[0];
    if (!first) this.oldestReceivedAt = 0;
    else if (first.whole) this.oldestReceivedAt = first.chunk.firstReceivedAt;
    else this.oldestReceivedAt = decodeLine(lineAt(first.chunk, firstLive(first))).receivedAt;
  }

  ndjson(): Buffer {
    if (this.#ndjson) return this.#ndjson;
    const only = this.parts.length === 1 ? this.parts[0]! : undefined;
    if (only?.whole) return (this.#ndjson = only.chunk.lines!);
    const pieces: Buffer[] = [];
    for (const p of this.parts) {
      if (p.whole) pieces.push(p.chunk.lines!);
      else for (const i of liveLines(p)) pieces.push(lineAt(p.chunk, i));
    }
    return (this.#ndjson = Buffer.concat(pieces, this.bytes));
  }

  events(): readonly StoredEvent[] {
    return (this.#events ??= decodeLines(this.ndjson()));
  }

  /**
   * The lease's live lines by id: every part made a run of a split chunk (so single lines can be marked).
   * Only partial outcomes need this; a whole-chunk ack never does.
   */
  linesById(): Map<string, { chunk: Chunk; line: number }> {
    const out = new Map<string, { chunk: Chunk; line: number }>();
    for (const p of this.parts) {
      if (p.whole) {
        split(p.chunk);
        p.whole = false;
        p.from = 0;
        p.to = p.chunk.state!.length;
      }
      for (const i of liveLines(p))
        out.set(lineId(p.chunk.lines!, p.chunk.offsets![i]!), { chunk: p.chunk, line: i });
    }
    return out;
  }

  /** Ends the lease: no part is held any more (release or a settle that left nothing). */
  drop(): void {
    for (const p of this.parts) p.chunk.pins--;
    this.parts = [];
    this.refresh();
  }
}

/** Indexes of the part's lines still in the lease (state LEASED: the others in its range are gone). */
export function* liveLines(p: Part): Generator<number> {
  const s = p.chunk.state!;
  for (let i = p.from; i < p.to; i++) if (s[i] === LEASED) yield i;
}

function liveIn(p: Part): [number, number] {
  const { state, offsets } = p.chunk;
  let n = 0;
  let b = 0;
  for (let i = p.from; i < p.to; i++)
    if (state![i] !== GONE) {
      n++;
      b += offsets![i + 1]! - offsets![i]!;
    }
  return [n, b];
}

function firstLive(p: Part): number {
  for (const i of liveLines(p)) return i;
  return p.from;
}

export function lineAt(c: Chunk, i: number): Buffer {
  return c.lines!.subarray(c.offsets![i], c.offsets![i + 1]);
}
