// Integration: the ZeroMQ sender against a real PULL socket on loopback.
import { createServer } from 'node:net';
import { Pull } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents, sendEvents } from '../../../../src/tools/load/index.js';

const open: Pull[] = [];
afterEach(() => {
  for (const s of open.splice(0)) if (!s.closed) s.close();
});

async function boundPull(): Promise<{ pull: Pull; endpoint: string }> {
  const pull = new Pull();
  open.push(pull);
  await pull.bind('tcp://127.0.0.1:*');
  const endpoint = pull.lastEndpoint;
  if (endpoint === null) throw new Error('no endpoint after bind');
  return { pull, endpoint };
}

async function receive(pull: Pull, count: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  while (got.length < count) {
    const frames = await pull.receive();
    expect(frames).toHaveLength(1); // one event per single-frame message
    got.push(frames[0] as Buffer);
  }
  return got;
}

/** A port that was free a moment ago (bind a TCP server to port 0, read it, close it). */
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

describe('ZeroMQ sender', () => {
  it('delivers exactly the generated events, in order, one per message', async () => {
    const { pull, endpoint } = await boundPull();
    const events = [...generateEvents({ count: 5000, tenants: 7, seed: 9 })];
    const received = receive(pull, events.length);
    const stats = await sendEvents(events, { kind: 'zmq', endpoint, sendHighWaterMark: 100 });
    expect(stats).toMatchObject({ sent: 5000, failed: 0, retries: 0 });
    expect(stats.error).toBeUndefined();
    const got = await received;
    expect(got.length).toBe(events.length);
    got.forEach((b, i) => expect(b.equals(events[i] as Buffer)).toBe(true));
  });

  it('packs several events per message as NDJSON frames when frameEvents is set, the last frame short', async () => {
    const { pull, endpoint } = await boundPull();
    const events = [...generateEvents({ count: 250, tenants: 3, seed: 4 })];
    const stats = await sendEvents(events, { kind: 'zmq', endpoint, frameEvents: 100 });
    expect(stats).toMatchObject({ sent: 250, failed: 0 });
    const frames: Buffer[] = [];
    for (let i = 0; i < 3; i++) frames.push(...((await pull.receive()) as Buffer[]));
    expect(frames.map((f) => f.toString('utf8').split('\n').length)).toEqual([100, 100, 50]);
    const lines = frames.flatMap((f) => f.toString('utf8').split('\n'));
    expect(lines).toEqual(events.map((e) => Buffer.from(e).toString('utf8')));
  });

  it('accepts an async source', async () => {
    const { pull, endpoint } = await boundPull();
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 50; i++) {
        await Promise.resolve(); // a truly asynchronous source, like a file read
        yield Buffer.from(`{"tenantId":"t","n":${i}}`);
      }
    }
    const received = receive(pull, 50);
    const stats = await sendEvents(source(), { kind: 'zmq', endpoint });
    expect(stats.sent).toBe(50);
    expect((await received).map(String)[49]).toBe('{"tenantId":"t","n":49}');
  });

  it('sends the requested count in fixed-rate mode', async () => {
    const { pull, endpoint } = await boundPull();
    const received = receive(pull, 300);
    const stats = await sendEvents(
      generateEvents({ count: 300 }),
      { kind: 'zmq', endpoint },
      { ratePerSec: 3000 },
    );
    expect(stats.sent).toBe(300);
    expect(stats.failed).toBe(0);
    expect(await received).toHaveLength(300);
  });

  it('can bind while the receiver connects', async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const pull = new Pull();
    open.push(pull);
    const events = [...generateEvents({ count: 200 })];
    const sending = sendEvents(events, { kind: 'zmq', endpoint, bind: true });
    pull.connect(endpoint);
    const got = await receive(pull, 200);
    expect((await sending).sent).toBe(200);
    expect(got.every((b, i) => b.equals(events[i] as Buffer))).toBe(true);
  });

  it('counts a failure and stops when a send times out with no receiver', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const stats = await sendEvents(generateEvents({ count: 1000 }), {
      kind: 'zmq',
      endpoint,
      sendHighWaterMark: 5,
      sendTimeoutMs: 100,
      lingerMs: 0,
    });
    expect(stats.failed).toBe(1);
    expect(stats.sent).toBeLessThan(1000);
    expect(stats.error).toContain(endpoint);
  });

  it('stops on abort even while blocked on a full high-water mark', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const ac = new AbortController();
    const sending = sendEvents(
      generateEvents({ count: 1000 }),
      { kind: 'zmq', endpoint, sendHighWaterMark: 5, lingerMs: 0 },
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 50);
    const stats = await sending;
    expect(stats.sent).toBeLessThan(1000);
    expect(stats.failed).toBe(0);
  });
});
