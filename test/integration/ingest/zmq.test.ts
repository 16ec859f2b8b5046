// ZeroMQ ingest over a real loopback socket against a fake buffer: frames and NDJSON frames, draining in
// batches, admission (full / busy / drop_newest), and close() storing what ZeroMQ had already queued.
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Admission, IncomingEvent } from '../../../src/buffer/types.js';
import { ZmqIngest, type ZmqIngestOptions } from '../../../src/ingest/zmq.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** Implements only what ZeroMQ ingest uses: append, admission, whenOpen. */
class FakeBuffer {
  readonly calls: IncomingEvent[][] = [];
  admissionCalls = 0;
  #state: Admission = 'open';
  #waiters: (() => void)[] = [];
  /** whenOpen() resolves at once whatever the state (as a failed buffer's does). */
  broken = false;

  get stored(): string[] {
    return this.calls.flat().map((e) => e.payload.toString());
  }
  get tenants(): string[] {
    return this.calls.flat().map((e) => e.tenant);
  }
  set state(s: Admission) {
    this.#state = s;
    if (s === 'open') for (const w of this.#waiters.splice(0)) w();
  }
  append(events: readonly IncomingEvent[]): Promise<void> {
    this.calls.push([...events]);
    return Promise.resolve();
  }
  admission(): Admission {
    this.admissionCalls++;
    return this.#state;
  }
  whenOpen(): Promise<void> {
    if (this.#state === 'open' || this.broken) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(t: Telemetry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await t.registry.getSingleMetric(name)!.get();
  const hit = m.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}
const rejected = (t: Telemetry, reason: string) =>
  metric(t, 'logdriver_ingest_rejected_events_total', { source: 'zmq', reason });

const ev = (tenant: string, n: number) => JSON.stringify({ tenantId: tenant, n });

describe('ZeroMQ ingest', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(over: Partial<ZmqIngestOptions> = {}) {
    const buffer = new FakeBuffer();
    const telemetry = new Telemetry(silentLogger(), { defaultMetrics: false });
    const ingest = new ZmqIngest({
      endpoint: 'tcp://127.0.0.1:*',
      mode: 'bind',
      highWaterMark: 100_000,
      maxEventBytes: 4096,
      whenFull: 'block',
      buffer,
      telemetry,
      ...over,
    });
    const endpoint = await ingest.start();
    const push = new Push({ sendHighWaterMark: 100_000 });
    push.connect(endpoint);
    // Ingest closes first. A peer closing while close() unbinds can abort the process in libzmq 4.3.5
    // (pipe.cpp:355); the old receive loop had the same race.
    cleanups.push(
      () => push.close(),
      () => ingest.close(),
    );
    return { buffer, telemetry, ingest, push };
  }

  it('takes one event per frame, trims a trailing newline, refuses bad frames by reason', async () => {
    const { buffer, telemetry, push } = await setup();
    await push.send(ev('a', 1));
    await push.send(`${ev('a', 2)}\n`);
    await push.send(`  ${ev('a', 3)}\r\n`);
    await push.send('{\n  "tenantId": "b",\n  "big": 12345678901234567890123\n}');
    await push.send('{"tenantId":');
    await push.send('{"x":1}');
    await push.send(Buffer.from([0x7b, 0xff, 0x7d]));
    await push.send(JSON.stringify({ tenantId: 'a', pad: 'x'.repeat(5000) }));
    await push.send([Buffer.from(ev('c', 4)), Buffer.from('[1]')]); // multipart: each frame one event
    await eventually('4 + 1 events stored', () => buffer.stored.length === 5);
    expect(buffer.stored).toEqual([
      ev('a', 1),
      ev('a', 2),
      ev('a', 3),
      '{\n  "tenantId": "b",\n  "big": 12345678901234567890123\n}',
      ev('c', 4),
    ]);
    expect(buffer.tenants).toEqual(['a', 'a', 'a', 'b', 'c']);
    await eventually('rejections counted', () => telemetry.totals.rejected === 5);
    for (const reason of ['malformed_json', 'missing_tenant', 'invalid_utf8', 'too_large', 'not_an_object'])
      expect(await rejected(telemetry, reason), reason).toBe(1);
  });

  it('reads an NDJSON frame as several events; a bad line is refused alone', async () => {
    const { buffer, telemetry, push } = await setup();
    const frame = [
      ev('a', 1),
      '',
      ev('b', 2),
      '{"tenantId":',
      '  ',
      `${ev('c', 3)}\r`,
      '{"x":1}',
      ev('d', 4),
      '',
    ].join('\n');
    await push.send(frame);
    // Also inside a multipart message, and larger than maxEventBytes as a whole (each line is judged).
    const many = Array.from({ length: 100 }, (_, i) => ev('e', i));
    await push.send([Buffer.from(`${ev('f', 0)}\n${ev('f', 1)}\n`), Buffer.from(many.join('\n'))]);
    await eventually('all valid lines stored', () => buffer.stored.length === 4 + 2 + 100);
    expect(buffer.stored.slice(0, 6)).toEqual([
      ev('a', 1),
      ev('b', 2),
      ev('c', 3),
      ev('d', 4),
      ev('f', 0),
      ev('f', 1),
    ]);
    expect(buffer.stored.slice(6)).toEqual(many);
    expect(await rejected(telemetry, 'malformed_json')).toBe(1);
    expect(await rejected(telemetry, 'missing_tenant')).toBe(1);
  });

  it('drains a burst in batches, in order, without starving the event loop', async () => {
    const { buffer, push } = await setup();
    const n = 5000;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    cleanups.push(() => clearInterval(timer));
    // Queue everything first, then let the loop find a full socket.
    for (let i = 0; i < n; i++) await push.send(ev('a', i));
    await eventually('burst stored', () => buffer.stored.length === n);
    expect(buffer.stored).toEqual(Array.from({ length: n }, (_, i) => ev('a', i)));
    // Far fewer appends than messages: many messages per batch.
    expect(buffer.calls.length).toBeLessThan(n / 4);
    expect(Math.max(...buffer.calls.map((c) => c.length))).toBeLessThanOrEqual(256);
    expect(ticks).toBeGreaterThan(0);
  });

  it('stops reading while the buffer is full (block), reports it, and resumes in order', async () => {
    const { buffer, telemetry, push } = await setup();
    buffer.state = 'full';
    await pause(250); // the loop sees `full` on its next turn (an idle receive ends within 200 ms)
    for (let i = 0; i < 10; i++) await push.send(ev('a', i));
    await pause(300);
    expect(buffer.stored).toEqual([]);
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'zmq' })).toBe(1);
    buffer.state = 'open';
    await eventually('stored after open', () => buffer.stored.length === 10);
    expect(buffer.stored).toEqual(Array.from({ length: 10 }, (_, i) => ev('a', i)));
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'zmq' })).toBe(0);
  });

  it('stops within a batch when the buffer fills: a waiting receive takes at most one message', async () => {
    const { buffer, push } = await setup();
    await pause(50); // the loop waits in a receive, admitted while open
    buffer.state = 'full';
    for (let i = 0; i < 50; i++) await push.send(ev('a', i));
    await pause(300);
    expect(buffer.stored.length).toBeLessThanOrEqual(1);
    buffer.state = 'open';
    await eventually('all stored', () => buffer.stored.length === 50);
    expect(buffer.stored).toEqual(Array.from({ length: 50 }, (_, i) => ev('a', i)));
  });

  it('stops reading while the buffer is busy, without reporting blocked', async () => {
    const { buffer, telemetry, push } = await setup({ whenFull: 'drop_newest' });
    buffer.state = 'busy';
    await pause(250);
    for (let i = 0; i < 10; i++) await push.send(ev('a', i));
    await pause(300);
    expect(buffer.stored).toEqual([]);
    expect(await metric(telemetry, 'logdriver_ingest_blocked', { source: 'zmq' })).toBe(0);
    expect(telemetry.totals.dropped).toBe(0); // busy never drops, even with drop_newest
    buffer.state = 'open';
    await eventually('stored after open', () => buffer.stored.length === 10);
  });

  it('drops and counts while full with drop_newest, then stores again', async () => {
    const { buffer, telemetry, push } = await setup({ whenFull: 'drop_newest' });
    buffer.state = 'full';
    await pause(250);
    for (let i = 0; i < 10; i++) await push.send(ev('a', i));
    await eventually('drops counted', () => telemetry.totals.dropped === 10);
    expect(await metric(telemetry, 'logdriver_ingest_dropped_events_total', { source: 'zmq' })).toBe(10);
    expect(buffer.stored).toEqual([]);
    buffer.state = 'open';
    await pause(250);
    await push.send(ev('b', 1));
    await eventually('stored after open', () => buffer.stored.length === 1);
    expect(buffer.stored).toEqual([ev('b', 1)]);
  });

  it('does not spin when whenOpen() resolves while admission stays shut', async () => {
    const { buffer } = await setup();
    buffer.broken = true;
    buffer.state = 'busy';
    await pause(250);
    const before = buffer.admissionCalls;
    await pause(500);
    // Rechecked about every 50 ms, not in a tight loop.
    expect(buffer.admissionCalls - before).toBeLessThan(30);
  });

  it('close() stores what ZeroMQ had already queued', async () => {
    const { buffer, ingest, push } = await setup();
    buffer.state = 'busy'; // hold everything in ZeroMQ's queue
    await pause(250);
    for (let i = 0; i < 500; i++) await push.send(ev('a', i));
    await pause(100);
    expect(buffer.stored).toEqual([]);
    await ingest.close();
    expect(buffer.stored).toEqual(Array.from({ length: 500 }, (_, i) => ev('a', i)));
  });
});
