// A flood of tenant ids: lanes exist only for tenants being served. More tenants than the active-lane bound
// wait their turn in a queue, tenants backing off are parked without a lane, and nobody waits for ever.
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkOutcome } from '../../../src/sinks/types.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor, numberOf } from '../../support/fixtures.js';
import { MemoryBuffer, MemoryStore } from '../../support/memory-buffer.js';
import { closeStarted, Harness, start, until } from './harness.js';

afterEach(closeStarted);

/** The active-lane bound with maxInFlight 8 (the dispatcher's floor). */
const BOUND = 256;
const TENANTS = 1500;
const tenant = (i: number): string => `t${i}`;
const down = { kind: 'retry', status: 503, reason: 'HTTP 503' } as const;

async function appendFlood(buffer: MemoryBuffer, perTenant = 1): Promise<void> {
  for (let i = 0; i < TENANTS; i++) await buffer.append(eventsFor(tenant(i), perTenant));
}

describe('a flood of tenant ids', () => {
  it('keeps lanes within the bound while thousands of tenants wait, and delivers every one', async () => {
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer }));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, h.dispatcher.lanes)), 1);
    await appendFlood(buffer);
    expect(h.dispatcher.queuedTenants).toBeGreaterThan(0);
    await h.drained();
    clearInterval(sampler);
    most = Math.max(most, h.dispatcher.lanes);
    expect(most).toBeLessThanOrEqual(BOUND);
    const delivered = new Set(h.fallback.calls.flatMap((c) => c.tenant));
    expect(delivered.size).toBe(TENANTS);
    expect(h.dispatcher.queuedTenants).toBe(0);
  });

  it('parks tenants whose sink is down without a lane each, and delivers them once it is back', async () => {
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink(() => down);
    // With the service's default poison policy: a lone event is a suspect after one failure, and still parks.
    const poison = { bisectAfterFailures: 3, maxAttempts: 20, maxAgeMs: 24 * 60 * 60_000 };
    const lane = { retry: { initialMs: 50, maxMs: 50 }, poison };
    const h = await start(new Harness({ buffer, fallback: sink, lane }));
    await appendFlood(buffer);
    // Every tenant has been tried once: the back-offs are parked, not slept in lanes.
    await until(() => expect(new Set(sink.calls.map((c) => c.tenant)).size).toBe(TENANTS));
    expect(h.dispatcher.lanes).toBeLessThanOrEqual(BOUND);
    expect(h.dispatcher.parkedTenants).toBeGreaterThan(TENANTS - BOUND);
    const status = h.dispatcher.laneStatus(tenant(0));
    expect(status?.state).toBe('retrying');
    expect(status?.lastError?.reason).toBe('HTTP 503');
    // Parked tenants stay counted in their state.
    const states = (await h.telemetry.registry.getSingleMetric('logdriver_delivery_tenants')!.get()).values;
    const retrying = states.find((v) => v.labels.state === 'retrying')?.value ?? 0;
    expect(retrying).toBe(TENANTS);

    sink.script = () => ({ kind: 'delivered' });
    await h.drained(20_000);
    const delivered = sink.calls.filter((c, i) => i >= TENANTS && c.tenant);
    expect(new Set(delivered.map((c) => c.tenant)).size).toBe(TENANTS);
    expect(h.dispatcher.parkedTenants).toBe(0);
  });

  it('a parked tenant resends exactly the events that failed, before newer ones', async () => {
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink((_e, _s, call): SinkOutcome => (call < 2 ? down : { kind: 'delivered' }));
    const h = await start(
      new Harness({ buffer, fallback: sink, lane: { retry: { initialMs: 30, maxMs: 30 } } }),
    );
    await buffer.append(eventsFor('acme', 2));
    await until(() => expect(h.dispatcher.parkedTenants).toBe(1));
    await buffer.append(eventsFor('acme', 3, 2));
    await h.drained();
    expect(sink.calls.map((c) => c.ids.length)).toEqual([2, 2, 2, 3]);
    expect(sink.calls[1]!.ids).toEqual(sink.calls[0]!.ids);
    expect(sink.calls[3]!.events.map(numberOf)).toEqual([2, 3, 4]);
  });

  it('a parked tenant with more events than a batch loses none: a lease read ahead goes back with it', async () => {
    // A stored wait parks the lane as its first batch starts, while it reads its next batch ahead: that lease
    // must go back to the buffer, not stay with the retired lane (its events would wait for a restart).
    const store = new MemoryStore();
    const before = new MemoryBuffer({ store });
    await before.append(eventsFor('acme', 95));
    await before.retry((await before.claim('acme', 10, 1 << 20))!, Date.now() + 60 * 60_000);
    await before.close();
    const buffer = new MemoryBuffer({ store });
    const h = await start(new Harness({ buffer, lane: { retry: { initialMs: 20, maxMs: 20 } } }));
    await h.drained();
    const delivered = h.fallback.calls.flatMap((c) => c.events.map(numberOf));
    expect(delivered).toEqual(Array.from({ length: 95 }, (_, i) => i));
  });

  it('a restart on waits stored by the previous process parks them all at once, not 256 at a time', async () => {
    // Each tenant's events carry a long stored wait (a back-off of the process before): the restart shortens it
    // to retry.initialMs, and those waits are parked, so they never hold the active places of the lanes.
    const store = new MemoryStore();
    const before = new MemoryBuffer({ store });
    const n = 600;
    for (let i = 0; i < n; i++) {
      await before.append(eventsFor(tenant(i), 1));
      await before.retry((await before.claim(tenant(i), 10, 1 << 20))!, Date.now() + 60 * 60_000);
    }
    await before.close();
    const buffer = new MemoryBuffer({ store });
    const h = await start(new Harness({ buffer, lane: { retry: { initialMs: 1500, maxMs: 1500 } } }));
    await until(() => expect(h.dispatcher.parkedTenants).toBe(n), 1000);
    expect(h.fallback.calls).toHaveLength(0);
    await h.drained();
    expect(new Set(h.fallback.calls.map((c) => c.tenant)).size).toBe(n);
  });

  it('a tenant waiting behind busy lanes is served: busy lanes give up their room at a batch boundary', async () => {
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, lane: { batchSize: 1 } }));
    // BOUND busy tenants with many events each, then one more tenant with a single event.
    for (let i = 0; i < BOUND; i++) await buffer.append(eventsFor(tenant(i), 40));
    expect(h.dispatcher.lanes).toBe(BOUND);
    const callsBefore = h.fallback.calls.length;
    await buffer.append(eventsFor('late', 1));
    expect(h.dispatcher.queuedTenants).toBe(1);
    await h.drained(20_000);
    // Without giving up room, 'late' would go after every busy tenant's last event (~10,000 sends later).
    const lateAt = h.fallback.calls.findIndex((c) => c.tenant === 'late');
    expect(lateAt - callsBefore).toBeGreaterThan(0);
    expect(lateAt - callsBefore).toBeLessThan(2 * BOUND);
    expect(h.fallback.calls.length - lateAt).toBeGreaterThan(BOUND * 20);
  });
});
