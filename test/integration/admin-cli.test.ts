// `logdriver status --url`, `dlq … --url` and `inspect --url` against a running service with an admin token;
// one-line errors (exit code 2) when the service is unreachable or refuses the token.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import {
  MAIN,
  event,
  eventually,
  httpBase,
  startChild,
  tempDir,
  testConfig,
  type ServiceProcess,
} from '../support/service.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, asynchronously: the mock sink in this process keeps answering meanwhile. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LOGDRIVER_ADMIN_TOKEN: '', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code: code ?? child.exitCode, stdout, stderr });
      },
    );
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('CLI against the admin API', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('status, dlq list/replay/purge and inspect with --url; clear errors for a refused token or no service', async () => {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true, mode: 'reject' });
    cleanups.push(dir.remove, () => sink.close());
    const token = `cli-${randomBytes(12).toString('hex')}`;
    const raw = testConfig(`${dir.path}/data`, { defaultSink: { type: 'http', url: sink.url } });
    const child: ServiceProcess = await startChild(raw, dir.path, { LOGDRIVER_ADMIN_TOKEN: token });
    cleanups.push(async () => {
      if (child.proc.exitCode !== null) return;
      child.proc.kill('SIGTERM');
      await child.exited;
    });
    const url = `http://127.0.0.1:${child.endpoints.admin!.port}`;
    const body = [0, 1, 2].map((n) => event('acme', n)).join('\n');
    const res = await request(`${httpBase(child.endpoints)}/v1/events`, { method: 'POST', body });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await eventually('3 dead letters', async () => {
      const r = await request(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.body.json()) as { buffer: { deadLetters: number } }).buffer.deadLetters === 3;
    });
    const withToken = { LOGDRIVER_ADMIN_TOKEN: token };

    // Independent read-only runs at once (each CLI start loads the whole binary).
    const [noToken, wrong, gone, status, list] = await Promise.all([
      cli({}, 'status', '--url', url),
      cli({}, 'status', '--url', url, '--token', 'wrong-token'),
      closedPort().then((port) => cli(withToken, 'status', '--url', `http://127.0.0.1:${port}`)),
      cli(withToken, 'status', '--url', url),
      cli(withToken, 'dlq', 'list', '--url', url, '--tenant', 'acme', '--limit', '1000'),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^logdriver status: the admin API at .* requires a token \(401\)/);
    expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/refused the token \(401\)/);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^logdriver status: cannot reach the admin API at .*: connection refused/);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);

    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('logdriver 0.1.0 at');
    expect(status.stdout).toMatch(/3 dead letters/);
    expect(status.stdout).toMatch(/^acme\s+0\s+0 B\s+-\s+3 http/m);
    expect(list.code, list.stderr).toBe(0);
    const letters = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tenant: string; status: number; payload: string });
    expect(letters.map((l) => (JSON.parse(l.payload) as { n: number }).n)).toEqual([0, 1, 2]);
    expect(letters.every((l) => l.tenant === 'acme' && l.status === 400)).toBe(true);

    sink.set({ mode: 'ok' });
    const replay = await cli(withToken, 'dlq', 'replay', '--url', url, '--tenant', 'acme');
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe('replayed 3 dead letters\n');
    await sink.waitFor((r) => r.unique === 3, 20_000);
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([0, 1, 2]);
    const [purge, inspect] = await Promise.all([
      cli(withToken, 'dlq', 'purge', '--url', url, '--all'),
      cli(withToken, 'inspect', '--url', url, '--json'),
    ]);
    expect(purge.stdout).toBe('purged 0 dead letters\n');
    expect(inspect.code, inspect.stderr).toBe(0);
    // (acme may or may not still have an idle lane: only the status is certain.)
    expect(JSON.parse(inspect.stdout)).toMatchObject({ status: { buffer: { deadLetters: 0, events: 0 } } });

    // The token never reached the service's log.
    for (const line of child.stderr) expect(line).not.toContain(token);
  });
});
