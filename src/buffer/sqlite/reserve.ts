// A reserve of disk space for the data directory: a file of zeros held while the disk has room, deleted the
// moment a commit fails for lack of space, so the deletes that follow acknowledgements (WAL frames) and the
// checkpoints that give space back can still commit. Recreated once the filesystem has room for it again.
import { closeSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const RESERVE_FILE = 'logdriver.reserve';
const BLOCK = Buffer.alloc(64 * 1024);
/** Without a reserve, a full disk counts as over once this much is free. */
const NO_RESERVE_MIN_FREE = 16 * 1024 * 1024;

export class DiskReserve {
  readonly path: string;
  readonly #bytes: number;
  #held = false;

  constructor(dataDir: string, bytes: number) {
    this.path = join(dataDir, RESERVE_FILE);
    this.#bytes = bytes;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Bytes the filesystem of the data directory has free for this process. */
  freeBytes(): number {
    const s = statfsSync(this.path.slice(0, -RESERVE_FILE.length));
    return s.bavail * s.bsize;
  }

  /**
   * Writes the reserve (real blocks, not a sparse file: it must hold space) when the filesystem has room for
   * it and twice as much again, so that taking it back after a full disk leaves room to work (releasing it
   * alone must never count as recovery); returns whether it is held. A failure to write (the disk filled
   * meanwhile) leaves no file.
   */
  acquire(): boolean {
    if (this.#held) return true;
    if (this.#bytes === 0) {
      // No reserve configured: "held" means the disk has some room again, so a full disk is not left at once.
      try {
        return (this.#held = this.freeBytes() >= NO_RESERVE_MIN_FREE);
      } catch {
        return false;
      }
    }
    try {
      if (this.freeBytes() < 3 * this.#bytes) return false;
      const fd = openSync(this.path, 'w');
      try {
        for (let n = 0; n < this.#bytes; n += BLOCK.length)
          writeSync(fd, BLOCK, 0, Math.min(BLOCK.length, this.#bytes - n));
      } finally {
        closeSync(fd);
      }
      this.#held = true;
    } catch {
      this.#unlink();
    }
    return this.#held;
  }

  /** Gives the reserve back to the filesystem; returns whether there was one to give. */
  release(): boolean {
    const had = this.#held;
    this.#unlink();
    this.#held = false;
    return had;
  }

  #unlink(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Not there: nothing to give back.
    }
  }
}
