// What the admin API reads and does on a running service, assembled from what the parts already keep: the
// buffer's chunk directory (per-tenant backlog, in memory), the lanes (state, back-off, last error), the
// router (sink type, config generation) and the telemetry totals. Dead letters are read on the buffer worker.
import type { LetterQuery, LetterView, SqliteBuffer, TenantBacklog } from '../buffer/index.js';
import type { Dispatcher, LaneStatus, Router } from '../delivery/index.js';
import type { Totals } from '../telemetry/telemetry.js';
import { RateWindow, type Rates, type Series } from './rates.js';

/** ok: the last send succeeded; retrying; auth_failed and held (misconfigured): the tenant is held; idle: no send yet. */
export type TenantState = 'ok' | 'retrying' | 'auth_failed' | 'held' | 'idle';

export interface TenantView {
  readonly tenant: string;
  readonly events: number;
  readonly bytes: number;
  readonly oldestReceivedAt: number | null;
  readonly oldestAgeMs: number | null;
  readonly deadLetters: number;
  /** The sink type the tenant routes to now. */
  readonly sink: string;
  readonly state: TenantState;
  /** Why a held tenant is held (the sink answered with a redirect: its url must be fixed). */
  readonly heldBecause?: 'misconfigured';
  readonly nextAttemptAt: number | null;
  readonly lastError: { readonly reason: string; readonly status: number | null; readonly at: number } | null;
  readonly lastDeliveredAt: number | null;
  readonly inFlightBatches: number;
}

export interface StatusView {
  readonly version: string;
  readonly startedAt: number;
  readonly uptimeSeconds: number;
  readonly configGeneration: number;
  readonly ready: boolean;
  readonly problems: string[];
  readonly buffer: {
    readonly id: string;
    readonly events: number;
    readonly bytes: number;
    readonly maxBytes: number;
    readonly deadLetters: number;
    readonly pendingEvents: number;
    readonly admission: string;
    readonly diskFull: boolean;
    readonly fileBytes: number;
    readonly walBytes: number;
    readonly cacheBytes: number;
    readonly chunks: number;
    readonly tenants: number;
  };
  readonly delivery: {
    readonly lanes: number;
    readonly sendingBatches: number;
    readonly tenantsByState: Record<string, number>;
  };
  readonly totals: Totals;
  readonly rates: Rates;
}

export interface ReplayResult {
  readonly replayed: number;
  readonly unreadable: number;
  readonly tenants: Record<string, number>;
}

/** The admin API's view of the service; tests give a fake one. */
export interface AdminSource {
  status(): StatusView;
  /** Every tenant with stored events, a lane or dead letters (unsorted; may be shared with other callers: read only). */
  tenants(): Promise<TenantView[]>;
  tenant(tenant: string): Promise<TenantView | undefined>;
  deadLetters(query: LetterQuery): Promise<LetterView[]>;
  replay(tenant: string | undefined): Promise<ReplayResult>;
  purge(tenant: string | undefined): Promise<number>;
  /** Ends the tenant's back-off; false when it has no lane. */
  retryNow(tenant: string): boolean;
  /** The sampled history of throughput and backlog for the status page (absent in some test fakes). */
  series?(): Series;
  close(): void;
}

export interface ServiceParts {
  readonly version: string;
  readonly buffer: SqliteBuffer;
  readonly dispatcher: Dispatcher;
  readonly router: Router;
  readonly totals: Totals;
  readonly maxBytes: number;
  readonly readiness: () => string[];
}

function stateOf(lane: LaneStatus | undefined): Pick<TenantView, 'state' | 'heldBecause'> {
  const state = lane?.state;
  if (state === undefined) return { state: 'idle' };
  if (state === 'misconfigured') return { state: 'held', heldBecause: 'misconfigured' };
  return { state };
}

/**
 * A tenant listing that took at least LISTING_REUSE_MIN_MS is served again for LISTING_REUSE_FACTOR times its
 * cost. Listing a million tenants (a flood of tenant ids) takes seconds of the main thread, and the status page
 * asks every 2 s: reused, listings stay under ~5 % of the main thread, at the price of figures up to 20 build
 * times old. A quick listing (tens of thousands of tenants or fewer) is never reused.
 */
const LISTING_REUSE_MIN_MS = 50;
const LISTING_REUSE_FACTOR = 20;

