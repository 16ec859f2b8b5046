// Dead letters on a running SqliteBuffer (the admin API's operations): listed with filters and paging,
// counted per tenant, replayed as new events in the commit that deletes them, purged by tenant or all.
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteBuffer } from '../../../src/buffer/index.js';
import type { CommitNotice } from '../../../src/buffer/types.js';
import { TempDirs, eventsFor, numberOf, openSqlite } from '../../support/fixtures.js';

const ALL = Number.MAX_SAFE_INTEGER;

describe('SqliteBuffer dead letters', () => {
  const dirs = new TempDirs();
  const opened: SqliteBuffer[] = [];
  const open = (dir: string): SqliteBuffer => {
    const b = openSqlite(dir);
    opened.push(b);
    return b;
  };
  afterEach(async () => {
    try {
      for (const b of opened.splice(0)) await b.close();
    } finally {
      dirs.cleanup();
    }
  });

  /** Stores `n` events of the tenant and dead-letters them all. */
  async function deadLetter(b: SqliteBuffer, tenant: string, n: number, from = 0): Promise<void> {
    await b.append(eventsFor(tenant, n, from, 1000 + from));
    const lease = (await b.claim(tenant, ALL, ALL))!;
    await b.deadLetter(
      lease,
      lease.events().map((e) => ({ id: e.id, status: 400, reason: 'bad event' })),
    );
  }

  it('lists by tenant, time and page; counts per tenant', async () => {
    const b = open(dirs.make());
    const before = Date.now();
    await deadLetter(b, 'acme', 5);
    await deadLetter(b, 'beta', 2);
    expect(b.stats()).toMatchObject({ events: 0, deadLetters: 7 });
    expect(await b.deadLetterCounts()).toEqual(
      new Map([
        ['acme', 5],
        ['beta', 2],
      ]),
    );
    const page1 = await b.listDeadLetters({ tenant: 'acme', limit: 3 });
    const page2 = await b.listDeadLetters({ tenant: 'acme', limit: 3, afterSeq: page1.at(-1)!.seq });
    const letters = [...page1, ...page2];
    expect(letters.map((l) => (JSON.parse(l.payload) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(letters.every((l) => l.tenant === 'acme' && l.status === 400 && l.reason === 'bad event')).toBe(
      true,
    );
    expect(await b.listDeadLetters({ limit: 100 })).toHaveLength(7);
    expect(await b.listDeadLetters({ limit: 100, since: before })).toHaveLength(7);
    expect(await b.listDeadLetters({ limit: 100, until: before })).toHaveLength(0);
    expect(await b.listDeadLetters({ limit: 100, since: Date.now() + 60_000 })).toHaveLength(0);
  });

  it('replays as new events, in order, in the commit that deletes the letters; the lane is told', async () => {
    const dir = dirs.make();
    const b = open(dir);
    await deadLetter(b, 'acme', 4);
    await deadLetter(b, 'beta', 1);
    const notices: CommitNotice[] = [];
    b.onCommit((n) => notices.push(n));

    const result = await b.replayDeadLetters('acme');
    expect(result).toEqual({ replayed: 4, unreadable: 0, tenants: { acme: 4 } });
    expect(b.stats()).toMatchObject({ events: 4, deadLetters: 1 });
    expect(notices.some((n) => n.get('acme')?.count === 4)).toBe(true);
    const lease = (await b.claim('acme', ALL, ALL))!;
    expect(lease.events().map(numberOf)).toEqual([0, 1, 2, 3]);
    // Receive times are kept; ids are new (new seqs: the sink sees them as new deliveries of the same events).
    expect(lease.events().every((e) => e.receivedAt === 1000)).toBe(true);
    await b.ack(lease);
    expect((await b.replayDeadLetters('acme')).replayed).toBe(0);

    // Durable: after a restart the replayed state is what is stored.
    await b.close();
    const again = open(dir);
    expect(again.stats()).toMatchObject({ events: 0, deadLetters: 1 });
    expect(await again.deadLetterCounts()).toEqual(new Map([['beta', 1]]));
  });

  it('replays every tenant when none is named, and concurrent replays never duplicate a letter', async () => {
    const b = open(dirs.make());
    await deadLetter(b, 'acme', 3);
    await deadLetter(b, 'beta', 2);
    const [one, two] = await Promise.all([b.replayDeadLetters(undefined), b.replayDeadLetters(undefined)]);
    expect(one.replayed + two.replayed).toBe(5);
    expect(b.stats()).toMatchObject({ events: 5, deadLetters: 0 });
  });

  it('purges one tenant or all', async () => {
    const b = open(dirs.make());
    await deadLetter(b, 'acme', 3);
    await deadLetter(b, 'beta', 2);
    expect(await b.purgeDeadLetters('nobody')).toBe(0);
    expect(await b.purgeDeadLetters('beta')).toBe(2);
    expect(b.stats().deadLetters).toBe(3);
    expect(await b.purgeDeadLetters(undefined)).toBe(3);
    expect(b.stats().deadLetters).toBe(0);
    expect(await b.listDeadLetters({ limit: 10 })).toEqual([]);
  });
});
