// Keeps the files in check: checkpoints the WAL once it passes its cap (autocheckpoint is off, so this is
// the only checkpointer) and, with auto_vacuum=INCREMENTAL, returns freed pages to the filesystem.
import type { Database } from 'better-sqlite3';
import { statSync } from 'node:fs';

/** Told about each checkpoint (the worker forwards it to telemetry on the main thread). */
export type MaintenanceEvent =
  | { kind: 'checkpoint'; walBytesBefore: number; seconds: number }
  | { kind: 'error'; task: 'checkpoint' | 'vacuum'; message: string };
export type MaintenanceListener = (event: MaintenanceEvent) => void;

const VACUUM_INTERVAL_MS = 2_000;
/**
 * Bytes returned per vacuum step: half the free space, between these bounds, so a drained 1 GB file shrinks
 * within a minute while one step (which may move live pages, and is checkpointed at once) never holds the
 * writer for long. In bytes, not pages: at 16 KiB pages a 16,384-page step moved 256 MiB and held the writer
 * for about a second of every two while a backlog drained.
 */
const VACUUM_STEP_MIN_BYTES = 16 * 1024 * 1024;
const VACUUM_STEP_MAX_BYTES = 64 * 1024 * 1024;
/** Free pages are kept while they are under this share of the file (inserts will reuse them). */
const VACUUM_FREE_SHARE = 0.25;
const VACUUM_MIN_FREE_PAGES = 256;
/** On a full disk: pages per vacuum step (a step's WAL frames must fit the space left) and time per call. */
const RELIEVE_STEP_PAGES = 32;
const RELIEVE_BUDGET_MS = 200;

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export class Maintenance {
  readonly #db: Database;
  readonly #dbPath: string;
  readonly #walPath: string;
  readonly #walMaxBytes: number;
  readonly #listener: MaintenanceListener | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  /** Free pages at the last timed step, to tell a draining buffer from one at rest. */
  #lastFree = 0;

  constructor(db: Database, dbPath: string, walMaxBytes: number, listener?: MaintenanceListener) {
    this.#db = db;
    this.#dbPath = dbPath;
    this.#walPath = `${dbPath}-wal`;
    this.#walMaxBytes = walMaxBytes;
    this.#listener = listener;
    const incremental = (db.pragma('auto_vacuum', { simple: true }) as number) === 2;
    if (incremental) {
      this.#timer = setInterval(() => {
        try {
          this.timedStep();
        } catch (err) {
          this.#listener?.({ kind: 'error', task: 'vacuum', message: (err as Error).message });
        }
      }, VACUUM_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  /**
   * Called after every write transaction: checkpoint once the WAL passed its cap. TRUNCATE (we are the only
   * connection, so no reader can hold it up) empties the file, so its size keeps measuring what is in it.
   */
  afterWrite(): void {
    const wal = sizeOf(this.#walPath);
    if (wal < this.#walMaxBytes) return;
    // The transaction before this already committed: a failed checkpoint (disk full) is reported, not thrown,
    // so the commit is not mistaken for a failed one. The next write tries again.
    try {
      this.checkpoint('TRUNCATE');
    } catch (err) {
      this.#listener?.({ kind: 'error', task: 'checkpoint', message: (err as Error).message });
    }
  }

  checkpoint(mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): void {
    const before = sizeOf(this.#walPath);
    const started = process.hrtime.bigint();
    this.#db.pragma(`wal_checkpoint(${mode})`);
    this.#listener?.({
      kind: 'checkpoint',
      walBytesBefore: before,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
  }

  /**
   * The timer's step (public for tests): skipped while deliveries freed more than a minimum step's worth
   * of pages since the last tick. A vacuum moves live pages from the end of the file into free ones, and
   * while a backlog drains those pages mostly hold chunks about to be deleted: the moves (and their
   * checkpoint) only stall the reads the drain waits for. The file does not grow meanwhile, and shrinks once
   * the drain slows or ends. (The first tick after a start may count old free pages as a drain: one tick
   * later, the step runs.)
   */
  timedStep(): number {
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const draining = free - this.#lastFree >= this.#pagesOf(VACUUM_STEP_MIN_BYTES);
    this.#lastFree = free;
    if (draining) return 0;
    const freed = this.vacuumStep();
    this.#lastFree -= freed;
    return freed;
  }

  #pagesOf(bytes: number): number {
    return Math.ceil(bytes / (this.#db.pragma('page_size', { simple: true }) as number));
  }

  /** Returns free pages to the OS once they are a large share of the file; returns pages freed. */
  vacuumStep(): number {
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const total = this.#db.pragma('page_count', { simple: true }) as number;
    if (free < VACUUM_MIN_FREE_PAGES || free < total * VACUUM_FREE_SHARE) return 0;
    const pages = Math.min(
      free,
      Math.max(
        this.#pagesOf(VACUUM_STEP_MIN_BYTES),
        Math.min(this.#pagesOf(VACUUM_STEP_MAX_BYTES), Math.ceil(free / 2)),
      ),
    );
    this.#db.pragma(`incremental_vacuum(${pages})`);
    // The file only shrinks when the freed pages are checkpointed out of the WAL.
    this.checkpoint('TRUNCATE');
    return pages;
  }

  /**
   * Gives space back on a full disk, where the usual large vacuum step cannot fit its WAL frames: first a
   * TRUNCATE checkpoint (the WAL's frames move into the database file and the WAL file goes to zero), then
   * incremental vacuum in small steps, each checkpointed out of the WAL, for a bounded time. Every step that
   * fails for lack of space is simply not taken. Returns the bytes of free pages left inside the database
   * file: room new events can use even when the file cannot shrink (auto_vacuum off, or an older file).
   */
  relieve(): number {
    const started = Date.now();
    try {
      this.checkpoint('TRUNCATE');
    } catch {
      // Not even the checkpoint fits yet: nothing else will either.
      return 0;
    }
    const incremental = (this.#db.pragma('auto_vacuum', { simple: true }) as number) === 2;
    while (incremental && Date.now() - started < RELIEVE_BUDGET_MS) {
      const free = this.#db.pragma('freelist_count', { simple: true }) as number;
      if (free === 0) break;
      try {
        this.#db.pragma(`incremental_vacuum(${Math.min(free, RELIEVE_STEP_PAGES)})`);
        this.checkpoint('TRUNCATE');
      } catch {
        break;
      }
    }
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    return free * (this.#db.pragma('page_size', { simple: true }) as number);
  }

  fileSizes(): { db: number; wal: number } {
    return { db: sizeOf(this.#dbPath), wal: sizeOf(this.#walPath) };
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    // Leave a small file behind: everything into the main database, WAL truncated to zero.
    this.checkpoint('TRUNCATE');
  }
}
