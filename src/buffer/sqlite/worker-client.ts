// The main thread's end of the buffer worker: numbered requests, their replies, and what happens when the
// worker dies (every waiting call fails, and so does every later one).
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, threadId } from 'node:worker_threads';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { EngineOptions } from './engine.js';
import type { MaintenanceListener } from './maintenance.js';
import type { Reply, Unnumbered } from './protocol.js';

/**
 * The worker's entry. Under the test runner this module is TypeScript: worker.ts is then bundled from source
 * once per process with esbuild (the compiler vitest and tsx already use), so tests never run a stale compiled
 * copy and a worker still starts in milliseconds (a loader registered in every worker costs ~0.7 s each).
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  return (bundledWorker ??= bundleWorker());
}

let bundledWorker: URL | undefined;

function bundleWorker(): URL {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as {
    buildSync(o: Record<string, unknown>): unknown;
  };
  // Inside node_modules so the bundle's own imports (better-sqlite3) resolve; one file per process.
  const dir = fileURLToPath(new URL('../../../node_modules/.cache/logdriver/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `buffer-worker-${process.pid}-${threadId}.mjs`);
  esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  return pathToFileURL(outfile);
}

type Call = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export interface WorkerEvents {
  onMaintenance: MaintenanceListener;
  onFailure(err: Error): void;
}

export class WorkerClient {
  readonly #worker: Worker;
  readonly #calls = new Map<number, Call>();
  readonly #events: WorkerEvents;
  #nextId = 1;
  #failed: Error | undefined;
  /** After terminate(): calls fail at once instead of waiting for an answer that never comes. */
  #terminated = false;

  constructor(workerData: EngineOptions, events: WorkerEvents) {
    this.#events = events;
    // The worker only holds one commit's chunks and one load at a time: a small heap keeps RSS bounded.
    this.#worker = new Worker(workerEntry(), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    });
    this.#worker.on('message', (m: Reply) => this.#onReply(m));
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => {
      if (!this.#terminated) this.#fail(new Error(`buffer worker exited with code ${code}`));
    });
  }

  get failed(): Error | undefined {
    return this.#failed;
  }

  call<T>(req: Unnumbered, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#terminated)
      return Promise.reject(new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...req, id }, transfer);
    });
  }

  #onReply(m: Reply): void {
    if ('maintenance' in m) {
      this.#events.onMaintenance(m.maintenance);
      return;
    }
    const call = this.#calls.get(m.id);
    if (!call) return;
    this.#calls.delete(m.id);
    if (m.ok) call.resolve(m.result);
    else {
      // SQLite says SQLITE_FULL when a write finds no space (ENOSPC, or the file-size limit).
      const code = m.error.code === 'SQLITE_FULL' ? ErrorCodes.BUFFER_DISK_FULL : ErrorCodes.BUFFER_COMMIT;
      call.reject(new LogdriverError(code, `buffer worker: ${m.error.message}`));
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.#events.onFailure(err);
    this.#rejectAll(err);
  }

  #rejectAll(err: Error): void {
    for (const c of this.#calls.values()) c.reject(err);
    this.#calls.clear();
  }

  async terminate(): Promise<void> {
    this.#terminated = true;
    await this.#worker.terminate();
    this.#rejectAll(new LogdriverError(ErrorCodes.BUFFER_CLOSED, 'the buffer is closed'));
  }
}
