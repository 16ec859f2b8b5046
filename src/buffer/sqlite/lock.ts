// One process per data directory: an exclusive SQLite lock on `logdriver.lock`, which the OS holds for the
// process and drops when it exits, however it exits (SIGKILL included), so a crash never blocks the restart.
import Database from 'better-sqlite3';
import { accessSync, constants, mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ErrorCodes, LogdriverError } from '../../errors.js';

export const LOCK_FILE = 'logdriver.lock';

/** Who holds a data directory, as the holder wrote it into the lock file: a label, never the lock itself. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: number;
}

// HAZARD: SQLite locks with POSIX advisory locks, and closing ANY descriptor of a file drops every lock the
// process holds on it. SQLite guards its own connections against that; plain `fs` cannot. So a process must
// never open the lock file with `fs` (read it, copy it, back the directory up) while it holds the lock, or
// it silently lets a second process in (measured: one readFileSync in the holder did exactly that). `held`
// is how this module knows, keyed by the file's identity, not its path (a symlinked directory is the same
// lock). It is per thread: take data-directory locks on the main thread only.
const held = new Set<string>();

// Contenders starting at the same moment can make each other fail (one holds SQLite's SHARED lock while the
// other waits for EXCLUSIVE), so that nobody wins. Measured with three processes started together: no winner
// in 4 of 40 rounds with one try at timeout 0, and in 13 of 40 with SQLite's own 100 ms busy timeout (they
// wait on each other). So every attempt runs with timeout 0, closes its connection on SQLITE_BUSY and tries
// again after a random pause until ACQUIRE_MS have passed: exactly one winner in every one of 1,400 rounds of
// four, and a live holder is reported after ACQUIRE_MS.
const ACQUIRE_MS = 500;
const PAUSE_MS = { min: 5, max: 30 };
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Takes the data directory for this process (creating the directory if needed) and returns the release
 * function. Throws LOGDRIVER_ERR_BUFFER_LOCKED if another process, or this one, holds it.
 */
export function lockDataDir(dataDir: string): () => void {
  prepareDataDir(dataDir);
  const path = join(dataDir, LOCK_FILE);
  if (held.has(identity(path) ?? '')) throw inUse(dataDir, `process ${process.pid} (this one)`);
  const deadline = Date.now() + ACQUIRE_MS;
  let reset = false;
  for (;;) {
    let db: Database.Database;
    try {
      db = attempt(path);
    } catch (err) {
      const code = sqliteCode(err);
      if (code.startsWith('SQLITE_BUSY')) {
        if (Date.now() < deadline) {
          Atomics.wait(sleeper, 0, 0, PAUSE_MS.min + Math.random() * (PAUSE_MS.max - PAUSE_MS.min));
          continue;
        }
        throw inUse(dataDir, describe(readHolder(path)));
      }
      if (!reset && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))) {
        resetLabel(dataDir, path);
        reset = true;
        continue;
      }
      const reason = `could not lock data directory ${dataDir}: ${err instanceof Error ? err.message : String(err)}`;
      throw new LogdriverError(ErrorCodes.BUFFER_LOCKED, reason, { cause: err });
    }
    const key = identity(path);
    if (key === undefined) {
      // Unreachable unless someone deleted the file in this instant; then the lock is on nothing anyone can find.
      db.close();
      throw new LogdriverError(ErrorCodes.BUFFER_LOCKED, `lock file ${path} vanished while being locked`);
    }
    held.add(key);
    // The file stays after release: unlinking it would let a process that had opened the old file and one that
    // creates a new one both hold "the" lock (the race this design removes). Its leftover label means nothing.
    return () => {
      if (!db.open) return;
      held.delete(key);
      db.close();
    };
  }
}

