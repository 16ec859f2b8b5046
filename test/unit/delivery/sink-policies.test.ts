// Delivery's side of the sink contract: payload limits bound claims, the authentication-failure policy,
// and deferred acknowledgements (accepted -> confirmed or sent again) without holding other batches.
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor, numberOf } from '../../support/fixtures.js';
import { MemoryBuffer } from '../../support/memory-buffer.js';
import { Harness, until } from './harness.js';

const started: Harness[] = [];
async function start(h: Harness): Promise<Harness> {
  started.push(h);
  await h.dispatcher.start();
  return h;
}
afterEach(async () => {
  for (const h of started.splice(0)) await h.dispatcher.close(0);
});

const nOf = (events: readonly SinkEvent[]) => events.map(numberOf);

async function metric(h: Harness, name: string): Promise<{ labels: object; value: number }[]> {
  const m = h.telemetry.registry.getSingleMetric(name);
  return m ? (await m.get()).values : [];
}

describe('payload limits', () => {
  it("claims no more events per batch than the sink's maxEvents", async () => {
    const sink = new ScriptedSink();
    sink.limits = { maxEvents: 3, maxRequestBytes: 1 << 30, maxEventBytes: 1 << 30 };
    const h = await start(new Harness({ fallback: sink, lane: { batchSize: 100, maxBatchAgeMs: 0 } }));
    await h.buffer.append(eventsFor('acme', 8));
    await h.drained();
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });
});

describe('authentication failures', () => {
  it('retry policy: holds the tenant and retries the same batch, other tenants untouched, state shown', async () => {
    let refuse = true;
    const locked = new ScriptedSink(() =>
      refuse
        ? { kind: 'auth_failed', status: 401, reason: 'HTTP 401: token revoked' }
        : { kind: 'delivered' },
    );
    const other = new ScriptedSink();
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, sinks: { acme: locked }, fallback: other }));
    await buffer.append(eventsFor('acme', 3));
    await buffer.append(eventsFor('globex', 4));
    await until(() => expect(locked.calls.length).toBeGreaterThanOrEqual(3));
    // globex delivered while acme is held; nothing of acme was dead-lettered.
    await until(() => expect(other.calls.flatMap((c) => c.ids)).toHaveLength(4));
    expect(buffer.deadLetters).toEqual([]);
    expect(new Set(locked.calls.map((c) => c.ids.join()))).toEqual(new Set([locked.calls[0]!.ids.join()]));
    const states = await metric(h, 'logdriver_delivery_tenants');
    expect(states).toContainEqual({ labels: { sink: 'fake', state: 'auth_failed' }, value: 1 });
    const failures = await metric(h, 'logdriver_delivery_auth_failures_total');
    expect(failures[0]!.value).toBeGreaterThanOrEqual(3);

    refuse = false; // the operator fixed the token
    await h.drained();
    expect(buffer.deadLetters).toEqual([]);
    const after = await metric(h, 'logdriver_delivery_tenants');
    expect(after).toContainEqual({ labels: { sink: 'fake', state: 'ok' }, value: 2 });
    expect(after).toContainEqual({ labels: { sink: 'fake', state: 'auth_failed' }, value: 0 });
  });

  it('dead_letter policy: the batch is dead-lettered with the reason and status', async () => {
    const sink = new ScriptedSink((_e, _s, call) =>
      call === 0
        ? { kind: 'auth_failed', status: 403, reason: 'HTTP 403: forbidden' }
        : { kind: 'delivered' },
    );
    sink.onAuthFailure = 'dead_letter';
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 2 } }));
    await buffer.append(eventsFor('acme', 2));
    await until(() => expect(buffer.deadLetters).toHaveLength(2));
    expect(buffer.deadLetters.map((d) => [d.status, d.reason])).toEqual([
      [403, 'HTTP 403: forbidden'],
      [403, 'HTTP 403: forbidden'],
    ]);
    await buffer.append(eventsFor('acme', 1, 2));
    await h.drained();
  });
});

/** A sink that accepts every batch with a token and confirms the tokens a test marks as indexed. */
function deferredSink(timeoutMs = 60_000, maxPending = 100): { sink: ScriptedSink; indexed: Set<string> } {
  const indexed = new Set<string>();
  const sink = new ScriptedSink((_e, _s, call) => ({ kind: 'accepted', token: `ack-${call}` }));
  sink.deferred = { pollIntervalMs: 5, timeoutMs, maxPending };
  sink.confirm = (_tenant, tokens) => Promise.resolve(new Set(tokens.filter((t) => indexed.has(t))));
  return { sink, indexed };
}

