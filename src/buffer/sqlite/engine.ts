// The synchronous SQLite engine: schema, one write transaction per commit, chunk loads, dead letters and file
// maintenance. It runs on the buffer's worker thread, so fsyncs and checkpoints never block ingest. It keeps
// no counts of its own: the main thread's chunk directory is the one owner of those.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPlain, type BufferKey, type RecordCipher, type RecordContext } from './crypto.js';
import { openKeyring } from './keyring.js';
import { Maintenance, type MaintenanceListener } from './maintenance.js';
import { migrate } from './migrations.js';
import { prepareStatements, type ChunkRow, type DeadLetterRecord, type Statements } from './statements.js';

export const DB_FILE = 'logdriver.db';

export interface EngineOptions {
  dataDir: string;
  synchronous: 'full' | 'normal' | 'off' | 'extra';
  walMaxBytes: number;
  autoVacuum: 'incremental' | 'none';
  /** buffer.encryption: the first key encrypts new records, every key decrypts; none: clear text. */
  keys?: readonly BufferKey[];
}

/** Bytes of several chunks packed into one buffer: chunk i is bytes [at[i], at[i] + len[i]). */
export interface Packed {
  data: ArrayBuffer | SharedArrayBuffer;
  at: number[];
  len: number[];
  /** From load(): chunks whose bytes failed authentication (they come back empty), with why. */
  unreadable?: { id: number; reason: string }[];
}

/**
 * Directory rows in columns, for the message to the worker: a structured clone of an object per row cost
 * ~3–4 µs a row on each thread (a flood of tenant ids makes a chunk per event), the columns ~0.4 µs.
 */
export interface PackedRows {
  readonly tenants: string[];
  /** ROW_FIELDS numbers per row: id, firstSeq, count, bytes, firstReceivedAt, attempts, notBefore. */
  readonly numbers: Float64Array;
}

const ROW_FIELDS = 7;

export function packRows(rows: readonly ChunkRow[]): PackedRows {
  const numbers = new Float64Array(rows.length * ROW_FIELDS);
  const tenants: string[] = [];
  rows.forEach((r, i) => {
    const o = i * ROW_FIELDS;
    tenants.push(r.tenant);
    numbers[o] = r.id;
    numbers[o + 1] = r.firstSeq;
    numbers[o + 2] = r.count;
    numbers[o + 3] = r.bytes;
    numbers[o + 4] = r.firstReceivedAt;
    numbers[o + 5] = r.attempts;
    numbers[o + 6] = r.notBefore;
  });
  return { tenants, numbers };
}

/** Row `i` of packed rows. */
export function rowAt(p: PackedRows, i: number): ChunkRow {
  const n = p.numbers;
  const o = i * ROW_FIELDS;
  return {
    id: n[o]!,
    tenant: p.tenants[i]!,
    firstSeq: n[o + 1]!,
    count: n[o + 2]!,
    bytes: n[o + 3]!,
    firstReceivedAt: n[o + 4]!,
    attempts: n[o + 5]!,
    notBefore: n[o + 6]!,
  };
}

/** Everything one commit writes, in one transaction (one fsync). */
export interface CommitOps {
  inserts: PackedRows;
  /** Chunks whose remainder changed: their new directory row and bytes. */
  rewrites: ChunkRow[];
  /** Lines of `inserts`, then of `rewrites`, in that order. */
  lines: Packed;
  deletes: number[];
  retries: { id: number; attempts: number; notBefore: number }[];
  deadLetters: DeadLetterRecord[];
  /** Dead letters (by seq) that leave the table: replayed letters go in the commit that stores them again. */
  deadLetterDeletes?: number[];
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
  readonly #cipher: RecordCipher | undefined;
  /** Set when the open found something worth a warning (see Keyring.warning). */
  readonly keyWarning: string | undefined;

