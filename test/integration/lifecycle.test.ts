// Lifecycle: health endpoints, SIGTERM shutdown that keeps what was received, bad config refused at start.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { DB_FILE } from '../../src/buffer/index.js';
import { MAIN, event, httpBase, startChild, tempDir, testConfig } from '../support/service.js';

describe('lifecycle', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('answers /live /ready /health, stops cleanly on SIGTERM, and delivers what it kept on the next start', async () => {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true, mode: 'down' });
    cleanups.push(dir.remove, () => sink.close());
    const raw = testConfig(join(dir.path, 'data'), { defaultSink: { type: 'http', url: sink.url } });
    const first = await startChild(raw, dir.path);
    cleanups.push(() => void first.proc.kill('SIGKILL'));
    const admin = `http://127.0.0.1:${first.endpoints.admin!.port}`;
    for (const path of ['/live', '/ready', '/health']) {
      const res = await request(admin + path);
      expect(res.statusCode, path).toBe(200);
      await res.body.dump();
    }
    const metrics = await request(`${admin}/metrics`);
    expect(await metrics.body.text()).toContain('logdriver_buffer_events');

    const body = Array.from({ length: 300 }, (_, i) => event('acme', i)).join('\n');
    const res = await request(`${httpBase(first.endpoints)}/v1/events`, { method: 'POST', body });
    expect(res.statusCode).toBe(200);
    await res.body.dump();

    first.proc.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(first.stderr.some((l) => l.includes('logdriver stopped'))).toBe(true);
    // Closed cleanly: the WAL was checkpointed into the database and removed.
    const wal = join(dir.path, 'data', `${DB_FILE}-wal`);
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);

    sink.set({ mode: 'ok' });
    const second = await startChild(raw, dir.path);
    cleanups.push(() => void second.proc.kill('SIGKILL'));
    await sink.waitFor((r) => r.unique === 300, 20_000);
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('a SIGTERM that arrives while the service is starting stops it cleanly once started', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    // A configuration broker that takes the request and never answers holds the start (it waits for the
    // broker's first answer, up to tenantSource.timeoutMs): the signal lands mid-start, deterministically.
    let asked!: () => void;
    const requested = new Promise<void>((resolve) => (asked = resolve));
    const broker = createServer(() => asked());
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      broker.closeAllConnections();
      broker.close();
    });
    const { port } = broker.address() as AddressInfo;
    const raw = testConfig(join(dir.path, 'data'), {
      tenantSource: { url: `http://127.0.0.1:${port}/tenants`, timeoutMs: 1500 },
      log: { level: 'info' },
    });
    const file = join(dir.path, 'config.json');
    writeFileSync(file, JSON.stringify(raw));
    const proc = spawn(process.execPath, [MAIN, 'run', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(() => void proc.kill('SIGKILL'));
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await requested;
    proc.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('"signal":"SIGTERM"');
    expect(stderr).toContain('logdriver stopped');
  });

  it('refuses to start on a bad config, naming the key and the reason', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, 'buffer:\n  whenFull: sometimes\n  maxbytes: 1GiB\n');
    const run = spawnSync(process.execPath, [MAIN, 'run', '--config', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('buffer.whenFull');
    expect(run.stderr).toContain('buffer.maxbytes');
  });

  it('refuses a sink that cannot be built, naming its key, and exits without holding the data directory', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'ca.yaml');
    const data = join(dir.path, 'data');
    writeFileSync(
      file,
      `dataDir: ${JSON.stringify(data)}\ntenants:\n  acme:\n    sink: { type: http, url: "https://127.0.0.1:1/x", tls: { caFile: ${JSON.stringify(join(dir.path, 'missing.pem'))} } }\n`,
    );
    const run = spawnSync(process.execPath, [MAIN, 'run', '--config', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.signal).toBeNull(); // it exited on its own, it did not hang until the timeout
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('tenants.acme.sink');
    expect(existsSync(join(data, 'logdriver.lock'))).toBe(false);
  });

  it('never prints a secret from the config', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'secret.yaml');
    writeFileSync(
      file,
      'tenants:\n  acme:\n    sink: { type: http, url: "https://127.0.0.1:1/x", auth: { bearer: "${ACME_TOKEN}" }, timeoutMs: -1 }\n',
    );
    const run = spawnSync(process.execPath, [MAIN, 'run', '--config', file], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, ACME_TOKEN: 'sup3r-s3cret-value' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('tenants.acme.sink.timeoutMs');
    expect(run.stderr + run.stdout).not.toContain('sup3r-s3cret-value');
  });
});
