// Poison events: a batch that keeps failing is split to isolate the event(s) that fail alone; those are
// dead-lettered only with both maxAttempts and maxAgeMs, never for an outage or a hold of the sink's config.
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor, numberOf, openSqlite, TempDirs } from '../../support/fixtures.js';
import { MemoryBuffer } from '../../support/memory-buffer.js';
import { Harness, until } from './harness.js';

const started: Harness[] = [];
async function start(h: Harness): Promise<Harness> {
  started.push(h);
  await h.dispatcher.start();
  return h;
}
const dirs = new TempDirs();
afterEach(async () => {
  for (const h of started.splice(0)) {
    await h.dispatcher.close(0);
    await h.buffer.close();
  }
  dirs.cleanup();
});

const nOf = (events: readonly SinkEvent[]) => events.map(numberOf);
const DAY = 24 * 60 * 60 * 1000;
const dropped: SinkOutcome = { kind: 'retry', reason: 'socket hang up' };

/** A sink that drops the connection on any batch holding one of `bad` (numbers), and takes the rest. */
function poisoned(...bad: number[]): ScriptedSink {
  return new ScriptedSink((events) =>
    events.some((e) => bad.includes(numberOf(e))) ? dropped : { kind: 'delivered' },
  );
}

const policy = { bisectAfterFailures: 3, maxAttempts: 5, maxAgeMs: 60 * 60 * 1000 };

