// Tests for tenant -> sink routing and its swap on config refresh.
import { describe, expect, it, vi } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { Router } from '../../../src/delivery/router.js';
import { ScriptedSink } from '../../support/fake-sink.js';

const http = (name: string) => sinkSchema.parse({ type: 'http', url: `http://127.0.0.1:9/${name}` });
const stdout = sinkSchema.parse({ type: 'stdout' });

/** A factory that makes a new named ScriptedSink per config and remembers them. */
function factory() {
  const made: ScriptedSink[] = [];
  const make = (c: ReturnType<typeof sinkSchema.parse>) => {
    const sink = new ScriptedSink(undefined, c.type === 'http' ? new URL(c.url).pathname.slice(1) : 'stdout');
    made.push(sink);
    return sink;
  };
  return { made, make };
}

describe('Router', () => {
  it('gives configured tenants their own sink and every other tenant the shared default', () => {
    const f = factory();
    const router = new Router(
      { defaultSink: stdout, tenants: { acme: { sink: http('acme') }, globex: { sink: http('globex') } } },
      f.make,
    );
    expect(router.sinkFor('acme').type).toBe('acme');
    expect(router.sinkFor('globex').type).toBe('globex');
    expect(router.sinkFor('initech')).toBe(router.sinkFor('umbrella'));
    expect(router.sinkFor('initech').type).toBe('stdout');
    expect(f.made).toHaveLength(3);
  });

  it('swaps the mapping on update and closes the old sinks after the grace period', async () => {
    const f = factory();
    const router = new Router({ defaultSink: stdout, tenants: { acme: { sink: http('acme') } } }, f.make);
    const [oldDefault, oldAcme] = [router.sinkFor('x'), router.sinkFor('acme')] as ScriptedSink[];
    router.update({ defaultSink: http('fallback'), tenants: { globex: { sink: http('globex') } } }, 0);
    expect(router.sinkFor('acme').type).toBe('fallback');
    expect(router.sinkFor('globex').type).toBe('globex');
    expect(router.sinkFor('x')).not.toBe(oldDefault);
    await vi.waitFor(() => expect(oldDefault!.closed && oldAcme!.closed).toBe(true));
    expect((router.sinkFor('globex') as ScriptedSink).closed).toBe(false);
  });

  it('keeps old sinks open during the grace period, and close() closes the current ones', async () => {
    const f = factory();
    const router = new Router({ defaultSink: stdout, tenants: {} }, f.make);
    const old = router.sinkFor('x') as ScriptedSink;
    router.update({ defaultSink: http('next'), tenants: {} }, 60_000);
    await new Promise((r) => setImmediate(r));
    expect(old.closed).toBe(false);
    await router.close();
    expect((router.sinkFor('x') as ScriptedSink).closed).toBe(true);
  });

  it('keeps the sinks whose config did not change (their connections, tokens and pending acks) across updates', async () => {
    const f = factory();
    const router = new Router(
      { defaultSink: stdout, tenants: { acme: { sink: http('acme') }, globex: { sink: http('globex') } } },
      f.make,
    );
    const [keptDefault, keptAcme, oldGlobex] = [
      router.sinkFor('x'),
      router.sinkFor('acme'),
      router.sinkFor('globex'),
    ] as ScriptedSink[];
    router.update(
      { defaultSink: stdout, tenants: { acme: { sink: http('acme') }, globex: { sink: http('globex-v2') } } },
      0,
    );
    expect(router.sinkFor('x')).toBe(keptDefault);
    expect(router.sinkFor('acme')).toBe(keptAcme);
    expect(router.sinkFor('globex')).not.toBe(oldGlobex);
    expect(f.made).toHaveLength(4); // only globex's new sink was built
    await vi.waitFor(() => expect(oldGlobex!.closed).toBe(true));
    expect(keptDefault!.closed || keptAcme!.closed).toBe(false);
  });

  it('on a failed update keeps the running sinks open and closes only what that attempt built', () => {
    const f = factory();
    const failing = (c: ReturnType<typeof sinkSchema.parse>) => {
      if (c.type === 'http' && c.url.endsWith('/broken')) throw new Error('cannot be built');
      return f.make(c);
    };
    const router = new Router({ defaultSink: stdout, tenants: { acme: { sink: http('acme') } } }, failing);
    const [keptDefault, keptAcme] = [router.sinkFor('x'), router.sinkFor('acme')] as ScriptedSink[];
    expect(() =>
      router.update(
        {
          defaultSink: stdout,
          tenants: { acme: { sink: http('acme') }, b: { sink: http('new') }, c: { sink: http('broken') } },
        },
        0,
      ),
    ).toThrow(/tenants\.c\.sink: cannot be built/);
    expect(router.sinkFor('x')).toBe(keptDefault);
    expect(router.sinkFor('acme')).toBe(keptAcme);
    expect(keptDefault!.closed || keptAcme!.closed).toBe(false);
    const builtForB = f.made.find((m) => m.type === 'new')!;
    expect(builtForB.closed).toBe(true);
  });
});
