// Encryption-at-rest micro-benchmark: what AES-256-GCM costs per event, in-process. Run after `npm run build`:
//
//   node dist/bench/encryption.js [--events 1000] [--bytes 500] [--repeats 7] [--min-ms 300] [--commits 200]
//
// 1. Cipher alone: sealing and opening one chunk record of `--events` envelope lines of about `--bytes` each
//    (what the buffer worker does per chunk written and per chunk read back), per event.
// 2. Through the buffer: SqliteBuffer appends of one chunk per commit into a temporary directory
//    (synchronous=normal, so the fsync does not drown the difference), plain and encrypted interleaved, and
//    reading every chunk back from disk; events/s of each.
// Variants run interleaved, repeat by repeat, so machine load hits all alike: read the ratios.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteBuffer } from '../src/buffer/index.js';
import { RecordCipher } from '../src/buffer/sqlite/crypto.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    bytes: { type: 'string', default: '500' },
    repeats: { type: 'string', default: '7' },
    'min-ms': { type: 'string', default: '300' },
    commits: { type: 'string', default: '200' },
  },
});
const EVENTS = Number(values.events);
const BYTES = Number(values.bytes);
const REPEATS = Number(values.repeats);
const MIN_MS = Number(values['min-ms']);
const COMMITS = Number(values.commits);

function payload(i: number): Buffer {
  const pad = 'x'.repeat(Math.max(0, BYTES - 120));
  return Buffer.from(
    JSON.stringify({
      tenantId: 'acme',
      n: i,
      iclFields: { event: 'DATA_DECRYPT', requestId: `req-${i}` },
      pad,
    }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ns per event of `fn` (which handles `EVENTS` events per call), as many calls as fill MIN_MS. */
function timePerEvent(fn: () => void): number {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(MIN_MS) * 1_000_000n) {
    fn();
    n++;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / (n * EVENTS);
}

function cipherOnly(): void {
  const lines = Buffer.concat(
    Array.from({ length: EVENTS }, (_, i) =>
      Buffer.from(`{"id":"b-${i}","tenantId":"acme","receivedAt":1,"event":${payload(i).toString()}}\n`),
    ),
  );
  const cipher = new RecordCipher([{ id: 'k1', key: randomBytes(32) }], 'bench');
  const ctx = { kind: 'chunk', id: 42, tenant: 'acme' } as const;
  const sealed = cipher.seal(lines, ctx);
  const seal: number[] = [];
  const open: number[] = [];
  for (let w = 0; w < 2; w++) timePerEvent(() => cipher.seal(lines, ctx));
  for (let r = 0; r < REPEATS; r++) {
    seal.push(timePerEvent(() => cipher.seal(lines, ctx)));
    open.push(timePerEvent(() => cipher.open(sealed, ctx, 'k1')));
  }
  const mb = lines.length / EVENTS;
  console.log(`cipher: chunk of ${EVENTS} events, ${lines.length} bytes (${mb.toFixed(0)} bytes/event)`);
  console.log(`  seal  ${median(seal).toFixed(0)} ns/event (median of ${REPEATS})`);
  console.log(`  open  ${median(open).toFixed(0)} ns/event`);
}

async function throughBuffer(keys: { id: string; key: Buffer }[] | undefined): Promise<[number, number]> {
  const dir = mkdtempSync(join(tmpdir(), 'logdriver-bench-enc-'));
  const opts = {
    dataDir: dir,
    synchronous: 'normal' as const,
    maxBytes: Number.MAX_SAFE_INTEGER,
    commitWindowMs: 0,
    commitMaxBytes: 64 * 1024 * 1024,
    commitMaxEvents: 1_000_000,
    maxPendingEvents: 1_000_000,
    chunkMaxEvents: EVENTS,
    chunkMaxBytes: 64 * 1024 * 1024,
    cacheMaxBytes: 0,
    walMaxBytes: 64 * 1024 * 1024,
    autoVacuum: 'none' as const,
    telemetry: new Telemetry(silentLogger(), { defaultMetrics: false }),
    keys,
  };
  try {
    const events = Array.from({ length: EVENTS }, (_, i) => ({
      tenant: 'acme',
      receivedAt: 1,
      payload: payload(i),
    }));
    let b = new SqliteBuffer(opts);
    let t = process.hrtime.bigint();
    for (let c = 0; c < COMMITS; c++) await b.append(events);
    const write = (COMMITS * EVENTS) / (Number(process.hrtime.bigint() - t) / 1e9);
    await b.close();
    b = new SqliteBuffer(opts);
    t = process.hrtime.bigint();
    let n = 0;
    for (;;) {
      const lease = await b.claim('acme', EVENTS, Number.MAX_SAFE_INTEGER);
      if (!lease) break;
      n += lease.count;
      await b.ack(lease);
    }
    const read = n / (Number(process.hrtime.bigint() - t) / 1e9);
    await b.close();
    return [write, read];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, load ${loadavg()[0]!.toFixed(2)}`,
  );
  cipherOnly();
  const key = [{ id: 'k1', key: randomBytes(32) }];
  const plain: [number, number][] = [];
  const enc: [number, number][] = [];
  for (let r = 0; r < Math.max(3, Math.ceil(REPEATS / 2)); r++) {
    plain.push(await throughBuffer(undefined));
    enc.push(await throughBuffer(key));
  }
  const show = (name: string, xs: [number, number][]) =>
    console.log(
      `  ${name.padEnd(9)} write ${median(xs.map((x) => x[0]))
        .toFixed(0)
        .padStart(8)} ev/s   read back ${median(xs.map((x) => x[1]))
        .toFixed(0)
        .padStart(8)} ev/s`,
    );
  console.log(
    `buffer: ${COMMITS} commits of one ${EVENTS}-event chunk, then every chunk read back from disk and acknowledged (medians)`,
  );
  show('plain', plain);
  show('encrypted', enc);
}

await main();
