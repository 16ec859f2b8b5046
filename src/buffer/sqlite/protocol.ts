// Messages between the SqliteBuffer (main thread) and its worker. Requests are handled strictly in order.
import type { EngineOptions, RangeRef, RowRef } from './engine.js';
import type { MaintenanceEvent } from './maintenance.js';

export type Request =
  | {
      op: 'commit';
      id: number;
      appends: ArrayBuffer;
      deletes: RowRef[];
      ranges: RangeRef[];
      retries: { rows: RowRef[]; nextAttemptAt: number }[];
    }
  | { op: 'read'; id: number; tenant: string; afterSeq: number; limit: number; maxBytes: number }
  | { op: 'deadLetter'; id: number; letters: { row: RowRef; status: number | null; reason: string }[] }
  | { op: 'backlog'; id: number }
  | { op: 'vacuum'; id: number }
  | { op: 'close'; id: number };

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { id: -1; ok: true; maintenance: MaintenanceEvent };

/** A request before the buffer numbers it (Omit that distributes over the union). */
export type Unnumbered<T = Request> = T extends unknown ? Omit<T, 'id'> : never;
export type WorkerData = EngineOptions;
