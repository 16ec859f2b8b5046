// `logdriver mock-sink` run in-process: the ready line, the stderr summary, and the final report on stop.
import { afterEach, describe, it, expect, vi } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockSinkCommand, stopMockSinkCli } from '../../../../src/cli/mock-sink.js';
import type { MockSinkReport } from '../../../../src/tools/mock-sink/index.js';
import { envs, ndjson, post } from './helpers.js';

/** Captures what the command writes to stdout/stderr (string chunks only) without printing it. */
function capture(): { out: string[]; err: string[]; restore: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
  return {
    out,
    err,
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
}

const initialExitCode = process.exitCode;
let dir: string | undefined;
afterEach(async () => {
  await stopMockSinkCli();
  vi.restoreAllMocks();
  process.exitCode = initialExitCode;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('logdriver mock-sink', () => {
  it('with --protocol syslog, prints the syslog receiver line after the listening line', async () => {
    const io = capture();
    await mockSinkCommand().parseAsync(['--port', '0', '--protocol', 'syslog', '--summary-ms', '0'], {
      from: 'user',
    });
    const m = /^syslog on tcp:\/\/127\.0\.0\.1:(\d+)\n$/.exec(io.out[1] ?? '');
    expect(m).not.toBeNull();
    const url = /^listening on (\S+)\n$/.exec(io.out[0] ?? '')![1]!;
    await stopMockSinkCli();
    io.restore();
    const report = JSON.parse(io.out[io.out.length - 1]!) as MockSinkReport;
    expect(report).toMatchObject({ protocol: 'syslog', syslogPort: Number(m![1]) });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('prints the listening line, serves with its flags, and writes the final report on stop', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mock-sink-cli-'));
    const reportFile = join(dir, 'report.json');
    const io = capture();
    await mockSinkCommand().parseAsync(
      [
        '--port',
        '0',
        '--mode',
        'throttle',
        '--retry-after',
        '9',
        '--summary-ms',
        '50',
        '--report-file',
        reportFile,
      ],
      { from: 'user' },
    );
    const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(io.out[0] ?? '');
    expect(m).not.toBeNull();
    const url = m![1]!;

    const throttled = await post(url, ndjson(envs('acme', [1])));
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '9']);
    await post(`${url}/_control`, '{"mode":"ok"}');
    expect((await post(url, ndjson(envs('acme', [1, 2])))).status).toBe(200);
    await vi.waitFor(() => expect(io.err.join('')).toMatch(/mock-sink: requests 2 events 2 .*non2xx 429:1/), {
      timeout: 5_000,
    });

    await stopMockSinkCli();
    io.restore();
    const printed = JSON.parse(io.out[io.out.length - 1]!) as MockSinkReport;
    expect(printed).toMatchObject({
      requests: 2,
      events: 2,
      unique: 2,
      statusCounts: { '429': 1, '200': 1 },
    });
    expect(JSON.parse(await readFile(reportFile, 'utf8'))).toEqual(printed);
    expect(process.exitCode).toBe(0);
    // The server is gone once stopped.
    await expect(post(url, ndjson(envs('acme', [3])))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops on SIGTERM through the handler it installs, and removes its signal handlers', async () => {
    const before = new Set(process.listeners('SIGTERM'));
    const sigintBefore = process.listenerCount('SIGINT');
    const io = capture();
    await mockSinkCommand().parseAsync(['--port', '0', '--outage', '0-60000:2', '--summary-ms', '0'], {
      from: 'user',
    });
    const url = /listening on (\S+)/.exec(io.out[0] ?? '')![1]!;
    const outage = await post(url, ndjson(envs('acme', [1])));
    expect([outage.status, outage.headers['retry-after']]).toEqual([503, '2']);

    const added = process.listeners('SIGTERM').filter((l) => !before.has(l));
    expect(added).toHaveLength(1);
    // Call the installed handler directly: emitting a real SIGTERM would reach the test runner's own handlers.
    (added[0] as () => void)();
    await vi.waitFor(() => expect(io.out.length).toBe(2), { timeout: 5_000 });
    io.restore();
    expect(JSON.parse(io.out[1]!)).toMatchObject({ requests: 1, events: 0, statusCounts: { '503': 1 } });
    expect(process.listeners('SIGTERM').filter((l) => !before.has(l))).toHaveLength(0);
    expect(process.listenerCount('SIGINT')).toBe(sigintBefore);
    expect(process.exitCode).toBe(0);
  });

  it('sets a non-zero exit code and says why when it cannot start', async () => {
    const io = capture();
    await mockSinkCommand().parseAsync(['--host', '10.0.0.1', '--port', '0'], { from: 'user' });
    io.restore();
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toMatch(/loopback only/);
    expect(process.exitCode).toBe(1);
  });

  it('rejects malformed flags through commander', async () => {
    for (const args of [
      ['--fail-rate', '3'],
      ['--outage', '20-10'],
      ['--latency', 'fast'],
      ['--mode', 'x'],
    ]) {
      const cmd = mockSinkCommand()
        .exitOverride()
        .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
      await expect(cmd.parseAsync(['--port', '0', ...args], { from: 'user' })).rejects.toMatchObject({
        code: expect.stringMatching(/^commander\.invalid/) as unknown,
      });
    }
  });
});
