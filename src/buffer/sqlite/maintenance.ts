// Keeps the files in check: checkpoints the WAL once it passes its cap (autocheckpoint is off, so this is
// the only checkpointer) and, with auto_vacuum=INCREMENTAL, returns freed pages to the filesystem.
import type { Database } from 'better-sqlite3';
import { statSync } from 'node:fs';
import type { Telemetry } from '../../telemetry/telemetry.js';

const VACUUM_INTERVAL_MS = 5_000;
/** Pages returned per vacuum step: bounded so one step never stalls the event loop for long. */
const VACUUM_STEP_PAGES = 4096;
/** Free pages are kept while they are under this share of the file (inserts will reuse them). */
const VACUUM_FREE_SHARE = 0.25;
const VACUUM_MIN_FREE_PAGES = 256;

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
  readonly #telemetry: Telemetry;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(db: Database, dbPath: string, walMaxBytes: number, telemetry: Telemetry) {
    this.#db = db;
    this.#dbPath = dbPath;
    this.#walPath = `${dbPath}-wal`;
    this.#walMaxBytes = walMaxBytes;
    this.#telemetry = telemetry;
    const incremental = (db.pragma('auto_vacuum', { simple: true }) as number) === 2;
    if (incremental) {
      this.#timer = setInterval(() => this.vacuumStep(), VACUUM_INTERVAL_MS);
      this.#timer.unref();
    }
  }

  /** Called after every write transaction: checkpoint once the WAL passed its cap. */
  afterWrite(): void {
    const wal = sizeOf(this.#walPath);
    if (wal >= this.#walMaxBytes) this.checkpoint('RESTART');
  }

  /**
   * RESTART waits for readers (we are the only connection, so none) and makes the next writer start the
   * WAL from its beginning; journal_size_limit then truncates the file back to the cap.
   */
  checkpoint(mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): void {
    const before = sizeOf(this.#walPath);
    const started = process.hrtime.bigint();
    this.#db.pragma(`wal_checkpoint(${mode})`);
    this.#telemetry.checkpointRun(before, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Returns free pages to the OS once they are a large share of the file; returns pages freed. */
  vacuumStep(): number {
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const total = this.#db.pragma('page_count', { simple: true }) as number;
    if (free < VACUUM_MIN_FREE_PAGES || free < total * VACUUM_FREE_SHARE) return 0;
    const pages = Math.min(free, VACUUM_STEP_PAGES);
    this.#db.pragma(`incremental_vacuum(${pages})`);
    this.afterWrite();
    return pages;
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
