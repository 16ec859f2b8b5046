// The `journal` scenario, in process: SQLite insert throughput of the same ~500-byte events under each
// variant of bench/scenarios/journal-variants.ts, file sizes after the run and after deleting everything,
// then the full forwarder cycle (insert, read each tenant's oldest batch, delete it) per cycle variant.
//
// Insert variants time only the inserts; cycles time the inserts and the drain apart (events are always
// generated beforehand). Sizes are taken after a TRUNCATE checkpoint, so they count what the database
// file itself holds, not what still sits in the WAL.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventFactory } from '../../src/tools/load/index.js';
import { JOURNAL_VARIANTS, PROTOTYPE_VARIANT, type JournalVariant } from '../scenarios/index.js';
import {
  CYCLE_BASELINE,
  CYCLE_SHAPE,
  CYCLE_VARIANTS,
  type CycleVariant,
} from '../scenarios/journal-variants.js';
import { SERVICE_DEFAULTS } from './service.js';
import type { Finding } from './targets.js';

export interface PreparedEvent {
  tid: number;
  payload: Buffer;
}

export interface VariantResult {
  variant: JournalVariant;
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** eventsPerSec / the prototype's (WAL, FULL, one transaction per event). */
  ratioVsPrototype: number;
  bytesAfterRun: number;
  /** After DELETE of every row (and incremental_vacuum with auto_vacuum=INCREMENTAL) and a checkpoint. */
  bytesAfterDelete: number;
}

export interface CycleResult {
  variant: CycleVariant;
  events: number;
  tenants: number;
  insertSeconds: number;
  /** Reads and deletes, checkpoints included, until the table is empty. */
  drainSeconds: number;
  insertPerSec: number;
  drainPerSec: number;
  /** events / (insertSeconds + drainSeconds). */
  cyclePerSec: number;
  /** cyclePerSec / the baseline's (rowid table + tenant index, per-row deletes). */
  ratioVsBaseline: number;
  /** Drain rounds: each reads one batch per tenant with events left and deletes them in one transaction. */
  rounds: number;
  deleted: number;
  checkpoints: number;
  /** count(*) after the drain: anything but 0 means the drain lost track of rows. */
  rowsLeft: number;
}

export interface JournalParams {
  perEventCount: number;
  groupCount: number;
  batch: number;
  tenants: number;
  /** Cycle shape; defaults from CYCLE_SHAPE (50 tenants, batches of 1000 read). */
  cycleTenants?: number;
  readBatch?: number;
}

const TENANT_RE = /^\{"tenantId":"[^"]*?(\d+)"/;

