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

/**
 * The full forwarder cycle: insert, then read each tenant's oldest batch and delete what was read. All run
 * WAL, synchronous FULL, group commit, auto_vacuum NONE, the same events and the same checkpoint rule, so
 * the ratios isolate the schema and the delete statement.
 */
export interface CycleVariant {
  readonly name: string;
  readonly journal: 'wal';
  readonly synchronous: 'full';
  readonly commit: 'group';
  readonly autoVacuum: 'none';
  readonly schema: 'rowid-index' | 'clustered';
  /** per-row: one DELETE per event; range: one `tid = ? AND seq BETWEEN ? AND ?` per batch (logdriver). */
  readonly deletes: 'per-row' | 'range';
}

/** The baseline of the cycle ratios: rowid table + tenant index, deleting row by row. */
export const CYCLE_BASELINE = 'cycle-rowid-index-per-row';

const CYCLE_COMMON = { journal: 'wal', synchronous: 'full', commit: 'group', autoVacuum: 'none' } as const;

export const CYCLE_VARIANTS: readonly CycleVariant[] = [
  { name: CYCLE_BASELINE, ...CYCLE_COMMON, schema: 'rowid-index', deletes: 'per-row' },
  { name: 'cycle-clustered-per-row', ...CYCLE_COMMON, schema: 'clustered', deletes: 'per-row' },
  // Range deletes need the clustered table: a tenant's batch is one contiguous key range only there.
  { name: 'cycle-logdriver', ...CYCLE_COMMON, schema: 'clustered', deletes: 'range' },
];

/**
 * Fixed cycle shape (not scenario params): tenants interleaved, events per tenant read. The WAL cap is the
 * service's default buffer.walMaxBytes (the runner reads it from the service's config schema).
 */
export const CYCLE_SHAPE = Object.freeze({ tenants: 50, readBatch: 1000 });