describe('deferred acknowledgements', () => {
  it('deletes nothing before the sink confirms, and keeps sending later batches meanwhile', async () => {
    const { sink, indexed } = deferredSink();
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 2, maxBatchAgeMs: 0 } }));
    await buffer.append(eventsFor('acme', 6));
    // All three batches sent although none is confirmed: accepted batches do not hold the lane.
    await until(() => expect(sink.calls).toHaveLength(3));
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(buffer.stats().events).toBe(6);

    indexed.add('ack-1');
    await until(() => expect(buffer.stats().events).toBe(4));
    indexed.add('ack-0');
    indexed.add('ack-2');
    await h.drained();
    expect(sink.calls).toHaveLength(3);
  });

  it('sends a batch again when its acknowledgement never comes within timeoutMs', async () => {
    const { sink, indexed } = deferredSink(40);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 3, maxBatchAgeMs: 0 } }));
    await buffer.append(eventsFor('acme', 3));
    await until(() => expect(sink.calls.length).toBeGreaterThanOrEqual(2));
    expect(sink.calls[1]!.ids).toEqual(sink.calls[0]!.ids);
    indexed.add(`ack-${sink.calls.length - 1}`);
    await h.drained();
    expect(buffer.deadLetters).toEqual([]);
  });

  it('stops claiming new batches at maxPending unconfirmed ones', async () => {
    const { sink, indexed } = deferredSink(60_000, 2);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 1, maxBatchAgeMs: 0 } }));
    await buffer.append(eventsFor('acme', 5));
    await until(() => expect(sink.calls).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.calls).toHaveLength(2);
    indexed.add('ack-0');
    await until(() => expect(sink.calls).toHaveLength(3));
    for (let i = 1; i < 5; i++) indexed.add(`ack-${i}`);
    await h.drained();
  });

  it('a failing confirm call is asked again, never treated as confirmed', async () => {
    const { sink, indexed } = deferredSink();
    let fail = 3;
    const confirm = sink.confirm!;
    sink.confirm = (tenant, tokens, signal) =>
      fail-- > 0 ? Promise.reject(new Error('ack endpoint down')) : confirm(tenant, tokens, signal);
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 2, maxBatchAgeMs: 0 } }));
    await buffer.append(eventsFor('acme', 2));
    indexed.add('ack-0');
    await h.drained();
    expect(fail).toBeLessThan(0);
    expect(sink.calls).toHaveLength(1);
  });

  it('at stop, unconfirmed batches stay stored for the next start', async () => {
    const { sink } = deferredSink();
    const buffer = new MemoryBuffer();
    const h = new Harness({ buffer, fallback: sink, lane: { batchSize: 2, maxBatchAgeMs: 0 } });
    await h.dispatcher.start();
    await buffer.append(eventsFor('acme', 4));
    await until(() => expect(sink.calls).toHaveLength(2));
    await h.dispatcher.close(1000);
    expect(buffer.stats().events).toBe(4);
    // Released, not leased: a new claim gets them again.
    const lease = await buffer.claim('acme', 10, 1 << 20);
    expect(lease?.count).toBe(4);
  });
});

describe('many tenants', () => {
  it('holds leases for at most the send slots (plus read-ahead), however many tenants wait', async () => {
    const releases: (() => void)[] = [];
    const sink = new ScriptedSink(
      () => new Promise((resolve) => releases.push(() => resolve({ kind: 'delivered' }))),
    );
    const buffer = new MemoryBuffer();
    const h = await start(
      new Harness({ buffer, fallback: sink, maxInFlight: 3, lane: { maxBatchAgeMs: 0 } }),
    );
    for (let t = 0; t < 200; t++) await buffer.append(eventsFor(`tenant-${t}`, 1));
    await until(() => expect(sink.inFlight).toBe(3));
    await new Promise((r) => setTimeout(r, 50));
    // Without the gate every one of the 200 lanes would have claimed its batch already.
    expect(buffer.openLeases).toBeLessThanOrEqual(3);
    // Everything still goes, in turn.
    const drain = setInterval(() => releases.splice(0).forEach((r) => r()), 2);
    await h.drained();
    clearInterval(drain);
    expect(sink.calls).toHaveLength(200);
  });
});

describe('a delivery that throws unexpectedly', () => {
  it('returns its events to the buffer, so they are claimed and delivered again', async () => {
    const sink = new ScriptedSink((_e, _s, call) =>
      call === 0 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'delivered' },
    );
    const h = new Harness({ fallback: sink, lane: { batchSize: 3, maxBatchAgeMs: 0 } });
    let thrown = 0;
    const original = h.telemetry.batchRetried.bind(h.telemetry);
    h.telemetry.batchRetried = (...args) => {
      if (thrown++ === 0) throw new Error('a bug between the send and the retry mark');
      original(...args);
    };
    await start(h);
    await h.buffer.append(eventsFor('acme', 3));
    await h.drained();
    expect(thrown).toBe(1);
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });
});

describe('events a receiver reports dropping without naming them', () => {
  it('are counted per sink type and the batch is deleted, nothing resent or dead-lettered', async () => {
    const sink = new ScriptedSink(() => ({
      kind: 'delivered',
      receiverDropped: { count: 2, message: 'records older than 7 days dropped' },
    }));
    const buffer = new MemoryBuffer();
    const h = await start(
      new Harness({ buffer, fallback: sink, lane: { batchSize: 100, maxBatchAgeMs: 0 } }),
    );
    await buffer.append(eventsFor('acme', 5));
    await h.drained();
    expect(sink.calls).toHaveLength(1);
    expect(buffer.deadLetters).toEqual([]);
    const dropped = await metric(h, 'logdriver_delivery_receiver_dropped_events_total');
    expect(dropped).toEqual([{ labels: { sink: sink.type }, value: 2 }]);
  });
});
