// Regression: events committed while a lane's read is in flight must still be delivered. The read may not see
// them, and its (empty or short) result used to reset the lane's estimate, stranding the events until a poll.
import { describe, expect, it } from 'vitest';
import { ScriptedSink } from '../../support/fake-sink.js';
import { eventsFor } from '../../support/fixtures.js';
import { MemoryBuffer } from '../../support/memory-buffer.js';
import { Harness } from './harness.js';

describe('lane hints during a read', () => {
  it('delivers an event committed while the lane was reading ahead', async () => {
    const buffer = new MemoryBuffer();
    const sink = new ScriptedSink();
    // The poll (the safety net) is an hour away in the harness: only the lane's own bookkeeping can deliver.
    const h = new Harness({ buffer, fallback: sink, lane: { batchSize: 1, maxBatchAgeMs: 2 } });
    try {
      await buffer.append(eventsFor('acme', 1, 0));
      await h.dispatcher.start();
      // Two commits back to back: the lane reads ahead after the first and the second lands during that read.
      await buffer.append(eventsFor('initech', 1, 0));
      await buffer.append(eventsFor('initech', 1, 1));
      await h.drained(5_000);
      expect(sink.acknowledged()).toHaveLength(3);
    } finally {
      await h.dispatcher.close(0);
    }
  });
});
