// Operator access to a data directory while the service is stopped: what is stored, and the dead letters
// (list, replay into the buffer, purge). Holds the directory's lock for its whole life.
import { lockDataDir } from './lock.js';
import { OpenChunk } from './chunks.js';
import { SqliteEngine, pack, packRows, type EngineOptions } from './engine.js';
import type { ChunkRow } from './statements.js';
import { SCHEMA_VERSION } from './migrations.js';
import { keyIdsInUse } from './keyring.js';
import { rekeyBuffer, type RekeyOptions, type RekeyResult } from './rekey.js';

const REPLAY_CHUNK_EVENTS = 1000;

export interface DeadLetterRow {
  seq: number;
  tenant: string;
  receivedAt: number;
  attempts: number;
  failedAt: number;
  status: number | null;
  reason: string;
  payload: string;
}

export class DataDirectory {
  readonly #engine: SqliteEngine;
  readonly #unlock: () => void;

  constructor(opts: EngineOptions) {
    this.#unlock = lockDataDir(opts.dataDir);
    try {
      this.#engine = new SqliteEngine(opts);
    } catch (err) {
      this.#unlock();
      throw err;
    }
  }

  summary() {
    const snap = this.#engine.snapshot();
    const db = this.#engine.db;
    const tenants = new Map<
      string,
      { tenant: string; events: number; bytes: number; oldestReceivedAt: number }
    >();
    for (const c of snap.chunks) {
      const t = tenants.get(c.tenant);
      if (t) {
        t.events += c.count;
        t.bytes += c.bytes;
      } else
        tenants.set(c.tenant, {
          tenant: c.tenant,
          events: c.count,
          bytes: c.bytes,
          oldestReceivedAt: c.firstReceivedAt,
        });
    }
    return {
      bufferId: snap.bufferId,
      schemaVersion: SCHEMA_VERSION,
      events: snap.chunks.reduce((n, c) => n + c.count, 0),
      bytes: snap.chunks.reduce((n, c) => n + c.bytes, 0),
      chunks: snap.chunks.length,
      deadLetters: snap.deadLetters,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      pages: db.pragma('page_count', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
      autoVacuum: ['none', 'full', 'incremental'][db.pragma('auto_vacuum', { simple: true }) as number],
      tenants: [...tenants.values()],
      /** Encryption at rest: the key new records get (null: clear text), and rows per key id in use. */
      encryption: {
        keyId: this.#engine.cipher?.keyId ?? null,
        keys: Object.fromEntries(keyIdsInUse(db)),
      },
    };
  }

  listDeadLetters(tenant: string | undefined, limit: number): DeadLetterRow[] {
    const rows = this.#engine.db
      .prepare<
        [string | null, string | null, number],
        Omit<DeadLetterRow, 'payload'> & { payload: Buffer; keyId: string | null }
      >(
        `SELECT seq, tenant, received_at AS receivedAt, attempts, failed_at AS failedAt, status, reason, payload,
                key_id AS keyId
         FROM dead_letters WHERE (? IS NULL OR tenant = ?) ORDER BY seq LIMIT ?`,
      )
      .all(tenant ?? null, tenant ?? null, limit);
    return rows.map(({ keyId, ...r }) => {
      const payload = this.#openLetter({ ...r, keyId });
      // An unreadable payload (tampered, or another key under the same id) is said so, never printed as bytes.
      if (payload) return { ...r, payload: payload.toString('utf8') };
      return { ...r, payload: '', reason: `${r.reason} [payload unreadable: failed authentication]` };
    });
  }

  /** A dead letter's plain payload (decrypted when encrypted); undefined when it does not authenticate. */
  #openLetter(r: { seq: number; tenant: string; payload: Buffer; keyId: string | null }): Buffer | undefined {
    try {
      return this.#engine.open(r.payload, { kind: 'dead_letter', seq: r.seq, tenant: r.tenant }, r.keyId);
    } catch {
      return undefined;
    }
  }

  /** Rewrites every chunk and dead letter with the first configured key (`logdriver rekey`). */
  rekey(opts?: RekeyOptions): RekeyResult {
    return rekeyBuffer(this.#engine, opts);
  }

  /** Moves dead letters back into the buffer as new events (new seqs, attempts reset); returns how many. */
  replay(tenant: string | undefined): number {
    const db = this.#engine.db;
    const rows = db
      .prepare<
        [string | null, string | null],
        { seq: number; tenant: string; received_at: number; payload: Buffer; keyId: string | null }
      >(
        `SELECT seq, tenant, received_at, payload, key_id AS keyId FROM dead_letters
         WHERE (? IS NULL OR tenant = ?) ORDER BY tenant, seq`,
      )
      .all(tenant ?? null, tenant ?? null)
      // Decrypted here; a letter whose payload does not authenticate stays where it is (list shows why).
      .flatMap((r) => {
        const payload = this.#openLetter(r);
        return payload ? [{ ...r, payload }] : [];
      });
    if (rows.length === 0) return 0;
    // New chunks (one per tenant run, new seqs) and the letters' removal in one transaction: a crash in
    // between can neither lose nor duplicate a letter.
    const snap = this.#engine.snapshot();
    let seq = snap.nextSeq;
    let id = snap.nextChunkId;
    const inserts: ChunkRow[] = [];
    const lines: Buffer[] = [];
    let open: OpenChunk | undefined;
    const seal = (): void => {
      if (!open) return;
      const bytes = open.seal();
      inserts.push({
        id: id++,
        tenant: open.tenant,
        firstSeq: open.firstSeq,
        count: open.count,
        bytes: bytes.length,
        firstReceivedAt: open.firstReceivedAt,
        attempts: 0,
        notBefore: 0,
      });
      lines.push(bytes);
      open = undefined;
    };
    for (const r of rows) {
      if (open && (open.tenant !== r.tenant || open.count >= REPLAY_CHUNK_EVENTS)) seal();
      open ??= new OpenChunk(r.tenant, 64 * 1024);
      open.add(`${snap.bufferId}-`, seq++, r.received_at, r.payload);
    }
    seal();
    const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE seq = ?');
    db.transaction(() => {
      this.#engine.commit({
        inserts: packRows(inserts),
        rewrites: [],
        lines: pack(lines),
        deletes: [],
        retries: [],
        deadLetters: [],
        nextSeq: seq,
        nextChunkId: id,
      });
      for (const r of rows) remove.run(r.seq);
    })();
    return rows.length;
  }

  purge(tenant: string | undefined): number {
    return this.#engine.db
      .prepare<[string | null, string | null]>('DELETE FROM dead_letters WHERE (? IS NULL OR tenant = ?)')
      .run(tenant ?? null, tenant ?? null).changes;
  }

  close(): void {
    this.#engine.close();
    this.#unlock();
  }
}
