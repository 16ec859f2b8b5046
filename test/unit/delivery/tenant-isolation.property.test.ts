// A tenant never receives another tenant's events: a property over the router, the lanes and the sinks, with
// random tenants (odd names included), random config changes while batches are in flight, and sinks that
// randomly fail, refuse part of a batch or reject it. Every sink is built for one config key, and must only
// ever see events of the tenant that key names (or, for the default sink, of tenants that were not configured
// at some point); every batch holds one tenant's events; and nothing appended is lost.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sinkSchema, type SinkConfig } from '../../../src/config/schema.js';
import { Dispatcher, Router } from '../../../src/delivery/index.js';
import type { SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor, silentTelemetry } from '../../support/fixtures.js';
import { MemoryBuffer } from '../../support/memory-buffer.js';
import { lane } from './harness.js';

const TENANTS = ['acme', 'globex', 'ACME', 'tenant with space', 'a/b?c', '\u00e9t\u00e9', '😀'] as const;
const SINKS = ['siem-a', 'siem-b', 'siem-c'] as const;

type Mapping = Readonly<Record<string, (typeof SINKS)[number]>>;
type Op =
  | { readonly kind: 'append'; readonly tenant: string; readonly n: number }
  | { readonly kind: 'update'; readonly mapping: Mapping }
  | { readonly kind: 'pause'; readonly ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      tenant: fc.constantFrom(...TENANTS),
      n: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      mapping: fc.dictionary(fc.constantFrom(...TENANTS), fc.constantFrom(...SINKS), { maxKeys: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 8 }) }),
  },
);

/** The sink config of a tenant routed to `sink`: the URL names both, so the built sink knows whose it is. */
const configFor = (tenant: string, sink: string): SinkConfig =>
  sinkSchema.parse({ type: 'http', url: `http://127.0.0.1:9/${sink}/${encodeURIComponent(tenant)}` });
const routingOf = (mapping: Mapping) => ({
  defaultSink: sinkSchema.parse({ type: 'stdout' }),
  tenants: Object.fromEntries(Object.entries(mapping).map(([t, s]) => [t, { sink: configFor(t, s) }])),
});

/** Outcomes drawn from a seeded generator: mostly delivered, some retries, partial refusals and rejections. */
function outcomeOf(events: readonly SinkEvent[], r: number): SinkOutcome {
  if (r < 0.6) return { kind: 'delivered' };
  if (r < 0.8) return { kind: 'retry', reason: 'HTTP 503' };
  if (r < 0.9 && events.length > 1) {
    const ids = events.map((e) => e.id);
    return {
      kind: 'partial',
      retry: ids.slice(0, 1),
      rejected: [{ id: ids[1]!, status: 400, reason: 'bad' }],
    };
  }
  return { kind: 'rejected', status: 400, reason: 'HTTP 400' };
}

describe('tenant isolation (property)', () => {
  it('no sink ever receives an event of a tenant it was not routed for, through config changes and failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer(), async (ops, seed) => {
        let state = seed >>> 0 || 1;
        const random = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return state / 2 ** 32;
        };
        /** Every sink built, with the tenant its config key names (undefined: the default sink). */
        const built: { sink: ScriptedSink; tenant: string | undefined }[] = [];
        /** Tenants that were not configured in some routing so far: the default sink may see them. */
        const everUnrouted = new Set<string>(TENANTS);
        const script = (events: readonly SinkEvent[]) => outcomeOf(events, random());
        const router = new Router(routingOf({}), (c) => {
          const tenant =
            c.type === 'http' ? decodeURIComponent(new URL(c.url).pathname.split('/')[2]!) : undefined;
          const sink = new ScriptedSink(script, c.type === 'http' ? new URL(c.url).pathname : 'default');
          built.push({ sink, tenant });
          return sink;
        });
        const buffer = new MemoryBuffer();
        const dispatcher = new Dispatcher({
          buffer,
          router,
          telemetry: silentTelemetry(),
          lane: lane({ batchSize: 5, maxBatchAgeMs: 0, retry: { initialMs: 1, maxMs: 4 } }),
          maxInFlight: 4,
          pollIntervalMs: 60 * 60 * 1000,
          random,
        });
        await dispatcher.start();
        let appended = 0;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              await buffer.append(eventsFor(o.tenant, o.n));
              appended += o.n;
            } else if (o.kind === 'update') {
              for (const t of TENANTS) if (!(t in o.mapping)) everUnrouted.add(t);
              router.update(routingOf(o.mapping), 0);
            } else await new Promise((r) => setTimeout(r, o.ms));
          }
          await expect.poll(() => buffer.stats().events, { timeout: 10_000, interval: 5 }).toBe(0);
        } finally {
          await dispatcher.close(0);
        }

        const delivered = new Set<string>();
        for (const { sink, tenant } of built) {
          for (const call of sink.calls) {
            // One tenant per batch, and the tenant the batch says.
            expect(new Set(call.events.map((e) => e.tenant))).toEqual(new Set([call.tenant]));
            if (tenant !== undefined) expect(call.tenant, `sink built for ${tenant}`).toBe(tenant);
            else expect(everUnrouted.has(call.tenant), `default sink got ${call.tenant}`).toBe(true);
            const result = call.result;
            if (result === undefined || result === 'threw') continue;
            if (result.kind === 'delivered') for (const id of call.ids) delivered.add(id);
            if (result.kind === 'partial') {
              const notOk = new Set([...result.retry, ...result.rejected.map((r) => r.id)]);
              for (const id of call.ids) if (!notOk.has(id)) delivered.add(id);
            }
          }
        }
        // Nothing lost: every appended event was delivered or dead-lettered.
        const dead = new Set(buffer.deadLetters.map((d) => d.event.id));
        expect(delivered.size + dead.size).toBeGreaterThanOrEqual(appended);
      }),
      { numRuns: 25 },
    );
  });
});
