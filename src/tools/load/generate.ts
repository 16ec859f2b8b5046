// Seeded generator of realistic synthetic security events, shaped like the proxy's and tenant clients' events.
import { cumulative, mulberry32, pickWeighted, randomInt, zipfWeights, type Random } from './prng.js';

export interface GenerateOptions {
  /** PRNG seed; the same options give byte-identical output. Default 42. */
  readonly seed?: number;
  /** Number of events; `Infinity` for an endless stream. Default 1000. */
  readonly count?: number;
  /** Number of tenants, named tenant-0001, tenant-0002, ... Default 10. */
  readonly tenants?: number;
  /** Zipf exponent over tenants (tenant-0001 heaviest); 0 = uniform. Default 1.1. */
  readonly skew?: number;
  /** Target mean event size in bytes, reached by padding customFields. Default 500. */
  readonly meanBytes?: number;
  /** Sizes are uniform in meanBytes * [1 - spread, 1 + spread]; 0..1. Default 0.4. */
  readonly sizeSpread?: number;
  /** timestampMillis of the first event. Default 1764000000000 (fixed, for reproducibility). */
  readonly startMillis?: number;
  /** Mean events per second of simulated time (Poisson arrivals) for timestampMillis. Default 1000. */
  readonly eventsPerSec?: number;
}

export const DEFAULT_GENERATE = {
  seed: 42,
  count: 1000,
  tenants: 10,
  skew: 1.1,
  meanBytes: 500,
  sizeSpread: 0.4,
  startMillis: 1_764_000_000_000,
  eventsPerSec: 1000,
} as const;

/** Event names with relative weights: a KMS proxy's own KEY_UNWRAP/KEY_WRAP dominate real traffic. */
export const EVENT_WEIGHTS: readonly (readonly [string, number])[] = [
  ['KEY_UNWRAP', 450],
  ['KEY_WRAP', 200],
  ['DATA_DECRYPT', 80],
  ['DATA_ENCRYPT', 60],
  ['DATA_CREATE', 15],
  ['DATA_DENY_ACCESS', 12],
  ['DATA_IMPORT', 10],
  ['DATA_EXPORT', 10],
  ['DATA_DELETE', 8],
  ['DATA_CHANGE_PERMISSIONS', 4],
  ['USER_LOGIN', 40],
  ['USER_LOGOUT', 25],
  ['USER_TIMEOUT_SESSION', 10],
  ['USER_REJECT_LOGIN', 8],
  ['USER_CHANGE_PASSWORD', 4],
  ['USER_RESET_PASSWORD', 3],
  ['USER_ADD', 3],
  ['USER_LOCKOUT', 2],
  ['USER_SUSPEND', 1],
  ['USER_REMOVE', 1],
  ['ADMIN_ADD', 2],
  ['ADMIN_REMOVE', 1],
  ['ADMIN_CHANGE_PERMISSIONS', 2],
  ['ADMIN_CHANGE_SETTING', 3],
  ['PERIODIC_ENFORCE_RETENTION_POLICY', 2],
  ['PERIODIC_CREATE_BACKUP', 2],
  ['CUSTOM_POLICY_EVALUATED', 10],
  ['CUSTOM_KEY_ROTATION', 8],
];

const SERVICES = ['svc-billing', 'svc-search', 'svc-reports', 'svc-ingest', 'svc-crm', 'svc-analytics'];
const LABELS = ['PII', 'PHI', 'PCI', 'CONFIDENTIAL', 'INTERNAL', 'PUBLIC'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];
const CLIENTS = ['tsp/4.2.1', 'tsc-java/4.1.0', 'tsc-go/2.3.4', 'tsc-node/2.0.7'];
const PAD_ALPHABET = Buffer.from(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  'latin1',
);
const PAD_FIELD_OVERHEAD = ',"pad":""'.length;
const SLAB_BYTES = 1024 * 1024;
/** Far above logdriver's default 1 MiB event limit; larger is useless and costly to pad. */
export const MAX_MEAN_BYTES = 16 * 1024 * 1024;

/** tenant-0001 ... tenant-NNNN (at least 4 digits; wider when there are more tenants). */
export function tenantName(index: number, tenants: number): string {
  return `tenant-${String(index + 1).padStart(Math.max(4, String(tenants).length), '0')}`;
}

function checkOptions(o: Required<GenerateOptions>): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  };
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  if (!(o.count === Infinity || (Number.isInteger(o.count) && o.count >= 0))) {
    throw new RangeError(`count must be an integer >= 0 or Infinity, got ${o.count}`);
  }
  positiveInt('tenants', o.tenants);
  positiveInt('meanBytes', o.meanBytes);
  if (o.meanBytes > MAX_MEAN_BYTES) throw new RangeError(`meanBytes must be at most ${MAX_MEAN_BYTES}`);
  if (!(o.skew >= 0 && Number.isFinite(o.skew))) throw new RangeError(`skew must be >= 0, got ${o.skew}`);
  if (!(o.sizeSpread >= 0 && o.sizeSpread <= 1)) throw new RangeError(`sizeSpread must be in [0, 1]`);
  if (!Number.isSafeInteger(o.startMillis)) throw new RangeError(`startMillis must be an integer`);
  if (!(o.eventsPerSec > 0 && Number.isFinite(o.eventsPerSec)))
    throw new RangeError(`eventsPerSec must be > 0`);
}

