// `logdriver send --zmq` to a receiver that is down fails within its send timeout, with a clear error and exit
// code, while a connected receiver that pushes back is waited for.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Pull } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents, sendEvents } from '../../../../src/tools/load/index.js';
import { MAIN } from '../../../support/service.js';

const open: Pull[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs the built CLI; resolves with its exit code, output and run time (or null code when it had to be killed). */
function cli(args: string[], killAfterMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('send --zmq with no receiver', () => {
  it('fails after the default 10 s with exit code 1 and says why, instead of blocking forever', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const r = await cli(['send', '--zmq', endpoint, '--count', '5000'], 25_000);
    expect(r.code).toBe(1);
    expect(r.ms).toBeGreaterThanOrEqual(9_000);
    expect(r.ms).toBeLessThan(20_000);
    expect(r.stdout).toMatch(/^sent 0 events/);
    expect(r.stderr).toContain(`${endpoint}: no receiver took a message for 10000 ms; is logdriver running`);
  }, 30_000);

  it('honours --send-timeout, even for fewer events than the high-water mark', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const r = await cli(['send', '--zmq', endpoint, '--count', '10', '--send-timeout', '300'], 15_000);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8_000); // no 10 s linger on messages queued towards nobody
    expect(r.stderr).toContain('no receiver took a message for 300 ms');
  }, 20_000);
});

describe('sendEvents over ZeroMQ', () => {
  it('waits for a connected receiver that pushes back rather than failing at the timeout', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const pull = new Pull({ receiveHighWaterMark: 5 });
    open.push(pull);
    await pull.bind(endpoint);
    const sending = sendEvents(generateEvents({ count: 2000, meanBytes: 2000 }), {
      kind: 'zmq',
      endpoint,
      sendHighWaterMark: 5,
      sendTimeoutMs: 100,
      // Long enough to flush: with 0 the last queued messages are dropped at close and the loop below waits
      // for them forever (seen on a loaded machine).
      lingerMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 800)); // several timeouts long, with the receiver not reading
    // Fails fast (instead of waiting on receive) if the sender gave up.
    const gaveUp = sending.then((s) =>
      s.failed > 0 ? Promise.reject(new Error(`send gave up: ${s.error}`)) : new Promise<never>(() => {}),
    );
    let received = 0;
    while (received < 2000) {
      await Promise.race([pull.receive(), gaveUp]);
      received++;
    }
    const stats = await sending;
    expect(stats.failed).toBe(0);
    expect(stats.sent).toBe(2000);
  });
});
