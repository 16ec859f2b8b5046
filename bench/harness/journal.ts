// The `journal` scenario, in process: SQLite insert throughput of the same ~500-byte events under each
// variant of bench/scenarios/journal-variants.ts, file sizes after the run and after deleting everything.
//
// Only the inserts are timed (events are generated beforehand). Sizes are taken after a TRUNCATE
// checkpoint, so they count what the database file itself holds, not what still sits in the WAL.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventFactory } from '../load/index.js';
import { JOURNAL_VARIANTS, PROTOTYPE_VARIANT, type JournalVariant } from '../scenarios/index.js';
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

export interface JournalParams {
  perEventCount: number;
  groupCount: number;
  batch: number;
  tenants: number;
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

function fileBytes(path: string): number {
  let total = 0;
  for (const p of [path, `${path}-wal`, `${path}-journal`]) {
    try {
      total += statSync(p).size;
    } catch {
      /* absent */
    }
  }
  return total;
}

function createSchema(db: Database.Database, v: JournalVariant): void {
  if (v.schema === 'clustered') {
    db.exec(`CREATE TABLE events (tid INTEGER NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL,
      payload BLOB NOT NULL, PRIMARY KEY (tid, seq)) WITHOUT ROWID`);
    return;
  }
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, tid INTEGER NOT NULL, received_at INTEGER NOT NULL,
    payload BLOB NOT NULL)`);
  if (v.schema === 'rowid-index') db.exec('CREATE INDEX events_by_tenant ON events (tid, seq)');
}

/** Runs one variant on a fresh database file in `dir`; the file is removed afterwards. */
export function runVariant(
  v: JournalVariant,
  events: readonly PreparedEvent[],
  dir: string,
  batch: number,
): VariantResult {
  const path = join(dir, `${v.name}.db`);
  const db = new Database(path);
  try {
    // auto_vacuum must be set before the first table exists.
    db.pragma(`auto_vacuum = ${v.autoVacuum === 'incremental' ? 'INCREMENTAL' : 'NONE'}`);
    db.pragma(`journal_mode = ${v.journal === 'wal' ? 'WAL' : 'DELETE'}`);
    db.pragma(`synchronous = ${v.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    createSchema(db, v);
    const insert =
      v.schema === 'clustered'
        ? db.prepare('INSERT INTO events (tid, seq, received_at, payload) VALUES (?, ?, ?, ?)')
        : db.prepare('INSERT INTO events (tid, received_at, payload) VALUES (?, ?, ?)');
    const clustered = v.schema === 'clustered';
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
    for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(p, { force: true });
  }
}

export interface JournalReport {
  params: JournalParams;
  variants: VariantResult[];
}

/** Runs every variant (per-event ones on `perEventCount` events, group ones on `groupCount`). */
export function runJournal(
  params: JournalParams,
  opts: { dir?: string; onVariant?: (name: string, index: number, total: number) => void } = {},
): JournalReport {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'logdriver-journal-'));
  const owned = opts.dir === undefined;
  try {
    const events = prepareEvents(Math.max(params.perEventCount, params.groupCount), params.tenants);
    const variants = JOURNAL_VARIANTS.map((v, i) => {
      opts.onVariant?.(v.name, i, JOURNAL_VARIANTS.length);
      const n = v.commit === 'per-event' ? params.perEventCount : params.groupCount;
      return runVariant(v, events.slice(0, n), dir, params.batch);
    });
    const proto = variants.find((r) => r.variant.name === PROTOTYPE_VARIANT)?.eventsPerSec ?? NaN;
    for (const r of variants) r.ratioVsPrototype = r.eventsPerSec / proto;
    return { params, variants };
  } finally {
    if (owned) rmSync(dir, { recursive: true, force: true });
  }
}

const MiB = 1024 * 1024;

/** One finding per variant: events/s, with the ratio and the sizes in the note. */
export function journalFindings(report: JournalReport): Finding[] {
  return report.variants.map((r) => {
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
}
