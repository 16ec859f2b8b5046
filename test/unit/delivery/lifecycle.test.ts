// Dispatcher lifecycle and isolation: crash recovery at start, per-tenant sinks, stuck sinks, timeouts, close(grace).
import type { Lease } from '../../../src/buffer/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBuffer } from '../../../src/buffer/types.js';
import { ScriptedSink, hangUntilAborted } from '../../support/fake-sink.js';
import { TempDirs, eventsFor, numberOf, openSqlite } from '../../support/fixtures.js';
import { Harness, until } from './harness.js';

const ALL = Number.MAX_SAFE_INTEGER;
const HOUR = 60 * 60 * 1000;

describe('Dispatcher lifecycle', () => {
  const dirs = new TempDirs();
  const running: Harness[] = [];
  const buffers: EventBuffer[] = [];
  async function start(h: Harness): Promise<Harness> {
    running.push(h);
    await h.dispatcher.start();
    return h;
  }
  afterEach(async () => {
    try {
      for (const h of running.splice(0)) await h.dispatcher.close(0);
      for (const b of buffers.splice(0)) await b.close();
    } finally {
      dirs.cleanup();
    }
  });

  it('routes configured tenants to their own sink and keeps delivering while another tenant is stuck', async () => {
    const stuck = new ScriptedSink((_e, signal) => hangUntilAborted(signal));
    const acme = new ScriptedSink();
    const h = await start(new Harness({ sinks: { stuck, acme }, maxInFlight: 2, lane: { batchSize: 2 } }));
    await h.buffer.append(eventsFor('stuck', 3));
    await until(() => expect(stuck.inFlight).toBe(1));
    await h.buffer.append([...eventsFor('acme', 5), ...eventsFor('other', 3)]);
    await until(() => expect(acme.acknowledged().length + h.fallback.acknowledged().length).toBe(8));
    expect(acme.calls.flatMap((c) => c.events.map((e) => e.tenant))).toEqual(Array(5).fill('acme'));
    expect(h.fallback.calls.flatMap((c) => c.events.map((e) => e.tenant))).toEqual(Array(3).fill('other'));
    expect(stuck.calls).toHaveLength(1);
    expect(h.buffer.stats().events).toBe(3);
  });

  it('never has more than maxInFlight batches out at once over all tenants', async () => {
    const slow = new ScriptedSink(() => new Promise((r) => setTimeout(() => r({ kind: 'delivered' }), 20)));
    const h = await start(new Harness({ fallback: slow, maxInFlight: 3, lane: { batchSize: 2 } }));
    await h.buffer.append(['a', 'b', 'c', 'd', 'e', 'f'].flatMap((t) => eventsFor(t, 4)));
    await h.drained();
    expect(slow.calls).toHaveLength(12);
    expect(slow.maxInFlight).toBeLessThanOrEqual(3);
    expect(slow.maxInFlight).toBeGreaterThan(1);
  });

  it('aborts a send that outlives sendTimeoutMs and retries it', async () => {
    const sink = new ScriptedSink((_e, signal, call) =>
      call === 0 ? hangUntilAborted(signal) : { kind: 'delivered' },
    );
    const h = await start(new Harness({ fallback: sink, lane: { sendTimeoutMs: 50 } }));
    await h.buffer.append(eventsFor('acme', 2));
    await h.drained();
    expect(sink.calls.map((c) => c.result)).toEqual(['threw', { kind: 'delivered' }]);
    expect(sink.calls[1]!.ids).toEqual(sink.calls[0]!.ids);
  });

  it('delivers events stored before a restart; a retried batch keeps its attempts but not its stored wait', async () => {
    const dir = dirs.make();
    const before = openSqlite(dir);
    await before.append([...eventsFor('acme', 4), ...eventsFor('globex', 2)]);
    // A long wait stored by the previous process (a huge Retry-After): a restart must not keep honouring it.
    const notBefore = Date.now() + HOUR;
    const globexLease = (await before.claim('globex', ALL, ALL))!;
    await before.retry(globexLease, notBefore);
    await before.close();

    const buffer = openSqlite(dir);
    buffers.push(buffer);
    const attempts = new Map<string, number>();
    const sink = new ScriptedSink((events, _s, _c, batch) => {
      attempts.set(events[0]!.tenant, (batch as unknown as Lease).attempts);
      return { kind: 'delivered' };
    });
    // A huge maxBatchAgeMs: only the start-up scan can make these small backlogs go.
    const h = await start(
      new Harness({ buffer, fallback: sink, lane: { batchSize: 100, maxBatchAgeMs: HOUR } }),
    );
    await h.drained();
    const byTenant = (t: string) => sink.calls.filter((c) => c.events[0]!.tenant === t);
    expect(byTenant('acme').map((c) => c.events.map(numberOf))).toEqual([[0, 1, 2, 3]]);
    const [globex] = byTenant('globex');
    expect(globex!.events.map(numberOf)).toEqual([0, 1]);
    expect(attempts.get('globex')).toBe(1);
    expect(globex!.wallTime).toBeLessThan(notBefore - HOUR + 60_000);
  });

  it('close(grace) waits for an in-flight send that finishes within the grace', async () => {
    let answer: (() => void) | undefined;
    const sink = new ScriptedSink(() => new Promise((r) => (answer = () => r({ kind: 'delivered' }))));
    const h = await start(new Harness({ fallback: sink }));
    await h.buffer.append(eventsFor('acme', 3));
    await until(() => expect(answer).toBeDefined());
    let closed = false;
    const closing = h.dispatcher.close(10_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(closed).toBe(false);
    answer!();
    await closing;
    expect(sink.calls.map((c) => c.result)).toEqual([{ kind: 'delivered' }]);
    expect(h.buffer.stats().events).toBe(0);
  });

  it('close(grace) aborts a send that outlives the grace and leaves its events stored', async () => {
    const sink = new ScriptedSink((_e, signal) => hangUntilAborted(signal));
    const h = await start(new Harness({ fallback: sink }));
    await h.buffer.append(eventsFor('acme', 3));
    await until(() => expect(sink.inFlight).toBe(1));
    await h.dispatcher.close(50);
    expect(sink.calls.map((c) => c.result)).toEqual(['threw']);
    expect(h.buffer.stats()).toMatchObject({ events: 3, deadLetters: 0 });
    // Being cut off by shutdown is not a failed attempt.
    const left = (await h.buffer.claim('acme', ALL, ALL))!;
    expect([left.count, left.attempts]).toEqual([3, 0]);
  });

  it('starts no new batch after close', async () => {
    const h = await start(new Harness());
    await h.dispatcher.close(0);
    await h.buffer.append(eventsFor('acme', 3));
    await new Promise((r) => setTimeout(r, 30));
    expect(h.fallback.calls).toHaveLength(0);
    expect(h.buffer.stats().events).toBe(3);
  });
});
