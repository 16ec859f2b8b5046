// `logdriver top --once` against a running service: one plain-text frame of its tenants by backlog; one-line
// errors (exit code 2) for a refused token or no service.
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

/** The built CLI, asynchronously (stdout is a pipe: not a terminal). */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { encoding: 'utf8', timeout: 15_000, env: { ...process.env, LOGDRIVER_ADMIN_TOKEN: '', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code: code ?? child.exitCode, stdout, stderr });
      },
    );
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('logdriver top against the admin API', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('--once prints the tenants sorted by backlog; a wrong token or no service is one line and exit 2', async () => {
    const dir = tempDir();
    // A sink that is down: every event stays stored and every tenant retrying (failing).
    const sink = await startMockSink({ mode: 'down' });
    cleanups.push(dir.remove, () => sink.close());
    const token = `top-${randomBytes(12).toString('hex')}`;
    const raw = testConfig(`${dir.path}/data`, { defaultSink: { type: 'http', url: sink.url } });
    const child: ServiceProcess = await startChild(raw, dir.path, { LOGDRIVER_ADMIN_TOKEN: token });
    cleanups.push(async () => {
      if (child.proc.exitCode !== null) return;
      child.proc.kill('SIGTERM');
      await child.exited;
    });
    const url = `http://127.0.0.1:${child.endpoints.admin!.port}`;
    const counts: Record<string, number> = { acme: 3, globex: 5, initech: 1 };
    const body = Object.entries(counts)
      .flatMap(([tenant, n]) => Array.from({ length: n }, (_, i) => event(tenant, i)))
      .join('\n');
    const res = await request(`${httpBase(child.endpoints)}/v1/events`, { method: 'POST', body });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await eventually('every tenant stored and retrying', async () => {
      const r = await request(`${url}/v1/tenants?sort=backlog`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const page = (await r.body.json()) as { tenants: { tenant: string; events: number; state: string }[] };
      return (
        page.tenants.length === 3 &&
        page.tenants.every((t) => t.events === counts[t.tenant] && t.state === 'retrying')
      );
    });

    const [top, wrong, gone] = await Promise.all([
      cli({ LOGDRIVER_ADMIN_TOKEN: token }, 'top', '--once', '--url', url),
      cli({}, 'top', '--once', '--url', url, '--token', 'wrong-token'),
      closedPort().then((port) => cli({}, 'top', '--url', `http://127.0.0.1:${port}`, '--token', token)),
    ]);

    expect(top.code, top.stderr).toBe(0);
    expect(top.stderr).toBe('');
    expect(top.stdout).toMatch(/^logdriver 0\.1\.0 at http:\/\/127\.0\.0\.1:\d+ {2}up \S+ {2}ready/);
    expect(top.stdout).toMatch(/^stored {2}9 events .* 3 tenants {2}0 dead letters/m);
    const rows = top.stdout.split('\n').filter((l) => /^! (acme|globex|initech) /.test(l));
    expect(rows.map((l) => l.split(/\s+/)[1])).toEqual(['globex', 'acme', 'initech']);
    expect(rows.map((l) => l.split(/\s+/)[3])).toEqual(['5', '3', '1']);
    for (const l of rows) expect(l).toMatch(/ retrying /);
    expect(top.stdout.trimEnd().split('\n').at(-1)).toMatch(/^sorted by backlog; 3 of 3 tenants/);

    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/^logdriver top: the admin API at .* refused the token \(401\)/);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^logdriver top: cannot reach the admin API at .*: connection refused/);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);

    // The token never reached the service's log.
    for (const line of child.stderr) expect(line).not.toContain(token);
  });
});
