// Child processes of a bench run: spawn `logdriver <subcommand>`, wait for a readiness line, log output to
// a file, and stop every child we started, by pid, on success, on errors and on SIGINT.
//
// Invariant: every spawned child is in `live` until its 'exit' event, so stopAll() and killAllSync()
// (the process 'exit' hook, which cannot await) reach each one; nothing is killed by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions<T> {
  /** Appends stdout and stderr here (the file is created). */
  logFile?: string;
  /** Returns a value once a line shows the child is ready; `ready` resolves with it. */
  ready?: (line: string, stream: 'stdout' | 'stderr') => T | undefined;
  readyTimeoutMs?: number;
  /** Keep up to this many characters of stdout in memory (for summary lines). Default 64 KiB. */
  keepStdout?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Child<T> {
  readonly name: string;
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves with the value of the readiness check; rejects if the child exits or times out first. */
  readonly ready: Promise<T>;
  readonly exited: Promise<ExitInfo>;
  /** Captured stdout (bounded). */
  stdout(): string;
  /** The last stderr lines (bounded), for error messages. */
  stderrTail(): string;
  /** How the child ended; undefined while it runs. */
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

/** `dist/src/cli/main.js`, found next to this compiled module or under the working directory. */
export function defaultCliPath(): string {
  const beside = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  return existsSync(beside) ? beside : join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
}

function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    // A pathological line without newline must not grow without bound.
    if (rest.length > 1 << 20) rest = rest.slice(-(1 << 16));
    for (const line of lines) onLine(line);
  };
}

export class ChildSet {
  readonly cliPath: string;
  readonly #live = new Map<number, ChildProcess>();

  constructor(cliPath = defaultCliPath()) {
    this.cliPath = cliPath;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Runs `node <cli> ...args` as a child process. */
  spawn<T = true>(name: string, args: readonly string[], opts: SpawnOptions<T> = {}): Child<T> {
    const proc = spawn(process.execPath, [this.cliPath, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${this.cliPath}`);
    const pid = proc.pid;
    this.#live.set(pid, proc);
    const startedAt = Date.now();
    let log: WriteStream | undefined = opts.logFile
      ? createWriteStream(opts.logFile, { flags: 'a' })
      : undefined;
    const keep = opts.keepStdout ?? 64 * 1024;
    let out = '';
    const tail: string[] = [];
    let exitInfo: ExitInfo | undefined;

    const exited = new Promise<ExitInfo>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        this.#live.delete(pid);
        resolve(exitInfo);
      });
      proc.once('error', () => {
        exitInfo ??= { code: null, signal: null };
        this.#live.delete(pid);
        resolve(exitInfo);
      });
    });
    // Close the log once both pipes ended, so no late chunk hits a closed stream.
    proc.once('close', () => {
      log?.end();
      log = undefined;
    });

    let onReadyLine: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
    const ready = new Promise<T>((resolve, reject) => {
      if (!opts.ready) {
        resolve(true as T);
        return;
      }
      const check = opts.ready;
      const timer = setTimeout(() => {
        onReadyLine = undefined;
        reject(new Error(`${name} not ready after ${opts.readyTimeoutMs ?? 30_000} ms\n${tail.join('\n')}`));
      }, opts.readyTimeoutMs ?? 30_000);
      onReadyLine = (line, stream) => {
        const v = check(line, stream);
        if (v === undefined) return;
        clearTimeout(timer);
        onReadyLine = undefined;
        resolve(v);
      };
      void exited.then((e) => {
        if (onReadyLine === undefined) return;
        clearTimeout(timer);
        onReadyLine = undefined;
        reject(
          new Error(
            `${name} exited (code ${e.code}, signal ${e.signal}) before it was ready\n${tail.join('\n')}`,
          ),
        );
      });
    });
    // Nobody may be awaiting `ready` when the child fails; the error is reported by whoever awaits it.
    ready.catch(() => undefined);

    const onChunk = (stream: 'stdout' | 'stderr') =>
      lineSplitter((line) => {
        if (stream === 'stdout' && out.length < keep) out += `${line}\n`;
        if (stream === 'stderr') {
          tail.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
          if (tail.length > 20) tail.shift();
        }
        onReadyLine?.(line, stream);
      });
    const splitOut = onChunk('stdout');
    const splitErr = onChunk('stderr');
    proc.stdout.on('data', (c: Buffer) => {
      log?.write(c);
      splitOut(c);
    });
    proc.stderr.on('data', (c: Buffer) => {
      log?.write(c);
      splitErr(c);
    });

    const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<ExitInfo> => {
      if (exitInfo) return exitInfo;
      try {
        process.kill(pid, signal);
      } catch {
        return exited;
      }
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (!exitInfo) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
          resolve();
        }, graceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      return exited;
    };

    return {
      name,
      pid,
      startedAt,
      ready,
      exited,
      stdout: () => out,
      stderrTail: () => tail.join('\n'),
      exitInfo: () => exitInfo,
      stop,
    };
  }

  /** Stops every live child (SIGTERM, then SIGKILL after `graceMs`). */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.#live.entries()].map(async ([pid, proc]) => {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          return;
        }
        const timer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, graceMs);
        await gone;
        clearTimeout(timer);
      }),
    );
  }

  /** For process 'exit' hooks, which cannot wait: SIGKILL every live child by pid. */
  killAllSync(): void {
    for (const pid of this.#live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.#live.clear();
  }
}
