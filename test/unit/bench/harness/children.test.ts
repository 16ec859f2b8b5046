// Child processes: readiness lines, failures before readiness, stopping by pid (SIGTERM, then SIGKILL).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ChildSet } from '../../../../bench/harness/children.js';

// A stand-in "CLI": `ready` prints a line and waits; `stubborn` ignores SIGTERM; `fail` exits at once.
const SCRIPT = `
const mode = process.argv[2];
if (mode === 'fail') { console.error('bad config'); process.exit(3); }
if (mode === 'stubborn') process.on('SIGTERM', () => {});
console.error('warming up');
setTimeout(() => console.log('listening on http://127.0.0.1:4242'), 50);
setInterval(() => {}, 1000);
`;

const dir = mkdtempSync(join(tmpdir(), 'bench-children-'));
const cli = join(dir, 'cli.mjs');
writeFileSync(cli, SCRIPT);
const set = new ChildSet(cli);
const parse = (line: string): string | undefined => /^listening on (\S+)/.exec(line)?.[1];

afterEach(async () => {
  await set.stopAll(500);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ChildSet', () => {
  it('resolves ready with the value parsed from the readiness line and logs output to a file', async () => {
    const log = join(dir, 'ready.log');
    const child = set.spawn('c', ['ready'], { ready: parse, logFile: log });
    expect(await child.ready).toBe('http://127.0.0.1:4242');
    expect(set.size).toBe(1);
    expect(child.exitInfo()).toBeUndefined();
    const exit = await child.stop();
    expect(exit.signal).toBe('SIGTERM');
    expect(set.size).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(log, 'utf8')).toContain('warming up');
  });

  it('rejects ready when the child exits first, with its stderr', async () => {
    const child = set.spawn('f', ['fail'], { ready: parse });
    await expect(child.ready).rejects.toThrow(/exited \(code 3.*\n.*bad config/s);
    expect((await child.exited).code).toBe(3);
    expect(child.exitInfo()).toEqual({ code: 3, signal: null });
  });

  it('rejects ready after the timeout', async () => {
    const child = set.spawn('slow', ['ready'], { ready: () => undefined, readyTimeoutMs: 200 });
    await expect(child.ready).rejects.toThrow(/not ready after 200 ms/);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const child = set.spawn('s', ['stubborn'], { ready: parse });
    await child.ready;
    const exit = await child.stop('SIGTERM', 300);
    expect(exit.signal).toBe('SIGKILL');
  });

  it('stopAll and killAllSync end every live child', async () => {
    const a = set.spawn('a', ['ready'], { ready: parse });
    const b = set.spawn('b', ['stubborn'], { ready: parse });
    await Promise.all([a.ready, b.ready]);
    await set.stopAll(300);
    expect(set.size).toBe(0);
    expect((await a.exited).signal).toBe('SIGTERM');
    expect((await b.exited).signal).toBe('SIGKILL');

    const c = set.spawn('c', ['stubborn'], { ready: parse });
    await c.ready;
    set.killAllSync();
    expect((await c.exited).signal).toBe('SIGKILL');
  });

  it('keeps stdout for summary lines', async () => {
    const child = set.spawn('o', ['ready'], { ready: parse });
    await child.ready;
    expect(child.stdout()).toContain('listening on');
    await child.stop();
  });
});