/** Fills in defaults and checks ranges; throws RangeError naming the bad option. */
export function resolveGenerateOptions(opts: GenerateOptions = {}): Required<GenerateOptions> {
  const o: Required<GenerateOptions> = { ...DEFAULT_GENERATE };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  checkOptions(o);
  return o;
}

/**
 * Returns a function that builds the next event (one JSON object, UTF-8, no newline).
 * Invariant behind the fast path: every fragment is JSON-safe ASCII chosen from fixed
 * alphabets, so events are built by concatenation (no JSON.stringify per event), string
 * length equals byte length (size targeting is exact), and latin1 encoding equals UTF-8.
 * Events are views into shared 1 MiB slabs (one allocation per ~2,000 events); the padding
 * is copied from a Buffer, never rebuilt as a string. Each event's bytes are never reused.
 */
export function createEventFactory(opts: GenerateOptions = {}): () => Buffer {
  const o = resolveGenerateOptions(opts);
  const random: Random = mulberry32(o.seed);
  const tenantCum = cumulative(zipfWeights(o.tenants, o.skew));
  const tenantPrefix = Array.from(
    { length: o.tenants },
    (_, i) => `{"tenantId":"${tenantName(i, o.tenants)}","timestampMillis":`,
  );
  const eventCum = cumulative(EVENT_WEIGHTS.map(([, w]) => w));
  const eventPart = EVENT_WEIGHTS.map(([name]) => `,"iclFields":{"event":"${name}","requestingId":"`);
  const eventFamily = EVENT_WEIGHTS.map(([name]) => name.slice(0, name.indexOf('_')));

  const maxTarget = Math.ceil(o.meanBytes * (1 + o.sizeSpread));
  // The pad pool looks like base64 ciphertext (realistic compressibility); slices at random offsets.
  // Five 6-bit characters per PRNG draw keeps building it cheap for large sizes.
  const poolLen = Math.max(65_536, 2 * maxTarget);
  const padPool = Buffer.allocUnsafe(poolLen);
  for (let i = 0; i < poolLen; i += 5) {
    let bits = randomInt(random, 2 ** 30);
    for (let j = i; j < Math.min(i + 5, poolLen); j++, bits >>>= 6)
      padPool[j] = PAD_ALPHABET[bits & 63] ?? 0x41;
  }
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let used = 0;

  let elapsedMs = 0;
  const meanGapMs = 1000 / o.eventsPerSec;

  const requester = (family: string): string => {
    switch (family) {
      case 'USER':
        return `user-${randomInt(random, 5000)}`;
      case 'ADMIN':
        return `admin-${randomInt(random, 20)}`;
      case 'PERIODIC':
        return 'scheduler';
      default:
        return SERVICES[randomInt(random, SERVICES.length)] ?? 'svc';
    }
  };
  const hex48 = (): string => randomInt(random, 0x1000000).toString(16).padStart(6, '0');

  return () => {
    // Poisson arrivals: exponential gaps; 1 - u keeps the log argument in (0, 1].
    elapsedMs += -Math.log(1 - random()) * meanGapMs;
    const tenant = pickWeighted(random, tenantCum);
    const ev = pickWeighted(random, eventCum);
    const ip = `10.${randomInt(random, 256)}.${randomInt(random, 256)}.${1 + randomInt(random, 254)}`;
    const base =
      `${tenantPrefix[tenant]}${o.startMillis + Math.floor(elapsedMs)}` +
      `${eventPart[ev]}${requester(eventFamily[ev] ?? '')}","dataLabel":"${LABELS[randomInt(random, LABELS.length)]}",` +
      `"sourceIp":"${ip}","objectId":"doc-${randomInt(random, 1_000_000)}","requestId":"req-${hex48()}${hex48()}"},` +
      `"customFields":{"region":"${REGIONS[randomInt(random, REGIONS.length)]}",` +
      `"client":"${CLIENTS[randomInt(random, CLIENTS.length)]}","latencyMs":${randomInt(random, 250)}`;
    const target = Math.round(o.meanBytes * (1 + o.sizeSpread * (2 * random() - 1)));
    const padLen = target - base.length - 2 - PAD_FIELD_OVERHEAD;
    const total = padLen >= 1 ? target : base.length + 2;
    if (used + total > slab.length) {
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, total));
      used = 0;
    }
    const start = used;
    used += slab.write(base, used, 'latin1');
    if (padLen >= 1) {
      used += slab.write(',"pad":"', used, 'latin1');
      const at = randomInt(random, poolLen - padLen);
      used += padPool.copy(slab, used, at, at + padLen);
      used += slab.write('"}}', used, 'latin1');
    } else {
      used += slab.write('}}', used, 'latin1');
    }
    return slab.subarray(start, used);
  };
}

/**
 * Yields `count` events, each one JSON object as UTF-8 bytes without a trailing newline.
 * Options are checked here, eagerly (a RangeError names the bad one), not at the first next().
 */
export function generateEvents(opts: GenerateOptions = {}): Generator<Buffer, void, undefined> {
  const { count } = resolveGenerateOptions(opts);
  const next = createEventFactory(opts);
  return (function* () {
    for (let i = 0; i < count; i++) yield next();
  })();
}