export function serviceSource(p: ServiceParts): AdminSource {
  const startedAt = Date.now();
  let listing: { readonly tenants: TenantView[]; readonly at: number; readonly ms: number } | undefined;

  /** Every tenant's view, and the main thread's time it took (the worker's read of dead letters aside). */
  async function listTenants(): Promise<{ tenants: TenantView[]; ms: number }> {
    const letters = await p.buffer.deadLetterCounts();
    const started = performance.now();
    const backlog = await p.buffer.backlog();
    const now = Date.now();
    const out = new Map<string, TenantView>();
    for (const b of backlog) out.set(b.tenant, view(b.tenant, b, letters.get(b.tenant) ?? 0, now));
    for (const [tenant, n] of letters) if (!out.has(tenant)) out.set(tenant, view(tenant, undefined, n, now));
    for (const tenant of p.dispatcher.laneTenants())
      if (!out.has(tenant)) out.set(tenant, view(tenant, undefined, 0, now));
    return { tenants: [...out.values()], ms: performance.now() - started };
  }
  const rates = new RateWindow(p.totals, undefined, () => p.buffer.stats().events);

  const view = (
    tenant: string,
    backlog: TenantBacklog | undefined,
    deadLetters: number,
    now: number,
  ): TenantView => {
    const lane = p.dispatcher.laneStatus(tenant);
    return {
      tenant,
      events: backlog?.events ?? 0,
      bytes: backlog?.bytes ?? 0,
      oldestReceivedAt: backlog?.oldestReceivedAt ?? null,
      oldestAgeMs: backlog ? Math.max(0, now - backlog.oldestReceivedAt) : null,
      deadLetters,
      sink: p.router.sinkFor(tenant).type,
      ...stateOf(lane),
      nextAttemptAt: lane?.nextAttemptAt ?? null,
      lastError: lane?.lastError ?? null,
      lastDeliveredAt: lane?.lastDeliveredAt ?? null,
      inFlightBatches: (lane?.inFlight ?? 0) + (lane?.awaiting ?? 0),
    };
  };

  return {
    status() {
      const s = p.buffer.stats();
      const byState: Record<string, number> = {};
      for (const tenant of p.dispatcher.laneTenants()) {
        const state = stateOf(p.dispatcher.laneStatus(tenant)).state;
        byState[state] = (byState[state] ?? 0) + 1;
      }
      const problems = p.readiness();
      return {
        version: p.version,
        startedAt,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        configGeneration: p.router.generation,
        ready: problems.length === 0,
        problems,
        buffer: {
          id: p.buffer.bufferId,
          events: s.events,
          bytes: s.bytes,
          maxBytes: p.maxBytes,
          deadLetters: s.deadLetters,
          pendingEvents: s.pendingEvents,
          admission: p.buffer.admission(),
          diskFull: p.buffer.diskFull,
          fileBytes: s.backend.fileBytes ?? 0,
          walBytes: s.backend.walBytes ?? 0,
          cacheBytes: s.backend.cacheBytes ?? 0,
          chunks: s.backend.chunks ?? 0,
          tenants: p.buffer.tenantCount,
        },
        delivery: {
          lanes: p.dispatcher.lanes,
          sendingBatches: p.dispatcher.sending,
          tenantsByState: byState,
        },
        totals: { ...p.totals },
        rates: rates.rates(),
      };
    },
    async tenants() {
      const reuse = listing;
      if (
        reuse &&
        reuse.ms >= LISTING_REUSE_MIN_MS &&
        Date.now() - reuse.at < LISTING_REUSE_FACTOR * reuse.ms
      )
        return reuse.tenants;
      const { tenants, ms } = await listTenants();
      listing = { tenants, at: Date.now(), ms };
      return tenants;
    },
    async tenant(tenant) {
      const backlog = p.buffer.tenantBacklog(tenant);
      const letters = (await p.buffer.deadLetterCounts()).get(tenant) ?? 0;
      if (!backlog && letters === 0 && p.dispatcher.laneStatus(tenant) === undefined) return undefined;
      return view(tenant, backlog, letters, Date.now());
    },
    deadLetters: (query) => p.buffer.listDeadLetters(query),
    async replay(tenant) {
      const result = await p.buffer.replayDeadLetters(tenant);
      // Their commit already told the lanes; a lane still backing off from the old failure retries now.
      for (const t of Object.keys(result.tenants)) p.dispatcher.retryNow(t);
      return result;
    },
    purge: (tenant) => p.buffer.purgeDeadLetters(tenant),
    retryNow: (tenant) => p.dispatcher.retryNow(tenant),
    series: () => rates.series(),
    close: () => rates.close(),
  };
}
