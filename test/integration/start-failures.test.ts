// Start failures as an operator meets them: a port in use, a data directory that is locked, read-only, a file,
// or cannot be created (/proc). Each ends the start at once with one line naming the cause and exit code 2.
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Pull } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, startChild, tempDir, testConfig } from '../support/service.js';

/** Generous for a 2-core machine; the old code hung until this, so the test bounds its own wait. */
const TIMEOUT_MS = 20_000;

interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  ms: number;
}

/** Runs `logdriver run --config FILE` to its end; stdout is discarded (no sink may write anything). */
function run(dir: string, raw: Record<string, unknown>, opts: SpawnSyncOptions = {}): Outcome {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(raw), { mode: 0o644 });
  const started = Date.now();
  const r = spawnSync(process.execPath, [MAIN, 'run', '--config', file], {
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    ...opts,
  });
  const lines = String(r.stderr)
    .split('\n')
    .filter((l) => l !== '');
  return { status: r.status, signal: r.signal, lines, ms: Date.now() - started };
}

/** The outcome every start failure must have: exit 2, on its own, one plain line (no JSON, no stack). */
function expectOneLine(o: Outcome, ...parts: string[]): void {
  expect(o.signal, `hung and was killed after ${o.ms} ms`).toBeNull();
  expect(o.lines, o.lines.join('\n')).toHaveLength(1);
  const [line] = o.lines as [string];
  expect(line.startsWith('logdriver: ')).toBe(true);
  expect(line).not.toMatch(/"level"|\n\s+at /);
  for (const p of parts) expect(line).toContain(p);
  expect(o.status).toBe(2);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('start failures', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  function setup() {
    const dir = tempDir();
    cleanups.push(dir.remove);
    // Info level, as an operator runs it: the failure must still be one line.
    const config = (dataDir: string, over: Record<string, unknown> = {}) =>
      testConfig(dataDir, { log: { level: 'info' }, ...over });
    return { dir: dir.path, config };
  }

  it('names the HTTP ingest listener whose port is in use', async () => {
    const { dir, config } = setup();
    const server = createServer();
    cleanups.push(() => void server.close());
    const port = await listen(server);
    const o = run(dir, config(join(dir, 'data'), { ingest: { http: { listen: `127.0.0.1:${port}` } } }));
    expectOneLine(o, `cannot start: ingest.http.listen 127.0.0.1:${port} is already in use`);
  });

  it('names the admin listener whose port is in use', async () => {
    const { dir, config } = setup();
    const server = createServer();
    cleanups.push(() => void server.close());
    const port = await listen(server);
    const o = run(dir, config(join(dir, 'data'), { admin: { listen: `127.0.0.1:${port}` } }));
    expectOneLine(o, `cannot start: admin.listen 127.0.0.1:${port} is already in use`);
  });

  it('names the ZeroMQ endpoint that is in use', async () => {
    const { dir, config } = setup();
    const pull = new Pull();
    cleanups.push(() => pull.close());
    await pull.bind('tcp://127.0.0.1:*');
    const endpoint = pull.lastEndpoint!;
    const o = run(dir, config(join(dir, 'data'), { ingest: { zmq: { endpoint } } }));
    expectOneLine(o, `cannot start: ingest.zmq.endpoint ${endpoint} is already in use`);
  });

  it('names the HTTPS certificate file that cannot be read', () => {
    const { dir, config } = setup();
    const missing = join(dir, 'missing.crt');
    const o = run(
      dir,
      config(join(dir, 'data'), {
        ingest: { http: { tls: { certFile: missing, keyFile: join(dir, 'missing.key') } } },
      }),
    );
    expectOneLine(o, `cannot start: ingest.http: tls.certFile ${missing} cannot be read (ENOENT)`);
  });

  it('names the process that holds the data directory', async () => {
    const { dir, config } = setup();
    const data = join(dir, 'data');
    const holder = await startChild(config(data), dir);
    cleanups.push(async () => {
      holder.proc.kill('SIGTERM');
      await holder.exited;
    });
    const o = run(dir, config(data));
    expectOneLine(o, `cannot start: data directory ${data} is in use by process ${holder.proc.pid}`);
  });

  it('refuses a data directory that is a file, or lies under a file', () => {
    const { dir, config } = setup();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    expectOneLine(run(dir, config(file)), `cannot start: data directory ${file} is a file, not a directory`);
    const under = join(file, 'data');
    expectOneLine(
      run(dir, config(under)),
      `cannot start: data directory ${under} cannot be created`,
      'ENOTDIR',
    );
  });

  it.skipIf(process.platform !== 'linux')(
    'refuses a data directory that cannot be created (a new path under /proc) at once, not in an endless loop',
    () => {
      const { dir, config } = setup();
      const o = run(dir, config('/proc/logdriver-nope/data'));
      expectOneLine(o, 'cannot start: data directory /proc/logdriver-nope/data cannot be created', 'ENOENT');
      expect(o.ms).toBeLessThan(TIMEOUT_MS / 2);
      // The same through the environment, as in the report.
      const env = run(dir, config('unused'), { env: { ...process.env, LOGDRIVER_DATA_DIR: '/proc/nope' } });
      expectOneLine(env, 'data directory /proc/nope cannot be created');
    },
  );

  it('refuses a data directory it cannot write in', () => {
    const { dir, config } = setup();
    const data = join(dir, 'read-only');
    mkdirSync(data, { mode: 0o555 });
    // Permissions do not stop root: as root the directory is a read-only mount instead (EROFS), which stops
    // everyone. (Running the service as another user would need the checkout readable by that user.)
    const asRoot = process.getuid?.() === 0;
    if (asRoot) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', data]);
    else chmodSync(data, 0o555);
    try {
      const o = run(dir, config(data));
      expectOneLine(o, `cannot start: data directory ${data} is not writable`, asRoot ? 'EROFS' : 'EACCES');
    } finally {
      if (asRoot) execFileSync('umount', [data]);
    }
  });
});
