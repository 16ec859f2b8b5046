// The syslog sink against a real rsyslogd (started here as a child process on a free loopback port, writing
// what it parsed to a file): framing, structured data and MSG arrive exactly as sent, over plain TCP and
// over TLS (gtls driver, certificates made with openssl), and a restart of rsyslogd mid-stream loses nothing.
// rsyslogd must be installed (CI installs rsyslog and rsyslog-gnutls): without it this test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { SyslogSink, type SyslogSinkConfig } from '../../../src/sinks/syslog/index.js';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { issueCert, makeCa } from '../../support/certs.js';
import { tempDir } from '../../support/service.js';
import { parseMessage, sdOf, type ParsedSyslog } from '../../support/syslog-parse.js';

function findRsyslogd(): string {
  const candidates = [
    process.env.RSYSLOGD,
    '/usr/sbin/rsyslogd',
    '/sbin/rsyslogd',
    '/usr/local/sbin/rsyslogd',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error(
    'rsyslogd not found (looked at $RSYSLOGD, /usr/sbin, /sbin, /usr/local/sbin): install rsyslog and ' +
      'rsyslog-gnutls (apt-get install rsyslog rsyslog-gnutls) to run this test',
  );
}

interface Rsyslog {
  readonly port: number;
  readonly out: string;
  proc: ChildProcess;
  stderr: string;
}

let dir: ReturnType<typeof tempDir>;
const started: ChildProcess[] = [];
const sinks: SyslogSink[] = [];

beforeEach(() => {
  dir = tempDir('logdriver-rsyslog-');
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  // Only the rsyslogd processes this file started, by their pid.
  await Promise.all(started.splice(0).map((p) => stop(p)));
  dir.remove();
});

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function writeConf(port: number, out: string, tls?: { ca: string; cert: string; key: string }): string {
  const conf = join(dir.path, 'rsyslog.conf');
  const global = [
    `workDirectory="${dir.path}"`,
    'maxMessageSize="64k"',
    ...(tls
      ? [
          `defaultNetstreamDriverCAFile="${tls.ca}"`,
          `defaultNetstreamDriverCertFile="${tls.cert}"`,
          `defaultNetstreamDriverKeyFile="${tls.key}"`,
        ]
      : []),
  ];
  const driver = tls ? ' streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"' : '';
  writeFileSync(
    conf,
    [
      `global(${global.join(' ')})`,
      `module(load="imtcp"${driver})`,
      'template(name="fields" type="string" string="%msgid% %structured-data% %msg%\\n")',
      `input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="out")`,
      `ruleset(name="out") { action(type="omfile" file="${out}" template="fields") }`,
      '',
    ].join('\n'),
  );
  return conf;
}

/** Starts rsyslogd in the foreground with its own config and pid file; resolves once it accepts connections. */
async function startRsyslog(
  port: number,
  out: string,
  tls?: { ca: string; cert: string; key: string },
): Promise<Rsyslog> {
  const bin = findRsyslogd();
  const conf = writeConf(port, out, tls);
  const proc = spawn(bin, ['-n', '-f', conf, '-i', join(dir.path, 'rsyslogd.pid')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(proc);
  const r: Rsyslog = { port, out, proc, stderr: '' };
  proc.stderr.on('data', (d: Buffer) => (r.stderr += d.toString()));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`rsyslogd exited (${proc.exitCode}): ${r.stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return r;
    if (i > 200) throw new Error(`rsyslogd did not listen on ${port}: ${r.stderr}`);
    await sleep(25);
  }
}

/** The output lines as parsed messages: "%msgid% %structured-data% %msg%" read with a header in front. */
function received(out: string): ParsedSyslog[] {
  if (!existsSync(out)) return [];
  const text = readFileSync(out);
  const lines: Buffer[] = [];
  for (let at = 0; at < text.length;) {
    const lf = text.indexOf(0x0a, at);
    if (lf === -1) break; // a line still being written
    lines.push(text.subarray(at, lf));
    at = lf + 1;
  }
  return lines.map((l) => parseMessage(Buffer.concat([Buffer.from('<86>1 - h a - '), l])));
}

let seq = 0;
function events(n: number): SinkEvent[] {
  const tenants = ['acme', 'ac"me\\x]', 'globex ü 日本'];
  return Array.from({ length: n }, () => {
    const i = seq++;
    const tenant = tenants[i % tenants.length]!;
    const name = i % 5 === 0 ? 'DATA_DENY_ACCESS' : 'USER_LOGIN';
    const payload = JSON.stringify({
      tenantId: tenant,
      timestampMillis: 1764000000000 + i,
      iclFields: { event: name, requestingId: 'svc-billing', sourceIp: '10.1.2.3', objectId: `doc-${i}` },
      customFields: { note: 'quote " backslash \\ bracket ] grüße 🔐', n: i },
    });
    return { id: `r-${i}`, tenant, receivedAt: 1764000000000, payload: Buffer.from(payload) };
  });
}

function syslogSink(port: number, extra: Record<string, unknown>): SyslogSink {
  const cfg = sinkSchema.parse({ type: 'syslog', host: '127.0.0.1', port, timeoutMs: 5000, ...extra });
  const s = new SyslogSink(cfg as SyslogSinkConfig, { initialMs: 20, maxMs: 200 });
  sinks.push(s);
  return s;
}

function expectExact(got: ParsedSyslog[], sent: SinkEvent[]): void {
  const byId = new Map(sent.map((e) => [e.id, e]));
  for (const p of got) {
    const { id, tenant } = sdOf(p);
    const e = byId.get(id);
    expect(e, `unexpected id ${id}`).toBeDefined();
    expect(tenant).toBe(e!.tenant);
    expect(p.msgId).toBe(
      (JSON.parse(e!.payload.toString()) as { iclFields: { event: string } }).iclFields.event,
    );
    expect(p.bom).toBe(true);
    expect(p.msg.equals(e!.payload), `MSG of ${id}`).toBe(true);
  }
}

const signal = (): AbortSignal => new AbortController().signal;

describe('syslog sink into a real rsyslogd', () => {
  it('plain TCP: every event arrives exactly as sent', async () => {
    const port = await freePort();
    const out = join(dir.path, 'out.log');
    await startRsyslog(port, out);
    const s = syslogSink(port, { transport: 'tcp' });
    const sent: SinkEvent[] = [];
    for (let b = 0; b < 3; b++) {
      const batch = events(200);
      sent.push(...batch);
      expect(await s.send(batchOf(batch), signal())).toEqual({ kind: 'delivered' });
    }
    // close-confirmed: rsyslogd has read every byte; omfile may still be writing them.
    await expect.poll(() => received(out).length, { timeout: 10_000 }).toBe(sent.length);
    const got = received(out);
    expect(got.map((p) => sdOf(p).id)).toEqual(sent.map((e) => e.id));
    expectExact(got, sent);
  });

  it('TLS (gtls driver, server certificate verified against the test CA): every event arrives exactly', async () => {
    const ca = makeCa(dir.path, 'ca');
    const server = issueCert(dir.path, ca, 'server');
    const port = await freePort();
    const out = join(dir.path, 'out.log');
    await startRsyslog(port, out, { ca: ca.certFile, cert: server.certFile, key: server.keyFile });
    const s = syslogSink(port, { transport: 'tls', tls: { caFile: ca.certFile } });
    const sent = events(300);
    expect(await s.send(batchOf(sent.slice(0, 150)), signal())).toEqual({ kind: 'delivered' });
    expect(await s.send(batchOf(sent.slice(150)), signal())).toEqual({ kind: 'delivered' });
    await expect.poll(() => received(out).length, { timeout: 10_000 }).toBe(sent.length);
    expect(received(out).map((p) => sdOf(p).id)).toEqual(sent.map((e) => e.id));
    expectExact(received(out), sent);

    // A sink trusting another CA refuses this rsyslogd: held as misconfigured, nothing sent.
    const other = makeCa(dir.path, 'other-ca');
    const wrong = syslogSink(port, { transport: 'tls', tls: { caFile: other.certFile } });
    await expect(wrong.send(batchOf(events(1)), signal())).resolves.toMatchObject({
      kind: 'retry',
      misconfigured: true,
    });
    expect(received(out)).toHaveLength(sent.length);
  });

  it('rsyslogd stopped (SIGTERM) and restarted mid-stream: nothing lost, duplicates counted', async () => {
    const port = await freePort();
    const out = join(dir.path, 'out.log');
    let rs = await startRsyslog(port, out);
    const s = syslogSink(port, { transport: 'tcp' });
    const batches = Array.from({ length: 40 }, () => events(100));
    let retries = 0;
    let restart: Promise<void> | undefined;
    for (const [i, batch] of batches.entries()) {
      if (i === 10) {
        // Stopped while the stream goes on, and started again once it has exited.
        const old = rs.proc;
        restart = (async () => {
          await stop(old);
          rs = await startRsyslog(port, out);
        })();
      }
      // The second half of the stream goes to the restarted rsyslogd.
      if (i === 20) await restart;
      // The test plays delivery: the same batch again until it is delivered.
      for (;;) {
        const o = await s.send(batchOf(batch), signal());
        if (o.kind === 'delivered') break;
        expect(o.kind).toBe('retry');
        retries++;
        await sleep(20);
      }
    }
    await restart;
    const all = batches.flat();
    await expect
      .poll(() => new Set(received(out).map((p) => sdOf(p).id)).size, { timeout: 10_000 })
      .toBe(all.length);
    const ids = received(out).map((p) => sdOf(p).id);
    const duplicates = ids.length - new Set(ids).size;
    console.log(`rsyslog restart: ${all.length} events, ${retries} retried sends, ${duplicates} duplicates`);
    expectExact(received(out), all);
  });
});
