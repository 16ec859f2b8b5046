// The offline commands: inspect and dlq list/replay/purge on a real data directory, and the lock that keeps
// them (and a second service) away while a service owns the directory.
import { spawnSync } from 'node:child_process';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { MAIN, event, eventually, startInProcess, tempDir, testConfig } from '../support/service.js';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('inspect and dlq commands', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('lists, replays and purges dead letters; refuses a directory in use', async () => {
    const dir = tempDir();
    const sink = await startMockSink({ keepEvents: true, mode: 'reject' });
    cleanups.push(dir.remove, () => sink.close());
    const raw = testConfig(dir.path, { defaultSink: { type: 'http', url: sink.url } });
    let service = await startInProcess(raw);
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    for (let n = 0; n < 5; n++) await push.send(event('acme', n));
    for (let n = 0; n < 3; n++) await push.send(event('beta', n));
    push.close();
    await eventually('dead-lettered', () => service.buffer.stats().deadLetters === 8);

    for (const args of [['inspect'], ['dlq', 'list']]) {
      const inUse = cli(...args, '--data-dir', dir.path);
      expect(inUse.status).toBe(2);
      expect(inUse.stderr).toMatch(
        new RegExp(
          `^logdriver: the service is running: .*locked by a running logdriver \\(process ${process.pid}\\)`,
        ),
      );
      expect(inUse.stderr).not.toMatch(/configuration error/);
    }
    await expect(startInProcess(raw)).rejects.toThrow(/in use by process/);
    await service.stop();

    const inspect = cli('inspect', '--data-dir', dir.path, '--json');
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ events: 0, deadLetters: 8 });

    const list = cli('dlq', 'list', '--data-dir', dir.path, '--tenant', 'acme');
    const letters = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: number; payload: string });
    expect(letters).toHaveLength(5);
    expect(letters.every((l) => l.status === 400)).toBe(true);
    expect(letters.map((l) => (JSON.parse(l.payload) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);

    expect(cli('dlq', 'replay', '--data-dir', dir.path, '--tenant', 'acme').stdout).toContain('replayed 5');
    // A bare purge names nothing, so it deletes nothing.
    const bare = cli('dlq', 'purge', '--data-dir', dir.path);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/--tenant <id> for one tenant, or --all/);
    expect(JSON.parse(cli('inspect', '--data-dir', dir.path, '--json').stdout)).toMatchObject({
      deadLetters: 3,
    });
    expect(cli('dlq', 'purge', '--data-dir', dir.path, '--tenant', 'nobody').stdout).toContain('purged 0');
    expect(cli('dlq', 'purge', '--data-dir', dir.path, '--tenant', 'beta').stdout).toContain('purged 3');
    expect(cli('dlq', 'purge', '--data-dir', dir.path, '--all').stdout).toContain('purged 0');
    expect(JSON.parse(cli('inspect', '--data-dir', dir.path, '--json').stdout)).toMatchObject({
      events: 5,
      deadLetters: 0,
    });

    sink.set({ mode: 'ok' });
    service = await startInProcess(raw);
    cleanups.push(() => service.stop());
    await sink.waitFor((r) => r.unique === 5, 20_000);
    expect(sink.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
  });
});
