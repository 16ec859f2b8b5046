// The syslog sink against loopback TCP and TLS receivers: framing under concurrent tenants, both confirm
// modes, reconnect with back-off, TLS verification (wrong CA, wrong name, client certificates), a receiver
// dying mid-batch, timeouts and close.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { SyslogSink, type SyslogSinkConfig } from '../../../src/sinks/syslog/index.js';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { issueCert, makeCa, type Pem } from '../../support/certs.js';
import { tempDir } from '../../support/service.js';
import {
  startSyslogReceiver as startReceiver,
  type Receiver,
  wellBehaved,
} from '../../support/fakes/syslog.js';
import { parseMessage, sdOf } from '../../support/syslog-parse.js';

const receivers: Receiver[] = [];
const sinks: SyslogSink[] = [];
async function receiver(opts?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}
function sink(
  port: number,
  extra: Record<string, unknown> = {},
  backoff?: { initialMs: number; maxMs: number },
): SyslogSink {
  const cfg = sinkSchema.parse({ type: 'syslog', host: '127.0.0.1', port, transport: 'tcp', ...extra });
  const s = new SyslogSink(cfg as SyslogSinkConfig, backoff);
  sinks.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const signal = (): AbortSignal => new AbortController().signal;
let seq = 0;
function events(tenant: string, n: number, pad = 0): SinkEvent[] {
  return Array.from({ length: n }, () => {
    const i = seq++;
    const payload = {
      tenantId: tenant,
      timestampMillis: 1764000000000 + i,
      iclFields: { event: 'DATA_DECRYPT' },
      n: i,
      pad: 'x'.repeat(pad),
    };
    return { id: `e-${i}`, tenant, receivedAt: 1764000000000, payload: Buffer.from(JSON.stringify(payload)) };
  });
}
const idsOf = (r: Receiver): string[] => r.messages.map((m) => sdOf(parseMessage(m)).id);

describe.each(['close', 'write'] as const)('syslog sink over TCP, confirm: %s', (confirm) => {
  it('concurrent batches of several tenants arrive whole, framing intact, each batch in order', async () => {
    const r = await receiver();
    const s = sink(r.port, { confirm });
    const batches = ['acme', 'globex', 'initech', 'umbrella'].map((t) => events(t, 200, 300));
    const outcomes = await Promise.all(batches.map((b) => s.send(batchOf(b), signal())));
    expect(outcomes).toEqual(batches.map(() => ({ kind: 'delivered' })));
    // In write mode the bytes were only handed to the kernel: wait until they have all been read.
    await expect.poll(() => r.messages.length).toBe(800);
    const got = idsOf(r);
    for (const b of batches) {
      const ids = b.map((e) => e.id);
      const at = got.indexOf(ids[0]!);
      expect(got.slice(at, at + ids.length)).toEqual(ids);
    }
    for (const [i, m] of r.messages.entries()) {
      const p = parseMessage(m);
      const e = batches.flat().find((x) => x.id === sdOf(p).id)!;
      expect(p.msg.equals(e.payload), `message ${i}`).toBe(true);
      expect(sdOf(p).tenant).toBe(e.tenant);
    }
    expect(r.connections).toBe(confirm === 'close' ? 4 : 1);
  });

  // Only `close` can see this: in `write` mode the kernel takes the batch before the reset arrives, and the
  // send counts as delivered (the documented weakness of that mode). Defined for `close` only, not skipped.
  if (confirm !== 'close') return;
  it('a receiver that drops the connection mid-batch => retry; the next send goes through on a new connection', async () => {
    let first = true;
    const r = await receiver({
      behaviour: (socket, rec) => {
        if (first) {
          first = false;
          socket.once('data', () => socket.resetAndDestroy());
          return;
        }
        wellBehaved(socket, rec);
      },
    });
    const s = sink(r.port, { confirm });
    const batch = batchOf(events('acme', 3000, 500)); // ~2 MB: far more than one read
    const o1 = await s.send(batch, signal());
    expect(o1.kind).toBe('retry');
    const o2 = await s.send(batch, signal());
    expect(o2).toEqual({ kind: 'delivered' });
    await expect.poll(() => r.messages.length).toBe(3000);
  });
});

describe('syslog sink over TCP: connection handling', () => {
  it('reconnects with back-off: refused => retry, then retry with retryAfterMs, then delivered once listening', async () => {
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const s = sink(port, {}, { initialMs: 60_000, maxMs: 60_000 });
    const o1 = await s.send(batchOf(events('acme', 1)), signal());
    expect(o1).toMatchObject({ kind: 'retry' });
    expect((o1 as { reason: string }).reason).toContain('ECONNREFUSED');
    const o2 = await s.send(batchOf(events('acme', 1)), signal());
    expect(o2).toMatchObject({ kind: 'retry' });
    expect((o2 as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((o2 as { reason: string }).reason).toContain('reconnecting');

    const s2 = sink(port, {}, { initialMs: 1, maxMs: 1 });
    await expect(s2.send(batchOf(events('acme', 1)), signal())).resolves.toMatchObject({ kind: 'retry' });
    const r = await receiver({ port });
    await expect
      .poll(async () => (await s2.send(batchOf(events('acme', 1)), signal())).kind)
      .toBe('delivered');
    expect(r.messages.length).toBeGreaterThan(0);
  });

  it('write mode: the receiver closing an idle connection => the next batch reconnects', async () => {
    const r = await receiver();
    const s = sink(r.port, { confirm: 'write' });
    expect(await s.send(batchOf(events('acme', 5)), signal())).toEqual({ kind: 'delivered' });
    await expect.poll(() => r.messages.length).toBe(5);
    await r.close();
    receivers.splice(receivers.indexOf(r), 1);
    const r2 = await receiver({ port: r.port });
    // A batch written before the close is noticed may count as delivered and be lost (write mode's weakness):
    // keep sending until one reaches the new receiver, on a new connection.
    await expect
      .poll(async () => {
        await s.send(batchOf(events('acme', 5)), signal());
        return r2.messages.length;
      })
      .toBeGreaterThanOrEqual(5);
    expect(r2.connections).toBe(1);
  });

  it('close mode: a receiver that never closes its side => retry after timeoutMs', async () => {
    const r = await receiver({ behaviour: (socket) => socket.resume() });
    const s = sink(r.port, { timeoutMs: 200 });
    const o = await s.send(batchOf(events('acme', 2)), signal());
    expect(o).toMatchObject({ kind: 'retry' });
    expect((o as { reason: string }).reason).toContain('timed out');
  });

  it('an abort while sending => retry', async () => {
    const r = await receiver({ behaviour: (socket) => socket.resume() });
    const s = sink(r.port);
    const ac = new AbortController();
    const sending = s.send(batchOf(events('acme', 2)), ac.signal);
    setImmediate(() => ac.abort());
    await expect(sending).resolves.toMatchObject({ kind: 'retry' });
  });

  it('an event over maxMessageBytes is dead-lettered, the rest delivered', async () => {
    const r = await receiver();
    const s = sink(r.port, { maxMessageBytes: 2048 });
    const small = events('acme', 2);
    const [big] = events('acme', 1, 4096);
    const o = await s.send(batchOf([small[0]!, big!, small[1]!]), signal());
    expect(o).toMatchObject({ kind: 'partial', retry: [], rejected: [{ id: big!.id }] });
    if (o.kind !== 'partial') throw new Error(`expected a partial outcome, got ${o.kind}`);
    expect(o.rejected[0]!.reason).toContain('maxMessageBytes 2048');
    expect(idsOf(r)).toEqual(small.map((e) => e.id));
  });

  it('after close, sends are retried and the connection is gone', async () => {
    const r = await receiver();
    const s = sink(r.port, { confirm: 'write' });
    expect(await s.send(batchOf(events('acme', 1)), signal())).toEqual({ kind: 'delivered' });
    await s.close();
    expect(await s.send(batchOf(events('acme', 1)), signal())).toEqual({
      kind: 'retry',
      reason: 'sink closed',
    });
  });
});

describe('syslog sink over TLS', () => {
  const dir = tempDir('logdriver-syslog-tls-');
  let ca: Pem;
  let otherCa: Pem;
  let server: Pem;
  let client: Pem;
  beforeAll(() => {
    ca = makeCa(dir.path, 'ca');
    otherCa = makeCa(dir.path, 'other-ca');
    server = issueCert(dir.path, ca, 'server');
    client = issueCert(dir.path, ca, 'client', 'client');
  });
  afterAll(() => dir.remove());

  const tlsSink = (port: number, tlsKeys: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    sink(port, { transport: 'tls', tls: tlsKeys, ...extra }, { initialMs: 1, maxMs: 1 });

  it('delivers with the right CA, in both confirm modes', async () => {
    const r = await receiver({ tls: { cert: server.cert, key: server.key } });
    for (const confirm of ['close', 'write']) {
      const s = tlsSink(r.port, { caFile: ca.certFile }, { confirm });
      expect(await s.send(batchOf(events('acme', 50)), signal())).toEqual({ kind: 'delivered' });
    }
    await expect.poll(() => r.messages.length).toBe(100);
  });

  it('refuses a server signed by another CA: retry, misconfigured, nothing sent', async () => {
    const r = await receiver({ tls: { cert: server.cert, key: server.key } });
    const s = tlsSink(r.port, { caFile: otherCa.certFile });
    const o = await s.send(batchOf(events('acme', 3)), signal());
    expect(o).toMatchObject({ kind: 'retry', misconfigured: true });
    expect((o as { reason: string }).reason).toContain('server certificate not trusted');
    expect(r.messages).toEqual([]);
  });

  it('refuses a certificate that does not name tls.serverName', async () => {
    const r = await receiver({ tls: { cert: server.cert, key: server.key } });
    const s = tlsSink(r.port, { caFile: ca.certFile, serverName: 'syslog.example.org' });
    await expect(s.send(batchOf(events('acme', 1)), signal())).resolves.toMatchObject({
      kind: 'retry',
      misconfigured: true,
    });
  });

  it('mutual TLS: without a client certificate => auth_failed; with one => delivered', async () => {
    const r = await receiver({
      tls: { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    });
    const without = tlsSink(r.port, { caFile: ca.certFile });
    await expect(without.send(batchOf(events('acme', 1)), signal())).resolves.toMatchObject({
      kind: 'auth_failed',
    });
    const withCert = tlsSink(r.port, {
      caFile: ca.certFile,
      certFile: client.certFile,
      keyFile: client.keyFile,
    });
    await expect(withCert.send(batchOf(events('acme', 2)), signal())).resolves.toEqual({ kind: 'delivered' });
    expect(r.messages).toHaveLength(2);
  });
});
