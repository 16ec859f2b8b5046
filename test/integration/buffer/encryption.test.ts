// Encryption at rest as an operator meets it, through the built CLI: a running service leaves no clear text on
// disk; a tampered chunk is dead-lettered with its reason while the rest is delivered; a wrong key stops the
// start with one line and exit code 2; rotation, `logdriver rekey`, then the old key removed.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../../src/buffer/index.js';
import { startMockSink } from '../../../src/tools/mock-sink/index.js';
import {
  MAIN,
  event,
  eventually,
  httpBase,
  startChild,
  tempDir,
  testConfig,
  type ServiceProcess,
} from '../../support/service.js';

const MARKER = 'PLAINTEXT-CANARY-91c2';

/** Runs a CLI subcommand to its end. */
function cli(args: string[]): { status: number | null; stdout: string; lines: string[] } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  return {
    status: r.status,
    stdout: String(r.stdout),
    lines: String(r.stderr)
      .split('\n')
      .filter((l) => l !== ''),
  };
}

describe('encryption at rest (service and CLI)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  function setup() {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const keyFile = (name: string) => {
      const file = join(dir.path, name);
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      return file;
    };
    return { dir: dir.path, dataDir: join(dir.path, 'data'), keyFile };
  }

  async function stop(child: ServiceProcess): Promise<void> {
    // `run` installs its SIGTERM handler a moment after it logs "logdriver started"; a SIGTERM sent at once
    // can land before it (and end the process by the default action).
    await new Promise((r) => setTimeout(r, 200));
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  }

  it('stores no clear text, dead-letters a tampered chunk, rotates and rekeys', async () => {
    const { dir, dataDir, keyFile } = setup();
    const k1 = keyFile('k1.key');
    // Every send fails until the sink is told otherwise: events stay in the buffer.
    const sink = await startMockSink({ keepEvents: true, failRate: 1 });
    cleanups.push(() => sink.close());
    const config = (keys: { id: string; keyFile: string }[]) =>
      testConfig(dataDir, {
        ingest: { zmq: { enabled: false } },
        defaultSink: { type: 'http', url: sink.url },
        delivery: { batchSize: 10 },
        buffer: { encryption: { keys } },
      });
    const configFile = (keys: { id: string; keyFile: string }[]) => {
      const file = join(dir, `config-${keys.map((k) => k.id).join('-')}.json`);
      writeFileSync(file, JSON.stringify(config(keys)));
      return file;
    };

    let child = await startChild(config([{ id: 'k1', keyFile: k1 }]), dir);
    cleanups.push(() => void child.proc.kill('SIGKILL'));
    // Three requests: three commits, so acme has three chunks of 10.
    for (let r = 0; r < 3; r++) {
      const body = Array.from({ length: 10 }, (_, i) =>
        event('acme', r * 10 + i, { note: `${MARKER}-${r * 10 + i}` }),
      ).join('\n');
      const res = await request(`${httpBase(child.endpoints)}/v1/events`, { method: 'POST', body });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    }
    const files = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].map((f) => join(dataDir, f));
    const noClearText = () => {
      for (const f of files.filter((x) => existsSync(x)))
        expect(readFileSync(f).includes(MARKER), `clear text in ${f}`).toBe(false);
    };
    noClearText();
    await stop(child);
    noClearText();

    // One bit of the second chunk's ciphertext flipped on disk.
    const db = new Database(join(dataDir, DB_FILE));
    const ids = db.prepare<[], { id: number }>('SELECT id FROM chunks ORDER BY id').all();
    expect(ids).toHaveLength(3);
    const mid = ids[1]!.id;
    const { lines } = db
      .prepare<[number], { lines: Buffer }>('SELECT lines FROM chunk_lines WHERE id = ?')
      .get(mid)!;
    lines[40]! ^= 0x10;
    db.prepare('UPDATE chunk_lines SET lines = ? WHERE id = ?').run(lines, mid);
    db.close();

    sink.set({ failRate: 0 });
    child = await startChild(config([{ id: 'k1', keyFile: k1 }]), dir);
    const delivered = () => sink.received('acme').map((r) => (r.event as { n: number }).n);
    await eventually('the untampered chunks delivered', () => delivered().length >= 20);
    await new Promise((r) => setTimeout(r, 300));
    expect([...new Set(delivered())].sort((a, b) => a - b)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => i + 20),
    ]);
    expect(child.stderr.join('\n')).toContain(`chunk ${mid} failed authentication`);
    await stop(child);

    const list = cli(['dlq', 'list', '--config', configFile([{ id: 'k1', keyFile: k1 }])]);
    expect(list.status, list.lines.join('\n')).toBe(0);
    const letters = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tenant: string; reason: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.tenant).toBe('acme');
    expect(letters[0]!.reason).toMatch(
      new RegExp(`^chunk ${mid} failed authentication \\(tampered.*\\): its 10 events \\(seq 11 onwards\\)`),
    );

    // Rotation: k2 first encrypts new records, k1 still decrypts; then rekey, then k1 leaves the config.
    const k2 = keyFile('k2.key');
    sink.set({ failRate: 1 });
    child = await startChild(
      config([
        { id: 'k2', keyFile: k2 },
        { id: 'k1', keyFile: k1 },
      ]),
      dir,
    );
    const res = await request(`${httpBase(child.endpoints)}/v1/events`, {
      method: 'POST',
      body: event('beta', 1, { note: MARKER }),
    });
    await res.body.dump();
    await stop(child);
    const rotated = configFile([
      { id: 'k2', keyFile: k2 },
      { id: 'k1', keyFile: k1 },
    ]);
    const rekey = cli(['rekey', '--config', rotated]);
    expect(rekey.status, rekey.lines.join('\n')).toBe(0);
    expect(rekey.stdout).toBe('rekeyed 0 chunks and 1 dead letters to key k2\n');
    const inspect = cli(['inspect', '--config', configFile([{ id: 'k2', keyFile: k2 }])]);
    expect(inspect.status, inspect.lines.join('\n')).toBe(0);
    expect(inspect.stdout).toMatch(
      /encryption +on, new records with key k2; stored under k2: 1 chunks, 1 dead letters/,
    );
    // Without k1 in the config, the service starts and delivers what is left.
    sink.set({ failRate: 0 });
    child = await startChild(config([{ id: 'k2', keyFile: k2 }]), dir);
    await eventually('beta delivered', () => sink.received('beta').length === 1);
    await stop(child);
  });

  it('refuses to start with a wrong key, or without the key stored rows need: one line, exit code 2', async () => {
    const { dir, dataDir, keyFile } = setup();
    const k1 = keyFile('k1.key');
    // A sink that fails every send: the event stays stored (encrypted) across the stop.
    const sink = await startMockSink({ failRate: 1 });
    cleanups.push(() => sink.close());
    const raw = (keys: unknown) =>
      testConfig(dataDir, {
        ingest: { zmq: { enabled: false } },
        defaultSink: { type: 'http', url: sink.url },
        log: { level: 'info' },
        ...(keys === undefined ? {} : { buffer: { encryption: { keys } } }),
      });
    const child = await startChild(raw([{ id: 'k1', keyFile: k1 }]), dir);
    cleanups.push(() => void child.proc.kill('SIGKILL'));
    const res = await request(`${httpBase(child.endpoints)}/v1/events`, {
      method: 'POST',
      body: event('acme', 1),
    });
    await res.body.dump();
    await stop(child);

    const run = (keys: unknown) => {
      const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(raw(keys)));
      return cli(['run', '--config', file]);
    };
    const expectOneLine = (o: ReturnType<typeof run>, text: string) => {
      expect(o.lines, o.lines.join('\n')).toHaveLength(1);
      expect(o.lines[0]).toContain(`logdriver: cannot start: ${text}`);
      expect(o.status).toBe(2);
    };
    expectOneLine(
      run([{ id: 'k1', keyFile: keyFile('wrong.key') }]),
      'buffer.encryption key "k1" is not the key this buffer was encrypted with under that id',
    );
    expectOneLine(
      run(undefined),
      'the buffer holds records encrypted with key "k1" (1 chunks, 0 dead letters) and buffer.encryption is not configured',
    );
    expectOneLine(
      run([{ id: 'k1', keyFile: join(dir, 'missing.key') }]),
      `buffer.encryption.keys[0] (id "k1"): cannot read keyFile ${join(dir, 'missing.key')} (ENOENT)`,
    );
    // The right key still starts it.
    const again = await startChild(raw([{ id: 'k1', keyFile: k1 }]), dir);
    await stop(again);
  });
});
