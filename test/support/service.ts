// Test fixtures for the whole service: a config on free loopback ports, in-process or as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startService, type Endpoints, type Service } from '../../src/app.js';
import { configSchema, type Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';

export const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function tempDir(prefix = 'logdriver-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A raw config (file shape) on OS-assigned loopback ports, with fast delivery settings for tests. */
export function testConfig(
  dataDir: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    dataDir,
    ingest: { zmq: { endpoint: 'tcp://127.0.0.1:*' }, http: { listen: '127.0.0.1:0' } },
    admin: { listen: '127.0.0.1:0' },
    // A small reserve: every test service writes one, and most tests never fill a disk.
    buffer: { diskReserveBytes: '256KiB' },
    delivery: {
      batchSize: 200,
      maxBatchAgeMs: 50,
      retry: { initialMs: 20, maxMs: 200 },
      shutdownGraceMs: 2000,
    },
    log: { level: 'silent' },
  };
  return deepMerge(base, overrides);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export async function startInProcess(raw: Record<string, unknown>): Promise<Service> {
  const config: Config = configSchema.parse(raw);
  return startService(config, { log: silentLogger() });
}

export interface ServiceProcess {
  readonly proc: ChildProcess;
  readonly endpoints: Endpoints;
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `logdriver run --config FILE` as a child process; resolves once it logged its endpoints. */
export async function startChild(
  raw: Record<string, unknown>,
  dir: string,
  env: NodeJS.ProcessEnv = {},
  /** Lines the child writes to stdout (stdout sinks) are pushed here when given; otherwise discarded. */
  stdoutLines?: string[],
): Promise<ServiceProcess> {
  const file = join(dir, `config-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const withLog = deepMerge(raw, { log: { level: 'info' } });
  writeFileSync(file, JSON.stringify(withLog));
  const proc = spawn(process.execPath, [MAIN, 'run', '--config', file], {
    stdio: ['ignore', stdoutLines ? 'pipe' : 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  if (stdoutLines && proc.stdout) {
    let rest = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      stdoutLines.push(...lines);
    });
  }
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    let partial = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        stderr.push(line);
        if (line.includes('"logdriver started"'))
          resolve((JSON.parse(line) as { endpoints: Endpoints }).endpoints);
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`service exited (${code}) before starting:\n${stderr.join('\n')}`)),
    );
  });
  return { proc, endpoints, stderr, exited };
}

/** Polls `check` until it returns true; fails with `what` after timeoutMs. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export function event(tenant: string, n: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    tenantId: tenant,
    n,
    timestampMillis: 1764000000000 + n,
    iclFields: { event: 'DATA_DECRYPT' },
    ...extra,
  });
}

export function httpBase(e: Endpoints): string {
  return `http://${e.http!.host}:${e.http!.port}`;
}

/** One unlabelled metric of a running child, read from its admin /metrics; NaN when absent. */
export async function childMetric(child: ServiceProcess, name: string): Promise<number> {
  const { host, port } = child.endpoints.admin!;
  const res = await request(`http://${host}:${port}/metrics`);
  const body = await res.body.text();
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

/** Peak resident set (VmHWM, KiB) of a live process, from /proc; NaN where /proc is not there. */
export function peakRssKiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
