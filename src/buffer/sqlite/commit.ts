// What one commit carries besides new chunks: acknowledgements, retry marks and dead letters, gathered from
// leases between commits, then turned into row deletes and rewrites. Nothing changes in memory until the
// commit succeeded (Settled.done); a failed commit leaves every lease as it was, for the lanes to retry.
import { decodeLine } from '../lines.js';
import type { Rejection } from '../types.js';
import { GONE, type Chunk } from './chunks.js';
import { Deferred } from './deferred.js';
import { lineAt, liveLines, type ChunkLease } from './lease.js';
import type { ChunkRow, DeadLetterRecord } from './statements.js';

export interface Rewrite {
  readonly chunk: Chunk;
  /** Lines that go (indexes into the chunk's cached layout). */
  readonly gone: number[];
  /** The remainder's new row and bytes. */
  readonly row: ChunkRow;
  readonly lines: Buffer;
}

export interface Settled {
  readonly deletes: Chunk[];
  readonly rewrites: Rewrite[];
  readonly retries: { chunk: Chunk; attempts: number; notBefore: number }[];
  readonly deadLetters: DeadLetterRecord[];
  /** Dead letters (by seq) that leave the table in this commit (replayed: their events are appended to it). */
  readonly letterDeletes: number[];
  /** After the commit: the leases drop what left them. */
  done(): void;
}

export class Commit {
  #appends: Deferred | undefined;
  #settles: Deferred | undefined;
  readonly #wholeChunks = new Set<Chunk>();
  readonly #lines = new Map<Chunk, Set<number>>();
  readonly #retries = new Map<Chunk, { attempts: number; notBefore: number }>();
  readonly #deadLetters: DeadLetterRecord[] = [];
  readonly #leases = new Set<ChunkLease>();
  readonly #letterDeletes: number[] = [];

  get empty(): boolean {
    return !this.#appends && !this.#settles && this.#letterDeletes.length === 0;
  }

  /**
   * Replay: these dead letters leave the table in the commit that stores their events again (appended in the
   * same turn), so a crash can neither lose nor duplicate one.
   */
  dropLetters(seqs: readonly number[]): void {
    for (const seq of seqs) this.#letterDeletes.push(seq);
  }

  /** True when this commit changes the chunk (its object must stay the one in the directory until then). */
  holds(c: Chunk): boolean {
    return this.#wholeChunks.has(c) || this.#lines.has(c) || this.#retries.has(c);
  }

  /** The promise every append of this commit shares. */
  appendTurn(): Promise<void> {
    return (this.#appends ??= new Deferred()).promise;
  }

  #settle(lease: ChunkLease): Promise<void> {
    this.#leases.add(lease);
    return (this.#settles ??= new Deferred()).promise;
  }

  /** Delivered: every live line of the lease goes. */
  removeAll(lease: ChunkLease): Promise<void> {
    for (const p of lease.parts) {
      if (p.whole) this.#wholeChunks.add(p.chunk);
      else for (const i of liveLines(p)) this.#line(p.chunk, i);
    }
    return this.#settle(lease);
  }

  /** The named lines of the lease go; with `rejections`, each one is written to the dead letters. */
  removeIds(
    lease: ChunkLease,
    ids: readonly string[],
    rejections?: ReadonlyMap<string, Rejection>,
  ): Promise<void> {
    const byId = lease.linesById();
    const failedAt = Date.now();
    for (const id of ids) {
      const at = byId.get(id);
      if (!at || this.#lines.get(at.chunk)?.has(at.line)) continue;
      this.#line(at.chunk, at.line);
      const r = rejections?.get(id);
      if (!r) continue;
      const e = decodeLine(lineAt(at.chunk, at.line));
      this.#deadLetters.push({
        seq: e.seq,
        tenant: e.tenant,
        receivedAt: e.receivedAt,
        attempts: at.chunk.attempts + 1,
        failedAt,
        status: r.status,
        reason: r.reason,
        // Its own copy: a view into the chunk would make the worker message clone the whole chunk.
        payload: new Uint8Array(e.payload),
      });
    }
    return this.#settle(lease);
  }

  /** A chunk that cannot be read goes whole, with the one dead letter that stands for its events. */
  dropUnreadable(chunk: Chunk, letter: DeadLetterRecord): Promise<void> {
    this.#wholeChunks.add(chunk);
    this.#deadLetters.push(letter);
    return (this.#settles ??= new Deferred()).promise;
  }

  retry(lease: ChunkLease, notBefore: number): Promise<void> {
    // Retry state is per chunk, and another lease may hold part of the same chunk: never lower what an earlier
    // retry of either recorded.
    for (const p of lease.parts) {
      const c = p.chunk;
      const prev = this.#retries.get(c);
      this.#retries.set(c, {
        attempts: Math.max(c.attempts, lease.attempts, prev?.attempts ?? 0) + (prev ? 0 : 1),
        notBefore: Math.max(c.notBefore, notBefore, prev?.notBefore ?? 0),
      });
    }
    return this.#settle(lease);
  }

  #line(c: Chunk, i: number): void {
    let set = this.#lines.get(c);
    if (!set) this.#lines.set(c, (set = new Set()));
    set.add(i);
  }

  /** Turns the gathered changes into row operations, reading the chunks as they are now. */
  build(): Settled {
    const deletes = new Set<Chunk>();
    for (const c of this.#wholeChunks) if (c.count > 0) deletes.add(c);
    const rewrites: Rewrite[] = [];
    for (const [c, set] of this.#lines) {
      if (deletes.has(c) || c.count === 0) continue;
      const keep: number[] = [];
      const state = c.state!;
      for (let i = 0; i < state.length; i++) if (state[i] !== GONE && !set.has(i)) keep.push(i);
      if (keep.length === 0) {
        deletes.add(c);
        continue;
      }
      const lines = Buffer.concat(keep.map((i) => lineAt(c, i)));
      const first = decodeLine(lineAt(c, keep[0]!));
      rewrites.push({
        chunk: c,
        gone: [...set],
        lines,
        row: {
          id: c.id,
          tenant: c.tenant,
          firstSeq: first.seq,
          count: keep.length,
          bytes: lines.length,
          firstReceivedAt: first.receivedAt,
          attempts: c.attempts,
          notBefore: c.notBefore,
        },
      });
    }
    const retries = [...this.#retries]
      .filter(([c]) => !deletes.has(c) && c.count > 0)
      .map(([chunk, r]) => ({ chunk, ...r }));
    const leases = this.#leases;
    return {
      deletes: [...deletes],
      rewrites,
      retries,
      deadLetters: this.#deadLetters,
      letterDeletes: this.#letterDeletes,
      done: () => {
        for (const l of leases) l.refresh();
      },
    };
  }

  resolve(): void {
    this.#appends?.resolve();
    this.#settles?.resolve();
  }

  reject(err: unknown): void {
    this.#appends?.reject(err);
    this.#settles?.reject(err);
  }
}
