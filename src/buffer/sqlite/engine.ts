// The synchronous SQLite engine: schema, one write transaction per commit, chunk loads, dead letters and file
// maintenance. It runs on the buffer's worker thread, so fsyncs and checkpoints never block ingest. It keeps
// no counts of its own: the main thread's chunk directory is the one owner of those.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Maintenance, type MaintenanceListener } from './maintenance.js';
import { migrate } from './migrations.js';
import { prepareStatements, type ChunkRow, type DeadLetterRecord, type Statements } from './statements.js';

export const DB_FILE = 'logdriver.db';

export interface EngineOptions {
  dataDir: string;
  synchronous: 'full' | 'normal' | 'off' | 'extra';
  walMaxBytes: number;
  autoVacuum: 'incremental' | 'none';
}

/** Bytes of several chunks packed into one buffer: chunk i is bytes [at[i], at[i] + len[i]). */
export interface Packed {
  data: ArrayBuffer | SharedArrayBuffer;
  at: number[];
  len: number[];
}

/** Everything one commit writes, in one transaction (one fsync). */
export interface CommitOps {
  inserts: ChunkRow[];
  /** Chunks whose remainder changed: their new directory row and bytes. */
  rewrites: ChunkRow[];
  /** Lines of `inserts`, then of `rewrites`, in that order. */
  lines: Packed;
  deletes: number[];
  retries: { id: number; attempts: number; notBefore: number }[];
  deadLetters: DeadLetterRecord[];
  /** Written when set: the next seq and chunk id, so ids are never reused after a restart. */
  nextSeq?: number;
  nextChunkId?: number;
}

export interface Snapshot {
  bufferId: string;
  nextSeq: number;
  nextChunkId: number;
  deadLetters: number;
  chunks: ChunkRow[];
}

export function openDatabase(
  dataDir: string,
  opts: Pick<EngineOptions, 'synchronous' | 'walMaxBytes' | 'autoVacuum'>,
) {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DB_FILE));
  // auto_vacuum only takes effect before the first table exists; on an existing file it is a no-op.
  // Chunks are blobs of tens to hundreds of KiB: 16 KiB pages quarter the overflow pages and WAL frames
  // per chunk (measured: docs/BENCHMARKS.md). Like auto_vacuum, it only applies to a new file.
  db.pragma('page_size = 16384');
  db.pragma(`auto_vacuum = ${opts.autoVacuum === 'incremental' ? 'INCREMENTAL' : 'NONE'}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous.toUpperCase()}`);
  // Checkpoints are run by Maintenance after writes, not inside whichever commit crosses the threshold.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${opts.walMaxBytes}`);
  db.pragma('temp_store = MEMORY');
  // Chunks are cached on the main thread; SQLite's own cache only needs the directory's pages and b-trees.
  db.pragma('cache_size = -4096');
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export class SqliteEngine {
  readonly db: Database.Database;
  readonly path: string;
  readonly #st: Statements;
  readonly #maintenance: Maintenance;

  constructor(opts: EngineOptions, onMaintenance?: MaintenanceListener) {
    this.db = openDatabase(opts.dataDir, opts);
    this.path = join(opts.dataDir, DB_FILE);
    this.#st = prepareStatements(this.db);
    this.#maintenance = new Maintenance(this.db, this.path, opts.walMaxBytes, onMaintenance);
  }

  /** The chunk directory and ids: all a start needs (no chunk bytes are read). */
  snapshot(): Snapshot {
    return {
      bufferId: this.#st.meta.get('buffer_id')!.value,
      nextSeq: Number(this.#st.meta.get('next_seq')!.value),
      nextChunkId: Number(this.#st.meta.get('next_chunk')!.value),
      deadLetters: this.#st.deadLetterCount.get()!.n,
      chunks: this.#st.directory.all(),
    };
  }

  /** Writes one commit's inserts, rewrites, deletes, retry marks and dead letters in one transaction. */
  commit(ops: CommitOps): number {
    const started = process.hrtime.bigint();
    const st = this.#st;
    const data = Buffer.from(ops.lines.data);
    const bytesOf = (i: number) => data.subarray(ops.lines.at[i], ops.lines.at[i]! + ops.lines.len[i]!);
    this.db.transaction(() => {
      let i = 0;
      for (const c of ops.inserts) {
        st.insertChunk.run(
          c.id,
          c.tenant,
          c.firstSeq,
          c.count,
          c.bytes,
          c.firstReceivedAt,
          c.attempts,
          c.notBefore,
        );
        st.insertLines.run(c.id, bytesOf(i++));
      }
      for (const c of ops.rewrites) {
        st.rewriteChunk.run(c.firstSeq, c.count, c.bytes, c.firstReceivedAt, c.id);
        st.rewriteLines.run(bytesOf(i++), c.id);
      }
      for (const d of ops.deadLetters)
        st.insertDeadLetter.run(
          d.seq,
          d.tenant,
          d.receivedAt,
          d.attempts,
          d.failedAt,
          d.status,
          d.reason,
          d.payload,
        );
      for (const id of ops.deletes) {
        st.deleteChunk.run(id);
        st.deleteLines.run(id);
      }
      for (const r of ops.retries) st.retryChunk.run(r.attempts, r.notBefore, r.id);
      if (ops.nextSeq !== undefined) st.setMeta.run(String(ops.nextSeq), 'next_seq');
      if (ops.nextChunkId !== undefined) st.setMeta.run(String(ops.nextChunkId), 'next_chunk');
    })();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#maintenance.afterWrite();
    return seconds;
  }

  /** The bytes of these chunks, packed (a chunk deleted meanwhile comes back empty). */
  load(ids: readonly number[]): Packed {
    const parts = ids.map((id) => this.#st.lines.get(id)?.lines ?? Buffer.alloc(0));
    return pack(parts);
  }

  /** On a full disk: gives space back in steps small enough to fit what is left (see Maintenance.relieve). */
  relieve(): number {
    return this.#maintenance.relieve();
  }

  vacuumStep(): number {
    return this.#maintenance.vacuumStep();
  }

  close(): void {
    this.#maintenance.close();
    this.db.pragma('optimize');
    this.db.close();
  }
}

/**
 * Packs buffers into one buffer: `into` when it is large enough (a SharedArrayBuffer the caller reuses), else
 * a new ArrayBuffer of its own (transferable: one copy, no per-chunk clone).
 */
export function pack(parts: readonly Uint8Array[], into?: SharedArrayBuffer): Packed {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const data = into && into.byteLength >= total ? into : new ArrayBuffer(total);
  const view = new Uint8Array(data);
  const at: number[] = [];
  const len: number[] = [];
  let o = 0;
  for (const p of parts) {
    view.set(p, o);
    at.push(o);
    len.push(p.byteLength);
    o += p.byteLength;
  }
  return { data, at, len };
}

/** The parts of a packed buffer, as Buffers over it (no copy). */
export function unpack(p: Packed): Buffer[] {
  return p.at.map((at, i) => Buffer.from(p.data, at, p.len[i]));
}
