// Integration: `logdriver gen` and `logdriver send` run in-process against loopback receivers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { Pull } from 'zeromq';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateEvents } from '../../../../src/tools/load/index.js';
import { genCommand } from '../../../../src/cli/gen.js';
import { sendCommand } from '../../../../src/cli/send.js';

const dir = mkdtempSync(join(tmpdir(), 'logdriver-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let stdout: string[];
let stderr: string[];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined; // the commands set it; it must not leak into the test runner's exit
});

/** Runs one subcommand as `logdriver <args>`; commander errors throw instead of exiting. */
async function run(make: () => Command, args: string[]): Promise<void> {
  const sub = make()
    .exitOverride()
    .configureOutput({ writeErr: (s) => stderr.push(s), writeOut: (s) => stdout.push(s) });
  await new Command('logdriver').addCommand(sub).parseAsync(args, { from: 'user' });
}

describe('logdriver gen', () => {
  it('writes the same NDJSON as generateEvents with the mapped flags, identically on every run', async () => {
    const a = join(dir, 'a.ndjson');
    const b = join(dir, 'b.ndjson');
    const flags = ['--count', '500', '--tenants', '5', '--skew', '0.5', '--size', '800', '--seed', '9'];
    await run(genCommand, ['gen', ...flags, '--out', a]);
    await run(genCommand, ['gen', ...flags, '--out', b]);
    const expected = [...generateEvents({ count: 500, tenants: 5, skew: 0.5, meanBytes: 800, seed: 9 })]
      .map((e) => `${String(e)}\n`)
      .join('');
    expect(readFileSync(a, 'utf8')).toBe(expected);
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(stderr.join('')).toMatch(/wrote 500 events to .*a\.ndjson/);
    expect(process.exitCode).toBeUndefined();
  });

  it('writes to stdout without --out', async () => {
    await run(genCommand, ['gen', '--count', '3', '--seed', '1']);
    const lines = stdout.join('').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(
      lines.slice(0, 3).every((l) => typeof (JSON.parse(l) as { tenantId: unknown }).tenantId === 'string'),
    ).toBe(true);
  });

  it('rejects a non-numeric count with a clear error', async () => {
    const err = await run(genCommand, ['gen', '--count', 'abc']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect(stderr.join('')).toMatch(/--count <n>.*'abc' is invalid.*expected an integer/);
  });

  it('reports an unwritable output path and sets a failing exit code', async () => {
    await run(genCommand, ['gen', '--count', '3', '--out', join(dir, 'missing', 'x.ndjson')]);
    expect(process.exitCode).toBe(1);
    expect(stderr.join('')).toMatch(/logdriver gen: .*ENOENT/);
  });
});

describe('logdriver send', () => {
  it('sends generated events over ZeroMQ and prints a one-line summary', async () => {
    const pull = new Pull();
    await pull.bind('tcp://127.0.0.1:*');
    try {
      const got: Buffer[] = [];
      const receiving = (async () => {
        while (got.length < 100) got.push(...(await pull.receive()));
      })();
      await run(sendCommand, ['send', '--zmq', pull.lastEndpoint ?? '', '--count', '100', '--seed', '3']);
      await receiving;
      expect(got).toHaveLength(100);
      expect(stdout.join('')).toMatch(
        /^sent 100 events \(0 failed\) to zmq tcp:\/\/127\.0\.0\.1:\d+ .*events\/s.*no ack/,
      );
      expect(process.exitCode).toBeUndefined();
    } finally {
      pull.close();
    }
  });

  describe('over HTTP', () => {
    let server: Server;
    let url: string;
    const requests: { auth: string | undefined; lines: number }[] = [];
    let status = 200;
    beforeEach(async () => {
      requests.length = 0;
      status = 200;
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += String(c)));
        req.on('end', () => {
          requests.push({ auth: req.headers.authorization, lines: body.split('\n').filter(Boolean).length });
          res.writeHead(status).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((r) => server.close(() => r())));

    it('sends a file in batches with the token from the environment', async () => {
      const file = join(dir, 'send.ndjson');
      await run(genCommand, ['gen', '--count', '45', '--out', file]);
      vi.stubEnv('LOGDRIVER_INGEST_HTTP_TOKEN', 'tok');
      await run(sendCommand, ['send', '--http', url, '--file', file, '--batch', '10', '--concurrency', '2']);
      expect(requests.reduce((n, r) => n + r.lines, 0)).toBe(45);
      expect(requests.every((r) => r.auth === 'Bearer tok')).toBe(true);
      expect(stdout.join('')).toMatch(/^sent 45 events \(0 failed\) to http .*HTTP 2xx = durable, 0 retries/);
    });

    it('takes the target from LOGDRIVER_EVENT_PRODUCER_URL', async () => {
      vi.stubEnv('LOGDRIVER_EVENT_PRODUCER_URL', url);
      await run(sendCommand, ['send', '--count', '7']);
      expect(requests.reduce((n, r) => n + r.lines, 0)).toBe(7);
    });

    it('exits 1 and names the error when events are refused', async () => {
      status = 400;
      await run(sendCommand, ['send', '--http', url, '--count', '5']);
      expect(process.exitCode).toBe(1);
      expect(stdout.join('')).toMatch(/sent 0 events \(5 failed\)/);
      expect(stderr.join('')).toMatch(/HTTP 400/);
    });
  });

  it.each([
    [['--zmq', 'http://127.0.0.1:1'], /--zmq expects tcp:\/\/ or ipc:\/\//],
    [['--http', 'tcp://127.0.0.1:1'], /--http expects http:\/\/ or https:\/\//],
    [['--zmq', 'tcp://127.0.0.1:1', '--batch', '5'], /--batch applies only to an HTTP target/],
    [['--http', 'http://127.0.0.1:1', '--hwm', '5'], /--hwm applies only to a ZeroMQ target/],
  ])('refuses %j with exit code 2', async (args, message) => {
    await run(sendCommand, ['send', ...args]);
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toMatch(message);
  });

  it('refuses an unknown scheme from the environment', async () => {
    vi.stubEnv('LOGDRIVER_EVENT_PRODUCER_URL', 'udp://127.0.0.1:1');
    await run(sendCommand, ['send']);
    expect(process.exitCode).toBe(2);
    expect(stderr.join('')).toMatch(/unsupported target "udp:/);
  });

  it.each([
    [['--zmq', 'tcp://127.0.0.1:1', '--http', 'http://127.0.0.1:1'], /cannot be used with/],
    [['--file', 'x.ndjson', '--count', '5'], /cannot be used with/],
    [['--rate', 'fast'], /'fast' is invalid/],
    [['--concurrency', '0'], /expected an integer from 1/],
  ])('rejects flags %j before sending', async (args, message) => {
    const err = await run(sendCommand, ['send', ...args]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect(stderr.join('')).toMatch(message);
  });
});