/** Generates `count` events of the bench's generator (seeded), each with its tenant number. */
export function prepareEvents(count: number, tenants: number, seed = 7): PreparedEvent[] {
  const next = createEventFactory({ seed, tenants, meanBytes: 500, count });
  const out: PreparedEvent[] = [];
  for (let i = 0; i < count; i++) {
    // Copy: the factory's buffers are views into shared slabs.
    const payload = Buffer.from(next());
    const m = TENANT_RE.exec(payload.subarray(0, 64).toString('latin1'));
    out.push({ tid: m ? Number(m[1]) : 0, payload });
  }
  return out;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fileBytes(path: string): number {
  return sizeOf(path) + sizeOf(`${path}-wal`) + sizeOf(`${path}-journal`);
}

type Settings = Pick<JournalVariant, 'journal' | 'synchronous' | 'autoVacuum' | 'schema'>;

function openDb(path: string, v: Settings): Database.Database {
  const db = new Database(path);
  // auto_vacuum must be set before the first table exists.
  db.pragma(`auto_vacuum = ${v.autoVacuum === 'incremental' ? 'INCREMENTAL' : 'NONE'}`);
  db.pragma(`journal_mode = ${v.journal === 'wal' ? 'WAL' : 'DELETE'}`);
  db.pragma(`synchronous = ${v.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  if (v.schema === 'clustered') {
    db.exec(`CREATE TABLE events (tid INTEGER NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL,
      payload BLOB NOT NULL, PRIMARY KEY (tid, seq)) WITHOUT ROWID`);
    return db;
  }
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, tid INTEGER NOT NULL, received_at INTEGER NOT NULL,
    payload BLOB NOT NULL)`);
  if (v.schema === 'rowid-index') db.exec('CREATE INDEX events_by_tenant ON events (tid, seq)');
  return db;
}

/** Inserts with the next global seq (the rowid, in rowid tables): one event, or a slice in one transaction. */
function writer(db: Database.Database, clustered: boolean) {
  const insert = clustered
    ? db.prepare('INSERT INTO events (tid, seq, received_at, payload) VALUES (?, ?, ?, ?)')
    : db.prepare('INSERT INTO events (tid, received_at, payload) VALUES (?, ?, ?)');
  let seq = 0;
  const one = (e: PreparedEvent, now: number): void => {
    seq++;
    if (clustered) insert.run(e.tid, seq, now, e.payload);
    else insert.run(e.tid, now, e.payload);
  };
  const group = db.transaction((slice: readonly PreparedEvent[]) => {
    const now = Date.now();
    for (const e of slice) one(e, now);
  });
  return { one, group };
}

function removeDb(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(p, { force: true });
}

/** Runs one variant on a fresh database file in `dir`; the file is removed afterwards. */
export function runVariant(
  v: JournalVariant,
  events: readonly PreparedEvent[],
  dir: string,
  batch: number,
): VariantResult {
  const path = join(dir, `${v.name}.db`);
  const db = openDb(path, v);
  try {
    const { one, group } = writer(db, v.schema === 'clustered');
    const t0 = performance.now();
    if (v.commit === 'per-event') for (const e of events) one(e, Date.now());
    else for (let i = 0; i < events.length; i += batch) group(events.slice(i, i + batch));
    const seconds = (performance.now() - t0) / 1000;

    const checkpoint = (): void => {
      if (v.journal === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
    };
    checkpoint();
    const bytesAfterRun = fileBytes(path);
    db.exec('DELETE FROM events');
    if (v.autoVacuum === 'incremental') db.pragma('incremental_vacuum');
    checkpoint();
    const bytesAfterDelete = fileBytes(path);
    return {
      variant: v,
      events: events.length,
      seconds,
      eventsPerSec: seconds > 0 ? events.length / seconds : NaN,
      ratioVsPrototype: NaN,
      bytesAfterRun,
      bytesAfterDelete,
    };
  } finally {
    db.close();
    removeDb(path);
  }
}

interface ReadRow {
  seq: number;
  received_at: number;
  payload: Buffer;
}

/**
 * One cycle variant on a fresh file: insert every event in group commits of `batch`, then drain in rounds
 * (one batch of `readBatch` per tenant with events left, all of a round's batches deleted in one
 * transaction, as logdriver commits the acks of one event-loop turn together) until the table is empty.
 * WAL checkpoints only by the cap, after each commit, as logdriver's Maintenance.afterWrite does.
 */
export function runCycle(
  v: CycleVariant,
  events: readonly PreparedEvent[],
  dir: string,
  opts: { batch: number; readBatch?: number; walMaxBytes?: number },
): CycleResult {
  const {
    batch,
    readBatch = CYCLE_SHAPE.readBatch,
    // The service's own WAL cap, so the cycle checkpoints as the service would.
    walMaxBytes = SERVICE_DEFAULTS.buffer.walMaxBytes,
  } = opts;
  const path = join(dir, `${v.name}.db`);
  const clustered = v.schema === 'clustered';
  const db = openDb(path, v);
  try {
    db.pragma('wal_autocheckpoint = 0');
    let checkpoints = 0;
    const afterWrite = (): void => {
      if (sizeOf(`${path}-wal`) < walMaxBytes) return;
      db.pragma('wal_checkpoint(TRUNCATE)');
      checkpoints++;
    };
    const { group } = writer(db, clustered);
    const read = db.prepare<[number, number, number], ReadRow>(
      'SELECT seq, received_at, payload FROM events WHERE tid = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    // Range deletes only in the clustered table: there a tenant's batch, read in key order, is exactly its
    // rows between the batch's first and last seq. This is the statement logdriver's deleteRange runs.
    const delRange = db.prepare<[number, number, number]>(
      'DELETE FROM events WHERE tid = ? AND seq BETWEEN ? AND ?',
    );
    const delKey = db.prepare<[number, number]>('DELETE FROM events WHERE tid = ? AND seq = ?');
    const delRowid = db.prepare<[number]>('DELETE FROM events WHERE seq = ?');
    const ack = db.transaction((batches: readonly { tid: number; rows: ReadRow[] }[]) => {
      let n = 0;
      for (const { tid, rows } of batches) {
        if (v.deletes === 'range') n += delRange.run(tid, rows[0]!.seq, rows[rows.length - 1]!.seq).changes;
        else if (clustered) for (const r of rows) n += delKey.run(tid, r.seq).changes;
        else for (const r of rows) n += delRowid.run(r.seq).changes;
      }
      return n;
    });

    const t0 = performance.now();
    for (let i = 0; i < events.length; i += batch) {
      group(events.slice(i, i + batch));
      afterWrite();
    }
    const t1 = performance.now();
    const cursor = new Map<number, number>();
    for (const e of events) cursor.set(e.tid, 0);
    let active = [...cursor.keys()].sort((a, b) => a - b);
    let rounds = 0;
    let deleted = 0;
    while (active.length > 0) {
      const batches: { tid: number; rows: ReadRow[] }[] = [];
      for (const tid of active) {
        const rows = read.all(tid, cursor.get(tid)!, readBatch);
        if (rows.length === 0) continue;
        batches.push({ tid, rows });
        cursor.set(tid, rows[rows.length - 1]!.seq);
      }
      if (batches.length === 0) break;
      deleted += ack(batches);
      afterWrite();
      rounds++;
      // Nothing is inserted during the drain, so a short batch was the tenant's last.
      active = batches.filter((b) => b.rows.length === readBatch).map((b) => b.tid);
    }
    const [insertSeconds, drainSeconds] = [(t1 - t0) / 1000, (performance.now() - t1) / 1000];
    const rate = (s: number): number => (s > 0 ? events.length / s : NaN);
    return {
      variant: v,
      events: events.length,
      tenants: cursor.size,
      insertSeconds,
      drainSeconds,
      insertPerSec: rate(insertSeconds),
      drainPerSec: rate(drainSeconds),
      cyclePerSec: rate(insertSeconds + drainSeconds),
      ratioVsBaseline: NaN,
      rounds,
      deleted,
      checkpoints,
      rowsLeft: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    };
  } finally {
    db.close();
    removeDb(path);
  }
}

export interface JournalReport {
  params: JournalParams;
  variants: VariantResult[];
  cycles: CycleResult[];
}

/**
 * Runs every variant (per-event ones on `perEventCount` events, group ones on `groupCount`), then every
 * cycle variant on `groupCount` events over `cycleTenants` tenants.
 */
export function runJournal(
  params: JournalParams,
  opts: { dir?: string; onVariant?: (name: string, index: number, total: number) => void } = {},
): JournalReport {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'logdriver-journal-'));
  const owned = opts.dir === undefined;
  try {
    const total = JOURNAL_VARIANTS.length + CYCLE_VARIANTS.length;
    let events = prepareEvents(Math.max(params.perEventCount, params.groupCount), params.tenants);
    const variants = JOURNAL_VARIANTS.map((v, i) => {
      opts.onVariant?.(v.name, i, total);
      const n = v.commit === 'per-event' ? params.perEventCount : params.groupCount;
      return runVariant(v, events.slice(0, n), dir, params.batch);
    });
    const proto = variants.find((r) => r.variant.name === PROTOTYPE_VARIANT)?.eventsPerSec ?? NaN;
    for (const r of variants) r.ratioVsPrototype = r.eventsPerSec / proto;

    events = prepareEvents(params.groupCount, params.cycleTenants ?? CYCLE_SHAPE.tenants);
    const cycles = CYCLE_VARIANTS.map((v, i) => {
      opts.onVariant?.(v.name, JOURNAL_VARIANTS.length + i, total);
      return runCycle(v, events, dir, { batch: params.batch, readBatch: params.readBatch });
    });
    const base = cycles.find((r) => r.variant.name === CYCLE_BASELINE)?.cyclePerSec ?? NaN;
    for (const r of cycles) r.ratioVsBaseline = r.cyclePerSec / base;
    return { params, variants, cycles };
  } finally {
    if (owned) rmSync(dir, { recursive: true, force: true });
  }
}

const MiB = 1024 * 1024;

const rate = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`;

/** One finding per variant: events/s, with the ratio and the sizes in the note; then one per cycle. */
export function journalFindings(report: JournalReport): Finding[] {
  const inserts = report.variants.map((r): Finding => {
    const v = r.variant;
    const desc = `${v.journal}/${v.synchronous}/${v.commit}/${v.schema}/av=${v.autoVacuum}`;
    return {
      measure: `${v.name} insert`,
      value: r.eventsPerSec,
      unit: 'events/s',
      note:
        `${r.ratioVsPrototype.toFixed(2)}x prototype; ${desc}; n=${r.events}; ` +
        `size ${(r.bytesAfterRun / MiB).toFixed(1)} MiB -> ${(r.bytesAfterDelete / MiB).toFixed(2)} MiB after delete`,
    };
  });
  const cycles = report.cycles.map((r): Finding => ({
    measure: `${r.variant.name} full cycle`,
    value: r.cyclePerSec,
    unit: 'events/s',
    note:
      `${r.ratioVsBaseline.toFixed(2)}x ${CYCLE_BASELINE}; insert ${rate(r.insertPerSec)}, ` +
      `drain (read+delete) ${rate(r.drainPerSec)}; ${r.variant.schema}, ${r.variant.deletes} deletes; ` +
      `n=${r.events}, ${r.tenants} tenants, ${r.rounds} rounds, ${r.checkpoints} checkpoints`,
  }));
  return [...inserts, ...cycles];
}
