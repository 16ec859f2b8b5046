// Runs the buffer conformance suite against the in-memory reference itself (its store stands in for the disk).
import { MemoryBuffer, MemoryStore } from '../../support/memory-buffer.js';
import { bufferConformance } from './conformance.js';

const stores = new Map<string, MemoryStore>();

bufferConformance(
  'memory',
  (dir, { maxBytes }) => {
    let store = stores.get(dir);
    if (!store) stores.set(dir, (store = new MemoryStore()));
    return new MemoryBuffer({ store, maxBytes });
  },
  { reopen: true },
);
