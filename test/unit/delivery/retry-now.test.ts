// Persisted back-off can be cut short: a restart does not keep an earlier process's wait, retryNow wakes a
// tenant's lane, and a config change of a tenant's sink wakes that tenant only.
import { afterEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { Dispatcher, Router } from '../../../src/delivery/index.js';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor, silentTelemetry } from '../../support/fixtures.js';
import { MemoryBuffer, MemoryStore } from '../../support/memory-buffer.js';
import { closeStarted, Harness, lane, start, until } from './harness.js';

afterEach(closeStarted);

const HOUR = 60 * 60 * 1000;
const throttled = { kind: 'retry', status: 429, reason: 'HTTP 429', retryAfterMs: 15 * 60_000 } as const;

describe('retry now', () => {
  it('a restart does not keep a wait stored by the previous process (attempts are kept)', async () => {
    const store = new MemoryStore();
    const before = new MemoryBuffer({ store });
    await before.append(eventsFor('acme', 3));
    const lease = (await before.claim('acme', 10, 1 << 20))!;
    await before.retry(lease, Date.now() + HOUR);
    await before.close();

    const buffer = new MemoryBuffer({ store });
    const h = await start(new Harness({ buffer }));
    await until(() => expect(h.fallback.calls).toHaveLength(1), 2000);
    await h.drained();
  });

  it("retryNow ends a tenant's long back-off at once, and only that tenant's", async () => {
    const acme = new ScriptedSink((_e, _s, call) => (call === 0 ? throttled : { kind: 'delivered' }));
    const globex = new ScriptedSink((_e, _s, call) => (call === 0 ? throttled : { kind: 'delivered' }));
    const buffer = new MemoryBuffer();
    const h = await start(new Harness({ buffer, sinks: { acme, globex } }));
    await buffer.append(eventsFor('acme', 2));
    await buffer.append(eventsFor('globex', 2));
    await until(() => expect(acme.calls.length + globex.calls.length).toBe(2));
    expect(h.dispatcher.retryNow('acme')).toBe(true);
    await until(() => expect(acme.calls).toHaveLength(2), 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(globex.calls).toHaveLength(1);
    expect(h.dispatcher.retryNow('nobody')).toBe(false);
  });

  it('an auth hold is woken too, and a failure after the wake backs off again', async () => {
    const sink = new ScriptedSink(() => ({ kind: 'auth_failed', status: 401, reason: 'HTTP 401' }));
    const h = await start(new Harness({ fallback: sink, lane: { retry: { initialMs: HOUR, maxMs: HOUR } } }));
    await h.buffer.append(eventsFor('acme', 1));
    await until(() => expect(sink.calls).toHaveLength(1));
    h.dispatcher.retryNow('acme');
    await until(() => expect(sink.calls).toHaveLength(2), 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.calls).toHaveLength(2);
  });

  it("a config change of a tenant's sink wakes that tenant's lane; an unchanged tenant keeps waiting", async () => {
    const sinks = { acme: new ScriptedSink(), globex: new ScriptedSink() };
    let fail = true;
    for (const s of Object.values(sinks)) s.script = () => (fail ? throttled : { kind: 'delivered' });
    const config = (acmeToken: string) => ({
      defaultSink: sinkSchema.parse({ type: 'stdout' }),
      tenants: {
        acme: {
          sink: sinkSchema.parse({
            type: 'http',
            url: 'http://127.0.0.1:9/acme',
            auth: { bearer: acmeToken },
          }),
        },
        globex: { sink: sinkSchema.parse({ type: 'http', url: 'http://127.0.0.1:9/globex' }) },
      },
    });
    const router = new Router(config('old-token'), (c) =>
      c.type === 'http' ? sinks[new URL(c.url).pathname.slice(1) as 'acme' | 'globex'] : new ScriptedSink(),
    );
    const buffer = new MemoryBuffer();
    const dispatcher = new Dispatcher({
      buffer,
      router,
      telemetry: silentTelemetry(),
      lane: lane(),
      maxInFlight: 8,
      pollIntervalMs: HOUR,
      random: () => 0.5,
    });
    await dispatcher.start();
    try {
      await buffer.append([...eventsFor('acme', 1), ...eventsFor('globex', 1)]);
      await until(() => expect(sinks.acme.calls.length + sinks.globex.calls.length).toBe(2));
      fail = false;
      // Only a secret changed: still a change of acme's sink.
      router.update(config('new-token'), 0);
      await until(() => expect(sinks.acme.calls).toHaveLength(2), 2000);
      await new Promise((r) => setTimeout(r, 50));
      expect(sinks.globex.calls).toHaveLength(1);
    } finally {
      await dispatcher.close(0);
    }
  });
});
