// One process per data directory: a lock file holding the owner's pid. A lock left by a killed process
// (its pid no longer runs) is taken over, so a crash never blocks the restart.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCodes, LogdriverError } from '../../errors.js';

export const LOCK_FILE = 'logdriver.lock';

/** Directories this process holds: the pid in the file cannot tell two owners in one process apart. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The pid holding the data directory, if a live process does. */
export function lockOwner(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the data directory for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const key = resolve(dataDir);
  if (held.has(key)) {
    throw new LogdriverError(
      ErrorCodes.BUFFER_LOCKED,
      `data directory ${dataDir} is in use by process ${process.pid} (this one)`,
    );
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(key);
      return () => {
        held.delete(key);
        // Only our own lock: a process that took over a lock it thought stale keeps its file.
        if (readPid(path) === process.pid) rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockOwner(dataDir);
      if (owner !== undefined) {
        throw new LogdriverError(
          ErrorCodes.BUFFER_LOCKED,
          `data directory ${dataDir} is in use by process ${owner} (another logdriver?)`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new LogdriverError(ErrorCodes.BUFFER_LOCKED, `could not lock data directory ${dataDir}`);
}