/**
 * Creates the data directory if needed and checks that this process can write in it, failing at once with
 * one clear reason (LOGDRIVER_ERR_BUFFER_LOCKED: the directory cannot be taken). HAZARD: not
 * `mkdirSync(dir, { recursive: true })`: Node 20's recursive mkdir loops forever, at 100% CPU and deaf to
 * signals, when mkdir answers ENOENT although the parent exists (any new path under /proc). Here each level
 * is tried once, so the recursion is bounded by the path's depth.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    makeDir(resolve(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw unusable(dataDir, 'is a file, not a directory');
    throw unusable(dataDir, 'cannot be created', err);
  }
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    throw unusable(dataDir, 'is not writable', err);
  }
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return;
      throw err;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDir(parent);
    mkdirSync(dir); // once: a second ENOENT with the parent in place is final (a pseudo-filesystem)
  }
}

function unusable(dataDir: string, what: string, cause?: unknown): LogdriverError {
  const e = cause as NodeJS.ErrnoException | undefined;
  const why = e?.code ? ` (${errnoText(e.code)})` : '';
  return new LogdriverError(ErrorCodes.BUFFER_LOCKED, `data directory ${dataDir} ${what}${why}`, { cause });
}

function errnoText(code: string): string {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a part of the path is a file',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
  };
  return text[code] ? `${text[code]}, ${code}` : code;
}

/**
 * The pid of the process holding the data directory, if another process holds it and its label is readable.
 * Probes with a read that fails while the lock is held; it takes nothing (a lockDataDir racing with it retries).
 */
export function lockOwner(dataDir: string): number | undefined {
  const path = join(dataDir, LOCK_FILE);
  const key = identity(path);
  if (key === undefined || held.has(key)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
    db.pragma('schema_version');
    return undefined;
  } catch (err) {
    return sqliteCode(err).startsWith('SQLITE_BUSY') ? readHolder(path)?.pid : undefined;
  } finally {
    db?.close();
  }
}

/** One try: on success the returned connection holds the OS lock until it is closed. */
function attempt(path: string): Database.Database {
  const db = new Database(path, { timeout: 0 });
  try {
    // The content is only a label (who holds it); exclusion never depends on it. So no journal and no fsync:
    // a file torn by a crash mid-write reads as NOTADB/CORRUPT and is reset by lockDataDir.
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    // In EXCLUSIVE locking mode the lock taken by the first write is kept until the connection closes.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec(
      'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, started_at INTEGER NOT NULL)',
    );
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, host, started_at) VALUES (?, ?, ?)').run(
      process.pid,
      hostname(),
      Date.now(),
    );
    db.exec('COMMIT');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The file is not a lock database: a pid file written by an older logdriver, or a label torn by a crash. The
 * lock lives on the file (its inode), not in its content, so emptying it is safe even if another process
 * locks it meanwhile (that one keeps its lock and loses only its label). Only called when this thread does
 * not hold the lock (see the hazard above).
 */
function resetLabel(dataDir: string, path: string): void {
  const legacy = /^\s*(\d+)\s*$/.exec(readText(path))?.[1];
  const pid = legacy === undefined ? undefined : Number(legacy);
  if (pid !== undefined && pid !== process.pid && alive(pid)) {
    throw inUse(dataDir, `process ${pid} (an older logdriver, by its pid file?)`);
  }
  truncateSync(path, 0);
}

/** The holder's label, read from a private copy of the file (it is locked for SQLite, not for reading). */
function readHolder(path: string): LockHolder | undefined {
  try {
    const copy = new Database(readFileSync(path), { readonly: true });
    try {
      const row = copy.prepare('SELECT pid, host, started_at AS startedAt FROM holder').get() as
        LockHolder | undefined;
      return row && Number.isInteger(row.pid) ? row : undefined;
    } finally {
      copy.close();
    }
  } catch {
    return undefined; // being written, torn or empty: the lock still stands, only its label is unknown
  }
}

function describe(holder: LockHolder | undefined): string {
  if (!holder) return 'another process (its pid is unreadable; another logdriver?)';
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return `process ${holder.pid}${where} since ${new Date(holder.startedAt).toISOString()} (another logdriver?)`;
}

function inUse(dataDir: string, who: string): LogdriverError {
  return new LogdriverError(ErrorCodes.BUFFER_LOCKED, `data directory ${dataDir} is in use by ${who}`);
}

/** The file's identity (device and inode), without opening it; undefined if it does not exist. */
function identity(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1').slice(0, 64);
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
