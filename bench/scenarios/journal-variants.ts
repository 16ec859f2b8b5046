// The `journal` scenario's SQLite variants as data: each changes one or two choices from a neighbour, so
// every ratio in the report isolates a decision (journal mode, synchronous, commit style, schema, vacuum).

export interface JournalVariant {
  readonly name: string;
  readonly journal: 'delete' | 'wal';
  readonly synchronous: 'full' | 'normal';
  /** per-event: every insert its own transaction (the prototype); group: `batch` inserts per transaction. */
  readonly commit: 'per-event' | 'group';
  /** rowid-index: rowid table + (tid, seq) index; clustered: WITHOUT ROWID (tid, seq) (logdriver's schema). */
  readonly schema: 'rowid-index' | 'clustered' | 'no-index';
  readonly autoVacuum: 'none' | 'incremental';
}

/** The prototype's style, the baseline of every ratio: WAL, FULL, one transaction per event. */
export const PROTOTYPE_VARIANT = 'prototype-wal';

export const JOURNAL_VARIANTS: readonly JournalVariant[] = [
  {
    name: 'prototype-rollback',
    journal: 'delete',
    synchronous: 'full',
    commit: 'per-event',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: PROTOTYPE_VARIANT,
    journal: 'wal',
    synchronous: 'full',
    commit: 'per-event',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'per-event-rollback-normal',
    journal: 'delete',
    synchronous: 'normal',
    commit: 'per-event',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'per-event-wal-normal',
    journal: 'wal',
    synchronous: 'normal',
    commit: 'per-event',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'group-rollback-full',
    journal: 'delete',
    synchronous: 'full',
    commit: 'group',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'group-wal-full',
    journal: 'wal',
    synchronous: 'full',
    commit: 'group',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'group-wal-normal',
    journal: 'wal',
    synchronous: 'normal',
    commit: 'group',
    schema: 'rowid-index',
    autoVacuum: 'none',
  },
  {
    name: 'group-wal-full-no-index',
    journal: 'wal',
    synchronous: 'full',
    commit: 'group',
    schema: 'no-index',
    autoVacuum: 'none',
  },
  {
    name: 'group-wal-full-clustered',
    journal: 'wal',
    synchronous: 'full',
    commit: 'group',
    schema: 'clustered',
    autoVacuum: 'none',
  },
  // logdriver's defaults: WAL, FULL, group commit, clustered (tid, seq), incremental auto_vacuum.
  {
    name: 'logdriver',
    journal: 'wal',
    synchronous: 'full',
    commit: 'group',
    schema: 'clustered',
    autoVacuum: 'incremental',
  },
  {
    name: 'logdriver-normal',
    journal: 'wal',
    synchronous: 'normal',
    commit: 'group',
    schema: 'clustered',
    autoVacuum: 'incremental',
  },
];