  constructor(opts: EngineOptions, onMaintenance?: MaintenanceListener) {
    this.db = openDatabase(opts.dataDir, opts);
    this.path = join(opts.dataDir, DB_FILE);
    this.#st = prepareStatements(this.db);
    try {
      // Before anything is written: a wrong or missing key fails the open and leaves the file as it was.
      const keyring = openKeyring(this.db, this.#st.meta.get('buffer_id')!.value, opts.keys);
      this.#cipher = keyring.cipher;
      this.keyWarning = keyring.warning;
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.#maintenance = new Maintenance(this.db, this.path, opts.walMaxBytes, onMaintenance);
  }

  /** The cipher of the configured keys (undefined: records are written in clear text). */
  get cipher(): RecordCipher | undefined {
    return this.#cipher;
  }

  /** The bytes to store for a record, and the key id they are encrypted with (null: clear text). */
  seal(plain: Uint8Array, ctx: RecordContext): [Uint8Array, string | null] {
    if (!this.#cipher) return [plain, null];
    return [this.#cipher.seal(plain, ctx), this.#cipher.keyId];
  }

  /**
   * A stored record's plain bytes, given the key id its row holds (null: clear text); throws RecordError when
   * it does not authenticate or its key is missing.
   */
  open(stored: Uint8Array, ctx: RecordContext, storedKeyId: string | null): Buffer {
    return this.#cipher ? this.#cipher.open(stored, ctx, storedKeyId) : openPlain(stored, storedKeyId);
  }

  /** The chunk directory and ids: all a start needs (no chunk bytes are read). */
  snapshot(): Snapshot {
    return { ...this.counters(), chunks: this.#st.directory.all() };
  }

  /** The snapshot without its chunk rows (read those one at a time with directory()). */
  counters(): Omit<Snapshot, 'chunks'> {
    return {
      bufferId: this.#st.meta.get('buffer_id')!.value,
      nextSeq: Number(this.#st.meta.get('next_seq')!.value),
      nextChunkId: Number(this.#st.meta.get('next_chunk')!.value),
      deadLetters: this.#st.deadLetterCount.get()!.n,
    };
  }

  /** The chunk directory in id order, one row at a time. */
  directory(): IterableIterator<ChunkRow> {
    return this.#st.directory.iterate();
  }

  /** Writes one commit's inserts, rewrites, deletes, retry marks and dead letters in one transaction. */
  commit(ops: CommitOps): number {
    const started = process.hrtime.bigint();
    const st = this.#st;
    const data = Buffer.from(ops.lines.data);
    const bytesOf = (i: number) => data.subarray(ops.lines.at[i], ops.lines.at[i]! + ops.lines.len[i]!);
    this.db.transaction(() => {
      let i = 0;
      for (let r = 0; r < ops.inserts.tenants.length; r++) {
        const c = rowAt(ops.inserts, r);
        const [lines, keyId] = this.seal(bytesOf(i++), { kind: 'chunk', id: c.id, tenant: c.tenant });
        st.insertChunk.run(
          c.id,
          c.tenant,
          c.firstSeq,
          c.count,
          c.bytes,
          c.firstReceivedAt,
          c.attempts,
          c.notBefore,
          keyId,
        );
        st.insertLines.run(c.id, lines);
      }
      for (const c of ops.rewrites) {
        // A remainder is sealed afresh (new nonce, the current key), like a new record of the same row.
        const [lines, keyId] = this.seal(bytesOf(i++), { kind: 'chunk', id: c.id, tenant: c.tenant });
        st.rewriteChunk.run(c.firstSeq, c.count, c.bytes, c.firstReceivedAt, keyId, c.id);
        st.rewriteLines.run(lines, c.id);
      }
      for (const d of ops.deadLetters) {
        const [payload, keyId] = this.seal(d.payload, { kind: 'dead_letter', seq: d.seq, tenant: d.tenant });
        st.insertDeadLetter.run(
          d.seq,
          d.tenant,
          d.receivedAt,
          d.attempts,
          d.failedAt,
          d.status,
          d.reason,
          payload,
          keyId,
        );
      }
      for (const id of ops.deletes) {
        st.deleteChunk.run(id);
        st.deleteLines.run(id);
      }
      for (const r of ops.retries) st.retryChunk.run(r.attempts, r.notBefore, r.id);
      for (const seq of ops.deadLetterDeletes ?? []) st.deleteDeadLetter.run(seq);
      if (ops.nextSeq !== undefined) st.setMeta.run(String(ops.nextSeq), 'next_seq');
      if (ops.nextChunkId !== undefined) st.setMeta.run(String(ops.nextChunkId), 'next_chunk');
    })();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#maintenance.afterWrite();
    return seconds;
  }

  /**
   * The plain bytes of these chunks, packed (a chunk deleted meanwhile comes back empty). Decryption runs
   * here, on the worker. A chunk that fails authentication comes back empty and is named in `unreadable`:
   * the buffer dead-letters it and its tenant's other chunks go on.
   */
  load(ids: readonly number[]): Packed {
    const unreadable: { id: number; reason: string }[] = [];
    const parts = ids.map((id) => {
      const row = this.#st.linesOf.get(id);
      if (!row) return Buffer.alloc(0);
      try {
        return this.open(row.lines, { kind: 'chunk', id, tenant: row.tenant }, row.keyId);
      } catch (err) {
        unreadable.push({ id, reason: (err as Error).message });
        return Buffer.alloc(0);
      }
    });
    const packed = pack(parts);
    if (unreadable.length > 0) packed.unreadable = unreadable;
    return packed;
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
