// SIGHUP (also what a closing terminal sends) reloads the config file's tenants and never ends the service.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoints } from '../../src/app.js';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { MAIN, event, eventually, httpBase, startChild, tempDir, testConfig } from '../support/service.js';

async function post(endpoints: Endpoints, body: string): Promise<void> {
  const res = await request(`${httpBase(endpoints)}/v1/events`, { method: 'POST', body });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

describe('SIGHUP', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('reloads the tenants from the config file, keeps running and delivering, and stops cleanly after', async () => {
    const dir = tempDir();
    const before = await startMockSink({ keepEvents: true });
    const after = await startMockSink({ keepEvents: true });
    cleanups.push(
      dir.remove,
      () => before.close(),
      () => after.close(),
    );
    const raw = testConfig(join(dir.path, 'data'), {
      tenants: { acme: { sink: { type: 'http', url: before.url } } },
    });
    const child = await startChild(raw, dir.path);
    cleanups.push(() => void child.proc.kill('SIGKILL'));
    const logged = (text: string) => child.stderr.filter((l) => l.includes(text)).length;

    await post(child.endpoints, event('acme', 0));
    await before.waitFor((r) => r.unique === 1, 10_000);

    // The same file, the tenant now pointing at the other sink.
    const file = join(
      dir.path,
      readdirSync(dir.path).find((f) => /^config-.*\.json$/.test(f))!,
    );
    const text = JSON.parse(readFileSync(file, 'utf8')) as { tenants: Record<string, unknown> };
    text.tenants = { acme: { sink: { type: 'http', url: after.url } } };
    writeFileSync(file, JSON.stringify(text));
    child.proc.kill('SIGHUP');
    // The file watcher (a stat every 2 s) may see the edit in the moment before the signal: then it applied it
    // and the SIGHUP found the file unchanged. Either way the edit is applied exactly once.
    const applied = () =>
      logged('config reloaded: tenant sinks updated') + logged('config refreshed: tenant sinks updated');
    await eventually('the reload logged', () => applied() === 1);
    const unchangedBefore = logged('config reloaded: file unchanged');
    await post(child.endpoints, event('acme', 1));
    await after.waitFor((r) => r.unique === 1, 10_000);
    expect(after.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([1]);
    expect(before.report().unique).toBe(1);

    // A second SIGHUP with nothing changed: one line, nothing else happens.
    child.proc.kill('SIGHUP');
    await eventually(
      'the unchanged reload logged',
      () => logged('config reloaded: file unchanged') === unchangedBefore + 1,
    );
    expect(applied()).toBe(1);
    await post(child.endpoints, event('acme', 2));
    await after.waitFor((r) => r.unique === 2, 10_000);
    expect(child.proc.exitCode).toBeNull();

    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(logged('logdriver stopped')).toBe(1);
  });

  it('without a config file, says there is nothing to reload and keeps running', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    // No --config and no LOGDRIVER_CONFIG: embedded defaults plus environment overrides.
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.LOGDRIVER_CONFIG;
    const proc = spawn(process.execPath, [MAIN, 'run'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        LOGDRIVER_DATA_DIR: join(dir.path, 'data'),
        LOGDRIVER_EVENT_PRODUCER_URL: 'tcp://127.0.0.1:*',
        LOGDRIVER_INGEST_HTTP_LISTEN: '127.0.0.1:0',
        LOGDRIVER_ADMIN_LISTEN: '127.0.0.1:0',
        LOGDRIVER_BUFFER_DISK_RESERVE_BYTES: '256KiB',
        LOGDRIVER_DELIVERY_MAX_BATCH_AGE_MS: '50',
      },
    });
    cleanups.push(() => void proc.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const stderr: string[] = [];
    let stdout = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => stderr.push(...c.toString('utf8').split('\n')));
    await eventually('started', () => stderr.some((l) => l.includes('"logdriver started"')));
    const started = JSON.parse(stderr.find((l) => l.includes('"logdriver started"'))!) as {
      endpoints: Endpoints;
    };

    proc.kill('SIGHUP');
    await eventually('the reload answered', () => stderr.some((l) => l.includes('nothing to reload')));
    await post(started.endpoints, event('acme', 7));
    await eventually('delivered to stdout', () => stdout.includes('"n":7'));
    expect(proc.exitCode).toBeNull();

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
