// ZeroMQ ingest when the buffer cannot commit (disk full): the events are kept and stored again, in order,
// and the socket is not read meanwhile, so nothing a producer sent is lost.
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Admission, IncomingEvent } from '../../../src/buffer/types.js';
import { ZmqIngest } from '../../../src/ingest/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { eventually } from '../../support/service.js';

/** A buffer whose commits fail until `healthy` is set; it records what it stored. */
class FlakyBuffer {
  healthy = false;
  failures = 0;
  readonly stored: string[] = [];
  append(events: readonly IncomingEvent[]): Promise<void> {
    if (!this.healthy) {
      this.failures++;
      return Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
    }
    for (const e of events) this.stored.push(e.payload.toString());
    return Promise.resolve();
  }
  admission(): Admission {
    return 'open';
  }
  whenOpen(): Promise<void> {
    return Promise.resolve();
  }
}

describe('ZeroMQ ingest and failed commits', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('keeps events of failed commits, pauses reading, and stores everything in order once commits work', async () => {
    const buffer = new FlakyBuffer();
    const ingest = new ZmqIngest({
      endpoint: 'tcp://127.0.0.1:*',
      mode: 'bind',
      highWaterMark: 1000,
      maxEventBytes: 1 << 20,
      whenFull: 'block',
      buffer,
      telemetry: new Telemetry(silentLogger(), { defaultMetrics: false }),
    });
    const endpoint = await ingest.start();
    const push = new Push();
    push.connect(endpoint);
    // Ingest closes first: a peer closing while close() unbinds can abort libzmq 4.3.5 (pipe.cpp:355).
    cleanups.push(
      () => push.close(),
      () => ingest.close(),
    );

    const sent = Array.from({ length: 50 }, (_, n) => JSON.stringify({ tenantId: 'acme', n }));
    for (const e of sent) await push.send(e);
    await eventually('several commits failed', () => buffer.failures >= 3);
    expect(buffer.stored).toEqual([]);

    buffer.healthy = true;
    await eventually('everything stored', () => buffer.stored.length >= sent.length);
    expect(buffer.stored).toEqual(sent);
  });
});
