// Builds a Dispatcher over a test buffer and scripted sinks, and collects what the sinks saw.
import { vi } from 'vitest';
import type { EventBuffer } from '../../../src/buffer/types.js';
import { sinkSchema } from '../../../src/config/schema.js';
import { Dispatcher, Router, type LaneSettings } from '../../../src/delivery/index.js';
import { silentTelemetry } from '../../support/fixtures.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { MemoryBuffer } from '../../support/memory-buffer.js';

export const lane = (over: Partial<LaneSettings> = {}): LaneSettings => ({
  batchSize: 10,
  maxBatchAgeMs: 5,
  maxBatchBytes: 1024 * 1024,
  maxInFlightPerTenant: 1,
  retry: { initialMs: 2, maxMs: 8 },
  sendTimeoutMs: 30_000,
  ...over,
});

/** Tenants in `own` get their own sink (an http config naming them); every other tenant gets `fallback`. */
export function routerFor(own: Readonly<Record<string, ScriptedSink>>, fallback: ScriptedSink): Router {
  const tenants = Object.fromEntries(
    Object.keys(own).map((t) => [
      t,
      { sink: sinkSchema.parse({ type: 'http', url: `http://127.0.0.1:9/${t}` }) },
    ]),
  );
  return new Router({ defaultSink: sinkSchema.parse({ type: 'stdout' }), tenants }, (c) =>
    c.type === 'http' ? own[decodeURIComponent(new URL(c.url).pathname.slice(1))]! : fallback,
  );
}

export interface HarnessOptions {
  readonly buffer?: EventBuffer;
  readonly sinks?: Readonly<Record<string, ScriptedSink>>;
  readonly fallback?: ScriptedSink;
  readonly lane?: Partial<LaneSettings>;
  readonly maxInFlight?: number;
  readonly random?: () => number;
}

export class Harness {
  readonly buffer: EventBuffer;
  readonly fallback: ScriptedSink;
  readonly dispatcher: Dispatcher;
  readonly telemetry = silentTelemetry();

  constructor(o: HarnessOptions = {}) {
    this.buffer = o.buffer ?? new MemoryBuffer();
    this.fallback = o.fallback ?? new ScriptedSink();
    this.dispatcher = new Dispatcher({
      buffer: this.buffer,
      router: routerFor(o.sinks ?? {}, this.fallback),
      telemetry: this.telemetry,
      lane: lane(o.lane),
      maxInFlight: o.maxInFlight ?? 8,
      // Long enough that the safety-net poll never masks a lane that failed to notice its events.
      pollIntervalMs: 60 * 60 * 1000,
      random: o.random ?? (() => 0.5),
    });
  }

  /** Waits until the buffer holds no events (all acknowledged or dead-lettered). */
  async drained(timeout = 10_000): Promise<void> {
    await vi.waitFor(
      () => {
        if (this.buffer.stats().events !== 0) throw new Error(`${this.buffer.stats().events} events left`);
      },
      { timeout, interval: 5 },
    );
  }
}

const started: Harness[] = [];

/** Starts the harness's dispatcher; closeStarted() (in an afterEach) closes every one started so. */
export async function start(h: Harness): Promise<Harness> {
  started.push(h);
  await h.dispatcher.start();
  return h;
}

export async function closeStarted(): Promise<void> {
  for (const h of started.splice(0)) await h.dispatcher.close(0);
}

/** Waits until `check` stops throwing (for sink calls to arrive). */
export function until(check: () => void, timeout = 10_000): Promise<void> {
  return vi.waitFor(check, { timeout, interval: 5 });
}
