// The dispatcher: one lane per tenant, fed by commit notices, a start-up scan and a periodic poll.
import type { EventBuffer } from '../buffer/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { Lane, type LaneSettings, type LaneStatus } from './lane.js';
import { Limiter } from './limiter.js';
import type { Router } from './router.js';

/** A scan waits at least this many times its own last duration after it (see #schedulePoll). */
const SCAN_TIME_FACTOR = 20;

export interface DispatcherOptions {
  readonly buffer: EventBuffer;
  readonly router: Router;
  readonly telemetry: Telemetry;
  readonly lane: LaneSettings;
  readonly maxInFlight: number;
  /** How often idle lanes look for rows they were not told about (LOGDRIVER_BUFFER_POLL_INTERVAL). */
  readonly pollIntervalMs: number;
  readonly random?: () => number;
}

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #limiter: Limiter;
  readonly #abort = new AbortController();
  #unsubscribe: (() => void) | undefined;
  #unsubscribeRouter: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #polling = false;
  #lastScanMs = 0;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#limiter = new Limiter(options.maxInFlight);
  }

  /** Delivers everything already stored (crash recovery), then follows new commits. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#o.buffer.onCommit((notice) => {
      if (this.#closed) return;
      for (const [tenant, { count, firstReceivedAt }] of notice)
        this.#lane(tenant).hint(count, firstReceivedAt);
    });
    // A tenant whose sink config changed (a fixed url or token) retries at once rather than after its back-off.
    this.#unsubscribeRouter = this.#o.router.onUpdate((changed) => {
      for (const [tenant, lane] of this.#lanes) if (changed(tenant)) lane.wake();
    });
    await this.#scan();
    this.#schedulePoll();
  }

  /**
   * The next safety-net scan: after pollIntervalMs, or later when the last scan was long. A scan walks every
   * tenant with stored events; with hundreds of thousands of them (a flood of tenant ids) a scan per second
   * took a third of the service's CPU, so scans are kept to about 5 % of the time.
   */
  #schedulePoll(): void {
    if (this.#closed) return;
    const delay = Math.max(this.#o.pollIntervalMs, SCAN_TIME_FACTOR * this.#lastScanMs);
    this.#poll = setTimeout(() => {
      void this.#scan().finally(() => this.#schedulePoll());
    }, delay);
    this.#poll.unref();
  }

  /** Finds stored events that idle lanes do not know about: at start, and as a periodic safety net. */
  async #scan(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    const started = performance.now();
    try {
      const backlog = await this.#o.buffer.backlog();
      if (this.#closed) return;
      const stored = new Set<string>();
      for (const { tenant, oldestReceivedAt } of backlog) {
        stored.add(tenant);
        const lane = this.#lane(tenant);
        // An idle lane's cursor is past everything it sent, so this only costs one read.
        if (lane.idle) lane.hint(this.#o.lane.batchSize, oldestReceivedAt);
      }
      // Lanes of tenants with nothing stored and nothing in flight go: producers choose tenant ids, so
      // keeping every lane ever made would let them grow memory without bound.
      for (const [tenant, lane] of this.#lanes)
        if (lane.idle && !stored.has(tenant)) {
          lane.dispose();
          this.#lanes.delete(tenant);
        }
    } catch (err) {
      this.#o.telemetry.log.error({ err }, 'scanning the buffer for undelivered events failed');
    } finally {
      this.#polling = false;
      this.#lastScanMs = performance.now() - started;
    }
  }

  #lane(tenant: string): Lane {
    let lane = this.#lanes.get(tenant);
    if (!lane) {
      lane = new Lane(tenant, this.#o.lane, {
        buffer: this.#o.buffer,
        sinkFor: (t) => this.#o.router.sinkFor(t),
        limiter: this.#limiter,
        telemetry: this.#o.telemetry,
        random: this.#o.random ?? Math.random,
        stopSignal: this.#abort.signal,
      });
      this.#lanes.set(tenant, lane);
    }
    return lane;
  }

  /**
   * Retry now for one tenant: ends its lane's back-off (a long Retry-After, an authentication hold). False
   * when the tenant has no lane (nothing stored for it).
   */
  retryNow(tenant: string): boolean {
    const lane = this.#lanes.get(tenant);
    if (!lane || this.#closed) return false;
    lane.wake();
    return true;
  }

  /** The tenant's lane as the admin API shows it; undefined when it has none (nothing stored, idle). */
  laneStatus(tenant: string): LaneStatus | undefined {
    return this.#lanes.get(tenant)?.status();
  }

  /** Tenants with a lane (cheap: the map's own keys). */
  laneTenants(): IterableIterator<string> {
    return this.#lanes.keys();
  }

  get lanes(): number {
    return this.#lanes.size;
  }

  /** Batches being sent right now, over all lanes. */
  get sending(): number {
    return this.#limiter.inUse;
  }

  /**
   * Stops starting batches and waits up to `graceMs` for those in flight; then aborts the rest, whose
   * rows stay in the buffer for the next start.
   */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribeRouter?.();
    if (this.#poll) clearTimeout(this.#poll);
    const stopped = Promise.allSettled([...this.#lanes.values()].map((l) => l.stop()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([stopped, grace]);
    clearTimeout(timer);
    this.#abort.abort();
    await stopped;
  }
}
