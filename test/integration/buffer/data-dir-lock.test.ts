// The data-directory lock across real processes: a live holder keeps every other process (and a second
// taker in its own process) out, SIGKILL frees it, contenders starting at the same instant end with exactly
// one winner, and files left by older versions or torn by a crash never block a start.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, lockOwner } from '../../../src/buffer/sqlite/lock.js';
import { ErrorCodes, isLogdriverError } from '../../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LOCK_MODULE = fileURLToPath(new URL('../../../src/buffer/sqlite/lock.ts', import.meta.url));

// A contender, run from source with tsx. With a directory it takes the lock at once and keeps it; without,
// it says `ready` and waits for commands (one JSON object a line): `go` spins until the wall clock reaches
// `at` (so contenders start within a fraction of a millisecond of each other), tries once and reports;
// `release` unlocks.
const CONTENDER = `
import { createInterface } from 'node:readline';
const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
let unlock;
const report = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
function attempt(dir) {
  try { unlock = lockDataDir(dir); report({ won: true }); }
  catch (err) { report({ won: false, code: err.code, message: err.message }); }
}
if (process.argv[2]) attempt(process.argv[2]); else report({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  if (cmd.go) {
    // Up to 0.4 ms apart: lockstep starts hide interleavings that a little scheduling noise exposes.
    const until = cmd.at + Math.random() * 0.4;
    while (performance.timeOrigin + performance.now() < until) {}
    attempt(cmd.go);
  }
  if (cmd.release) { unlock?.(); unlock = undefined; report({ released: true }); }
}
`;

interface Report {
  ready?: boolean;
  won?: boolean;
  released?: boolean;
  code?: string;
  message?: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'logdriver-lock-'));
const script = join(scratch, 'contender.mjs');
writeFileSync(script, CONTENDER);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

class Contender {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly #lines: Report[] = [];
  #wake: (() => void) | undefined;
  readonly exited: Promise<void>;

  /** Holds `dir` at once, or (without it) waits for commands. */
  constructor(dir?: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', script, ...(dir === undefined ? [] : [dir])], {
      cwd: ROOT,
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      this.#lines.push(JSON.parse(line) as Report);
      this.#wake?.();
    });
    let stderr = '';
    this.proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.#lines.length === 0 && stderr) this.#lines.push({ message: `exited: ${stderr}` });
      this.#wake?.();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The next report line (waits for it). */
  async next(timeoutMs = 20_000): Promise<Report> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (Date.now() > deadline) throw new Error(`contender ${this.pid} said nothing`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.#lines.shift()!;
  }

  send(cmd: { go: string; at: number } | { release: true }): void {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

function lockError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isLogdriverError(err, ErrorCodes.BUFFER_LOCKED), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('expected the data directory to be locked');
}

describe('data-directory lock', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });
  const dataDir = (): string => mkdtempSync(join(scratch, 'data-'));
  const contender = (dir?: string): Contender => {
    const c = new Contender(dir);
    cleanups.push(() => c.kill());
    return c;
  };

  it('a live holder keeps other processes out, naming its pid; SIGKILL frees the lock', async () => {
    const dir = dataDir();
    const holder = contender(dir);
    expect(await holder.next()).toEqual({ won: true });

    const err = lockError(() => lockDataDir(dir));
    expect(err.message).toContain(`data directory ${dir} is in use by process ${holder.pid}`);
    expect(lockOwner(dir)).toBe(holder.pid);
    const other = contender(dir);
    expect(await other.next()).toMatchObject({ won: false, code: ErrorCodes.BUFFER_LOCKED });

    await holder.kill(); // SIGKILL: no unlock ran, the OS dropped the lock with the process
    expect(lockOwner(dir)).toBeUndefined();
    const unlock = lockDataDir(dir);
    unlock();
  });

  it('keeps a second taker in the same process out, through any path to the directory', async () => {
    const dir = dataDir();
    const unlock = lockDataDir(dir);
    cleanups.push(unlock);
    expect(lockError(() => lockDataDir(dir)).message).toMatch(/in use by process \d+ \(this one\)/);
    expect(lockError(() => lockDataDir(`${dir}/./`)).message).toContain('(this one)');
    expect(lockOwner(dir)).toBeUndefined(); // not another process

    // The refused attempts closed their handles without dropping this process's lock (POSIX locks would).
    const other = contender(dir);
    expect(await other.next()).toMatchObject({ won: false, code: ErrorCodes.BUFFER_LOCKED });

    unlock();
    unlock(); // a second call is a no-op
    const again = lockDataDir(dir);
    again();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true); // the file stays: unlinking would reopen the race
  });

  it('lets exactly one of several contenders starting at the same instant win, round after round', async () => {
    const shared = dataDir();
    const contenders = Array.from({ length: 4 }, () => contender());
    for (const c of contenders) expect(await c.next()).toEqual({ ready: true });
    for (let round = 0; round < 9; round++) {
      // Rounds rotate: race to create the file; fight over a lock released by its holder; fight over the
      // lock of a holder that was SIGKILLed (where a pid file's stale-lock takeover let two processes win).
      const dir = round % 3 === 0 ? join(dataDir(), 'new') : shared;
      const at = Date.now() + 150;
      for (const c of contenders) c.send({ go: dir, at });
      const reports = await Promise.all(contenders.map((c) => c.next()));
      const winners = contenders.filter((_, i) => reports[i]!.won);
      expect(winners, `round ${round}: ${JSON.stringify(reports)}`).toHaveLength(1);
      for (const r of reports.filter((r) => !r.won)) {
        expect(r.code).toBe(ErrorCodes.BUFFER_LOCKED);
        expect(r.message).toContain(`data directory ${dir} is in use by`);
      }
      const winner = winners[0]!;
      expect(lockOwner(dir)).toBe(winner.pid);
      if (round % 3 === 1) {
        await winner.kill();
        const fresh = contender();
        expect(await fresh.next()).toEqual({ ready: true });
        contenders[contenders.indexOf(winner)] = fresh;
      } else {
        winner.send({ release: true });
        expect(await winner.next()).toEqual({ released: true });
      }
    }
  });

  it('takes over a stale pid file from an older version, but not a live one, and resets a damaged file', async () => {
    const dir = dataDir();
    const path = join(dir, LOCK_FILE);
    const live = contender();
    await live.next();
    writeFileSync(path, `${live.pid}\n`);
    expect(lockError(() => lockDataDir(dir)).message).toContain(`in use by process ${live.pid}`);

    await live.kill();
    lockDataDir(dir)(); // its pid is gone: the old file is stale and replaced by a lock database

    writeFileSync(path, Buffer.alloc(4096, 0x5a)); // torn or foreign content
    const unlock = lockDataDir(dir);
    cleanups.push(unlock);
    expect(lockError(() => lockDataDir(dir)).message).toContain('(this one)');
  });

  it('creates a missing data directory', () => {
    const dir = join(dataDir(), 'a', 'b');
    const unlock = lockDataDir(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    unlock();
  });
});
