// Config refresh: with configRefreshIntervalMs set, editing the file's tenants re-routes new batches.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { startService } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { event, eventually, tempDir, testConfig } from '../support/service.js';

describe('config refresh', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  /**
   * A service started from a config file routing acme to `before`, with `configRefreshIntervalMs` as given;
   * write(url) rewrites the file to route acme to url. Everything is closed after the test.
   */
  async function startWithTwoSinks(configRefreshIntervalMs: number) {
    const dir = tempDir();
    const before = await startMockSink({ keepEvents: true });
    const after = await startMockSink({ keepEvents: true });
    cleanups.push(
      dir.remove,
      () => before.close(),
      () => after.close(),
    );
    const file = join(dir.path, 'logdriver.json');
    const write = (url: string) =>
      writeFileSync(
        file,
        JSON.stringify(
          testConfig(join(dir.path, 'data'), {
            configRefreshIntervalMs,
            tenants: { acme: { sink: { type: 'http', url } } },
          }),
        ),
      );
    write(before.url);
    const service = await startService(loadConfig({ file }), { log: silentLogger(), configFile: file });
    cleanups.push(() => service.stop());
    const push = new Push();
    push.connect(service.endpoints.zmq!);
    cleanups.push(() => push.close());
    return { before, after, write, push, file };
  }

  it('routes a tenant to its new sink after the file changes, and keeps running on a broken edit', async () => {
    const { before, after, write, push, file } = await startWithTwoSinks(50);
    await push.send(event('acme', 0));
    await before.waitFor((r) => r.unique === 1, 10_000);

    writeFileSync(file, '{ not json'); // a broken edit is logged and ignored
    await new Promise((r) => setTimeout(r, 150));
    await push.send(event('acme', 1));
    await before.waitFor((r) => r.unique === 2, 10_000);

    write(after.url);
    await new Promise((r) => setTimeout(r, 150));
    await push.send(event('acme', 2));
    await after.waitFor((r) => r.unique === 1, 10_000);
    expect(after.received('acme').map((r) => (r.event as { n: number }).n)).toEqual([2]);
    expect(before.report().unique).toBe(2);
  });

  it('applies an edited file without any refresh interval (the file is watched)', async () => {
    const { before, after, write, push } = await startWithTwoSinks(0);
    await push.send(event('acme', 0));
    await before.waitFor((r) => r.unique === 1, 10_000);

    write(after.url);
    // The watcher looks every 2 s: events keep going to the old sink until then, and to the new one after.
    let n = 1;
    await eventually('an event of acme reaches the sink of the edited file', async () => {
      await push.send(event('acme', n++));
      return after.report().unique > 0;
    });
    const moved = (after.received('acme')[0]!.event as { n: number }).n;
    expect(before.received('acme').every((r) => (r.event as { n: number }).n < moved)).toBe(true);
  });
});
