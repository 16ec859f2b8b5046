// Delivery outcomes through Dispatcher and Lane: batching, retries, dead letters, partial failures, ordering.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/buffer/types.js';
import type { SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
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

type Step =
  | { kind: 'delivered' }
  | { kind: 'retry'; retryAfterMs?: number }
  | { kind: 'throw' }
  | { kind: 'rejected'; status?: number }
  | { kind: 'partial'; mask: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'delivered' as const }),
  fc.record({ kind: fc.constant('retry' as const), retryAfterMs: fc.option(fc.nat(15), { nil: undefined }) }),
  fc.constant({ kind: 'throw' as const }),
  fc.record({
    kind: fc.constant('rejected' as const),
    status: fc.option(fc.integer({ min: 400, max: 499 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('partial' as const), mask: fc.nat() }),
);

/** Answers call k with steps[k] (then 'delivered' forever); partial masks pick ok/retry/reject per event. */
function scripted(steps: readonly Step[]): ScriptedSink {
  return new ScriptedSink((events, _signal, call) => {
    const s = steps[call] ?? { kind: 'delivered' };
    switch (s.kind) {
      case 'throw':
        throw new Error(`sink exploded on call ${call}`);
      case 'rejected':
        return { kind: 'rejected', reason: `rejected by call ${call}`, status: s.status };
      case 'partial': {
        const code = (i: number) => (s.mask >> (2 * (i % 15))) & 3;
        return {
          kind: 'partial',
          retry: events.filter((_, i) => code(i) === 1).map((e) => e.id),
          rejected: events
            .filter((_, i) => code(i) === 2)
            .map((e) => ({ id: e.id, status: 422, reason: `bad ${e.id}` })),
        };
      }
      default:
        return s as SinkOutcome;
    }
  });
}

describe('Dispatcher delivery', () => {
  it('settles every event exactly once, in per-tenant order, whatever the sink answers', async () => {
    const tenants = fc.constantFrom('acme', 'globex', 'initech');
    const chunks = fc.array(fc.tuple(tenants, fc.integer({ min: 1, max: 7 })), {
      minLength: 1,
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(
        chunks,
        fc.array(step, { maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        async (appends, steps, batchSize) => {
          const buffer = new MemoryBuffer();
          const sink = scripted(steps);
          const h = new Harness({ buffer, fallback: sink, lane: { batchSize, maxBatchAgeMs: 2 } });
          const counts = new Map<string, number>();
          // Half the events are stored before start (found by the start-up scan), half arrive while running.
          for (const [i, [tenant, n]] of appends.entries()) {
            if (i === Math.floor(appends.length / 2)) await start(h);
            await buffer.append(eventsFor(tenant, n, counts.get(tenant) ?? 0));
            counts.set(tenant, (counts.get(tenant) ?? 0) + n);
          }
          if (started.at(-1) !== h) await start(h);
          await h.drained();
          checkSettlement(sink, buffer, counts, batchSize);
          await h.dispatcher.close(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sends a lone event once it is maxBatchAgeMs old', async () => {
    const h = await start(new Harness({ lane: { batchSize: 100, maxBatchAgeMs: 50 } }));
    const receivedAt = Date.now();
    await h.buffer.append(eventsFor('acme', 1, 0, receivedAt));
    await until(() => expect(h.fallback.calls).toHaveLength(1));
    expect(h.fallback.calls[0]!.wallTime - receivedAt).toBeGreaterThanOrEqual(45);
    await h.drained();
  });

  it('sends a full batch without waiting for maxBatchAgeMs', async () => {
    const h = await start(new Harness({ lane: { batchSize: 5, maxBatchAgeMs: 60 * 60 * 1000 } }));
    await h.buffer.append(eventsFor('acme', 7));
    await until(() => expect(h.fallback.calls).toHaveLength(1));
    expect(nOf(h.fallback.calls[0]!.events)).toEqual([0, 1, 2, 3, 4]);
  });

  it('resends the same events after a retry and persists the attempt first', async () => {
    const seen: { attempts: number; notBefore: number }[] = [];
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink((_events, _signal, call, batch) => {
      if (call === 0) return { kind: 'retry', reason: 'HTTP 503', status: 503 };
      // The batch is the lease the lane holds: its retry state is what the buffer recorded.
      const { attempts, notBefore } = batch as unknown as Lease;
      seen.push({ attempts, notBefore });
      return { kind: 'delivered' };
    });
    const h = await start(new Harness({ buffer, fallback: sink }));
    await buffer.append(eventsFor('acme', 3));
    await h.drained();
    expect(sink.calls.map((c) => c.ids)).toEqual([sink.calls[0]!.ids, sink.calls[0]!.ids]);
    expect(seen.map((e) => e.attempts)).toEqual([1]);
    expect(seen[0]!.notBefore).toBeGreaterThanOrEqual(sink.calls[0]!.wallTime);
  });

  it('waits at least the Retry-After the sink asked for before the next attempt', async () => {
    const sink = new ScriptedSink((_e, _s, call) =>
      call === 0
        ? { kind: 'retry', reason: 'HTTP 429', status: 429, retryAfterMs: 300 }
        : { kind: 'delivered' },
    );
    // random 0: the jittered backoff alone would retry at once.
    const h = await start(new Harness({ fallback: sink, random: () => 0 }));
    await h.buffer.append(eventsFor('acme', 2));
    await h.drained();
    const [first, second] = sink.calls;
    // Timers may fire a few ms early against performance.now(); the floor is what matters.
    expect(second!.startedAt - first!.endedAt!).toBeGreaterThanOrEqual(290);
  });

  it('treats a sink that throws as a retry', async () => {
    const sink = new ScriptedSink((_e, _s, call) => {
      if (call === 0) throw new Error('socket hang up');
      return { kind: 'delivered' };
    });
    const h = await start(new Harness({ fallback: sink }));
    await h.buffer.append(eventsFor('acme', 3));
    await h.drained();
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(h.buffer.stats().deadLetters).toBe(0);
  });

  it('dead-letters a rejected batch with its status and reason, then delivers later events', async () => {
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink((_e, _s, call) =>
      call === 0 ? { kind: 'rejected', status: 400, reason: 'mapping conflict' } : { kind: 'delivered' },
    );
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 3 } }));
    await buffer.append(eventsFor('acme', 3));
    await until(() => expect(buffer.deadLetters).toHaveLength(3));
    await buffer.append(eventsFor('acme', 2, 3));
    await h.drained();
    expect(buffer.deadLetters.map((d) => [numberOf(d.event), d.status, d.reason, d.attempts])).toEqual(
      [0, 1, 2].map((n) => [n, 400, 'mapping conflict', 1]),
    );
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  it('on a partial failure acks the rest, dead-letters the rejected, resends the retries before newer events', async () => {
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink((events, _s, call): SinkOutcome => {
      if (call !== 0) return { kind: 'delivered' };
      const [, e1, e2, e3] = events;
      return {
        kind: 'partial',
        retry: [e1!.id, e3!.id],
        rejected: [{ id: e2!.id, status: 413, reason: 'too big' }],
      };
    });
    const h = await start(new Harness({ buffer, fallback: sink, lane: { batchSize: 5 } }));
    await buffer.append(eventsFor('acme', 8));
    await h.drained();
    expect(sink.calls.map((c) => nOf(c.events))).toEqual([
      [0, 1, 2, 3, 4],
      [1, 3],
      [5, 6, 7],
    ]);
    expect(buffer.deadLetters.map((d) => [numberOf(d.event), d.status, d.reason])).toEqual([
      [2, 413, 'too big'],
    ]);
    expect(
      sink.acknowledged().map((id) => sink.calls.flatMap((c) => c.events).find((e) => e.id === id)!),
    ).toHaveLength(7);
  });
});

/** The exactly-once, ordering and batch-size rules, checked against what the sink was sent and answered. */
function checkSettlement(
  sink: ScriptedSink,
  buffer: MemoryBuffer,
  counts: ReadonlyMap<string, number>,
  batchSize: number,
): void {
  const key = (e: { tenant: string; payload: Buffer }) => `${e.tenant}#${numberOf(e)}`;
  const idOf = new Map<string, string>();
  const pending = new Map<string, Set<string>>();
  const sentMax = new Map<string, number>();
  const byId = new Map<string, SinkEvent>();
  for (const call of sink.calls) {
    const tenant = call.events[0]!.tenant;
    expect(
      call.events.every((e) => e.tenant === tenant),
      'a batch holds one tenant',
    ).toBe(true);
    expect(call.events.length).toBeLessThanOrEqual(batchSize);
    const ns = nOf(call.events);
    expect(ns, 'a batch is in append order').toEqual([...ns].sort((a, b) => a - b));
    const open = pending.get(tenant) ?? new Set<string>();
    const fresh = call.events.filter((e) => !idOf.has(key(e)));
    for (const e of call.events) {
      expect(idOf.get(key(e)) ?? e.id, 'an event keeps its id').toBe(e.id);
      idOf.set(key(e), e.id);
      byId.set(e.id, e);
    }
    if (fresh.length > 0) {
      expect([...open], 'newer events wait until earlier ones are settled').toEqual([]);
      expect(numberOf(fresh[0]!)).toBe((sentMax.get(tenant) ?? -1) + 1);
      sentMax.set(tenant, numberOf(fresh.at(-1)!));
    } else {
      expect(new Set(call.ids), 'a resend is exactly the unsettled events').toEqual(open);
    }
    const r = call.result;
    const stay = r === 'threw' || r?.kind === 'retry' ? call.ids : r?.kind === 'partial' ? r.retry : [];
    pending.set(tenant, new Set(stay));
  }
  const acked = sink.acknowledged();
  const dead = buffer.deadLetters.map((d) => d.event.id);
  expect(new Set(acked).size, 'nothing is acknowledged twice').toBe(acked.length);
  expect(acked.filter((id) => dead.includes(id))).toEqual([]);
  const all = [...counts].flatMap(([t, n]) => Array.from({ length: n }, (_, i) => `${t}#${i}`)).sort();
  expect([...acked, ...dead].map((id) => key(byId.get(id)!)).sort()).toEqual(all);
  for (const d of buffer.deadLetters) {
    const call = sink.calls.findLast((c) => c.ids.includes(d.event.id))!;
    const r = call.result as SinkOutcome;
    const want =
      r.kind === 'partial'
        ? r.rejected.find((x) => x.id === d.event.id)!
        : (r as { status?: number; reason: string });
    expect([d.status, d.reason]).toEqual([want.status ?? null, want.reason]);
  }
}
