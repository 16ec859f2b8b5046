// Messages between the SqliteBuffer (main thread) and its worker. Requests are handled strictly in order.
import type { CommitOps, EngineOptions } from './engine.js';
import type { LetterQuery } from './letter-queries.js';
import type { MaintenanceEvent } from './maintenance.js';

export type Request =
  | { op: 'commit'; id: number; ops: CommitOps }
  | { op: 'load'; id: number; ids: number[] }
  | { op: 'vacuum'; id: number }
  | { op: 'relieve'; id: number }
  | { op: 'letters'; id: number; query: LetterOp }
  | { op: 'close'; id: number };

/** Dead-letter operations of the admin API (see letter-queries.ts). */
export type LetterOp =
  | { kind: 'list'; query: LetterQuery }
  | { kind: 'forReplay'; tenant?: string | undefined; afterSeq: number; limit: number }
  | { kind: 'purge'; tenant?: string | undefined }
  | { kind: 'counts' };

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { id: -1; ok: true; maintenance: MaintenanceEvent };

/** A request before the buffer numbers it (Omit that distributes over the union). */
export type Unnumbered<T = Request> = T extends unknown ? Omit<T, 'id'> : never;
export type WorkerData = EngineOptions;