describe('poison events', () => {
  it('isolates an old poison event, delivers the others in order and dead-letters it with its last reason', async () => {
    const sink = poisoned(5);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 16, poison: policy } }));
    await buffer.append(eventsFor('acme', 16, 0, Date.now() - DAY));
    await h.drained();
    expect(buffer.deadLetters.map((d) => [numberOf(d.event), d.reason, d.status])).toEqual([
      [5, 'socket hang up', null],
    ]);
    const delivered = sink.calls.filter((c) => c.result !== dropped).flatMap((c) => nOf(c.events));
    expect(delivered).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    // Whole batch 3 times, then about log2(16) halvings, then the poison alone up to maxAttempts.
    expect(sink.calls.length).toBeLessThanOrEqual(3 + 2 * 5 + policy.maxAttempts);
    expect(sink.calls.slice(0, 3).every((c) => c.ids.length === 16)).toBe(true);
  });

  it('a young poison event is isolated (the rest delivered) but kept until maxAgeMs', async () => {
    const sink = poisoned(2);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 8, poison: policy } }));
    await buffer.append(eventsFor('acme', 8));
    await until(() => expect(buffer.stats().events).toBe(1));
    const before = sink.calls.length;
    await until(() => expect(sink.calls.length).toBeGreaterThan(before + 8));
    expect(buffer.deadLetters).toEqual([]);
    expect(nOf(sink.calls.at(-1)!.events)).toEqual([2]);
    expect(h.buffer.stats().events).toBe(1);
  });

  it('a lone poison event is dead-lettered, then the tenant goes on', async () => {
    const sink = poisoned(0);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 1, poison: policy } }));
    await buffer.append(eventsFor('acme', 1, 0, Date.now() - DAY));
    await until(() => expect(buffer.deadLetters).toHaveLength(1));
    expect(buffer.deadLetters[0]!.attempts).toBeGreaterThanOrEqual(policy.maxAttempts);
    await buffer.append(eventsFor('acme', 2, 1));
    await h.drained();
  });

  it('a sink that is down: no dead letter before maxAgeMs, no more requests than plain retrying, and a quick recovery', async () => {
    let down = true;
    const sink = new ScriptedSink(() =>
      down ? { kind: 'retry', reason: 'connect ECONNREFUSED' } : { kind: 'delivered' },
    );
    const buffer = new MemoryBuffer();
    const h = await start(
      new Harness({
        buffer,
        fallback: sink,
        lane: { batchSize: 64, poison: policy, retry: { initialMs: 5, maxMs: 5 } },
        random: () => 1,
      }),
    );
    await buffer.append(eventsFor('acme', 64));
    await new Promise((r) => setTimeout(r, 400));
    expect(buffer.deadLetters).toEqual([]);
    // One request per back-off (5 ms): bisecting adds no requests.
    expect(sink.calls.length).toBeLessThanOrEqual(400 / 5 + 2);
    expect(Math.max(...sink.calls.map((c) => c.endedAt! - c.startedAt))).toBeLessThan(50);
    for (let i = 1; i < sink.calls.length; i++)
      expect(sink.calls[i]!.startedAt - sink.calls[i - 1]!.endedAt!).toBeGreaterThanOrEqual(3);
    const downCalls = sink.calls.length;
    down = false;
    await h.drained();
    // Back up: the split grows back (1, 2, 4, ... 64 events per request), nothing was set aside for good.
    expect(sink.calls.length - downCalls).toBeLessThanOrEqual(9);
    expect(buffer.deadLetters).toEqual([]);
  });

  it('a sink that is down for longer than maxAgeMs with old events: dead letters only after maxAttempts', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'retry', reason: 'connect ECONNREFUSED' }));
    const buffer = new MemoryBuffer();
    await start(
      new Harness({
        buffer,
        fallback: sink,
        lane: { batchSize: 4, poison: { ...policy, maxAttempts: 40 } },
      }),
    );
    await buffer.append(eventsFor('acme', 4, 0, Date.now() - DAY));
    await until(() => expect(sink.calls.length).toBeGreaterThanOrEqual(30));
    expect(buffer.deadLetters).toEqual([]);
  });

  it('authentication failures never split a batch nor count towards dead-lettering', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'auth_failed', status: 401, reason: 'HTTP 401' }));
    const buffer = new MemoryBuffer();
    await start(
      new Harness({ buffer, fallback: sink, lane: { batchSize: 4, poison: { ...policy, maxAttempts: 1 } } }),
    );
    await buffer.append(eventsFor('acme', 4, 0, Date.now() - DAY));
    await until(() => expect(sink.calls.length).toBeGreaterThanOrEqual(15));
    expect(buffer.deadLetters).toEqual([]);
    expect(sink.calls.every((c) => c.ids.length === 4)).toBe(true);
  });

  it('a redirect (misconfigured sink) holds the tenant: state shown, never split nor dead-lettered', async () => {
    let redirect = true;
    const sink = new ScriptedSink(() =>
      redirect
        ? { kind: 'retry', status: 302, reason: 'unexpected HTTP 302', misconfigured: true }
        : { kind: 'delivered' },
    );
    const buffer = new MemoryBuffer();
    const h = await start(
      new Harness({ buffer, fallback: sink, lane: { batchSize: 4, poison: { ...policy, maxAttempts: 1 } } }),
    );
    await buffer.append(eventsFor('acme', 4, 0, Date.now() - DAY));
    await until(() => expect(sink.calls.length).toBeGreaterThanOrEqual(15));
    expect(buffer.deadLetters).toEqual([]);
    expect(sink.calls.every((c) => c.ids.length === 4)).toBe(true);
    const states = (await h.telemetry.registry.getSingleMetric('logdriver_delivery_tenants')!.get()).values;
    expect(states).toContainEqual({ labels: { sink: 'fake', state: 'misconfigured' }, value: 1 });
    // Nothing recorded against the events: a hold is the sink's config, not theirs.
    expect(buffer.store.rows.every((r) => r.attempts === 0)).toBe(true);
    redirect = false;
    await h.drained();
  });

  it('two poison events in one batch: both isolated, the rest delivered', async () => {
    const sink = poisoned(1, 6);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 10, poison: policy } }));
    await buffer.append(eventsFor('acme', 10, 0, Date.now() - DAY));
    await h.drained();
    expect(buffer.deadLetters.map((d) => numberOf(d.event)).sort()).toEqual([1, 6]);
    const delivered = sink.calls.filter((c) => c.result !== dropped).flatMap((c) => nOf(c.events));
    expect(delivered.sort((a, b) => a - b)).toEqual([0, 2, 3, 4, 5, 7, 8, 9]);
  });

  it('works on the SQLite buffer: parts acked by id, the poison dead-lettered, nothing left', async () => {
    const sink = poisoned(3);
    const buffer = openSqlite(dirs.make());
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 8, poison: policy } }));
    await buffer.append(eventsFor('acme', 8, 0, Date.now() - DAY));
    await h.drained();
    expect(buffer.stats().deadLetters).toBe(1);
    const delivered = sink.calls.filter((c) => c.result !== dropped).flatMap((c) => nOf(c.events));
    expect(delivered).toEqual([0, 1, 2, 4, 5, 6, 7]);
  });
});

describe('a request the sink refuses as too large (413)', () => {
  it('is split at once, not after bisectAfterFailures tries, until the parts fit', async () => {
    const tooLarge: SinkOutcome = {
      kind: 'retry',
      status: 413,
      reason: 'HTTP 413: request entity too large',
    };
    const sink = new ScriptedSink((events) => (events.length > 4 ? tooLarge : { kind: 'delivered' }));
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 16, poison: policy } }));
    await buffer.append(eventsFor('acme', 16));
    await h.drained();
    // 16 refused, then at once 8 and 4 (no second try at 16); after each success the window probes upward.
    const sizes = sink.calls.map((c) => c.ids.length);
    expect(sizes.slice(0, 3)).toEqual([16, 8, 4]);
    expect(sizes.slice(1).every((n) => n <= 8)).toBe(true);
    expect(sink.calls.filter((c) => c.result !== tooLarge).flatMap((c) => nOf(c.events))).toEqual([
      ...Array(16).keys(),
    ]);
    expect(buffer.deadLetters).toEqual([]);
  });
});
