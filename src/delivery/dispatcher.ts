// The dispatcher: a lane per tenant being served, fed by commit notices, a start-up scan and a periodic poll.
import { setMaxListeners } from 'node:events';
import type { EventBuffer } from '../buffer/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { Lane, type LaneMemo, type LaneSettings, type LaneStatus } from './lane.js';
import { Limiter } from './limiter.js';
import type { Router } from './router.js';
import { WaitQueue } from './wait-queue.js';
import { WakeQueue } from './wake-queue.js';

/**
 * A scan waits at least this many times its own last duration after it (see #schedulePoll): about 1 % of the
 * main thread. At 20 (5 %) the scans were an eighth of the extra main-thread time a ZeroMQ flood of 100,000
 * tenant ids costs over 10 tenants; a safety net behind commit notices can run every minute at a million tenants.
 */
const SCAN_TIME_FACTOR = 100;

/**
 * Active lanes (alive and not backing off) per send slot of delivery.maxInFlight, and at least MIN_ACTIVE_LANES:
 * enough that every slot has lanes waiting with a batch, few enough that a flood of tenant ids costs a queue
 * entry per tenant instead of a lane (a lane with its pending claim measured ~2.5 KB of heap; a restart on
 * 100,000 one-event tenants held 100,000 of them).
 */
const LANES_PER_SEND_SLOT = 4;
const MIN_ACTIVE_LANES = 256;

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

/**
 * Lanes exist only for tenants being served. Tenants with stored events beyond the active-lane bound wait
 * in #queued (first come, first served) with the receive time of their oldest known event. A lane that runs
 * out of events stays, idle, until its room is needed (so the admin API keeps showing its last outcome); a
 * busy lane gives its room up at a batch boundary while tenants wait, and waits again itself, so no tenant
 * waits for ever behind busier ones. A lane backing off does not count as active: one tenant's failing sink
 * never keeps another tenant waiting. Most back-offs are not even slept in a lane: the lane hands its lease
 * back and the tenant is parked (a heap entry and a memo) until its wait ends, then queued again; so a flood
 * of tenant ids behind a sink that is down costs bytes per tenant, not a lane each.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #lanes = new Map<string, Lane>();
  /** Tenants with events and no lane, oldest first. */
  readonly #queued = new WaitQueue();
  /** What queued tenants that were parked carry to their next lane. */
  readonly #memos = new Map<string, LaneMemo>();
  /** Parked tenants: each one's memo, which says when it wakes. */
  readonly #parked = new Map<string, LaneMemo>();
  readonly #wakeups = new WakeQueue();
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeTimerAt = Infinity;
  /** Lanes with nothing to do, kept until their room is needed. */
  readonly #idle = new Set<Lane>();
  #backingOff = 0;
  readonly #maxActive: number;
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
    this.#maxActive = Math.max(MIN_ACTIVE_LANES, LANES_PER_SEND_SLOT * options.maxInFlight);
    // Every send in flight listens for the stop (removed when it ends): more than Node's default of 10.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Delivers everything already stored (crash recovery), then follows new commits. */
  start(): Promise<void> {
    this.#unsubscribe = this.#o.buffer.onCommit((notice) => {
      if (this.#closed) return;
      for (const [tenant, { count, firstReceivedAt }] of notice) this.#hint(tenant, count, firstReceivedAt);
    });
    // A tenant whose sink config changed (a fixed url or token) retries at once rather than after its back-off.
    this.#unsubscribeRouter = this.#o.router.onUpdate((changed) => {
      for (const [tenant, lane] of this.#lanes) if (changed(tenant)) lane.wake();
      for (const tenant of [...this.#parked.keys()]) if (changed(tenant)) this.#unpark(tenant);
      this.#openQueued();
    });
    this.#scan();
    this.#schedulePoll();
    return Promise.resolve();
  }

  /**
   * The next safety-net scan: after pollIntervalMs, or later when the last scan was long. A scan walks every
   * tenant with stored events; with hundreds of thousands of them (a flood of tenant ids) a scan per second
   * took a third of the service's CPU, so scans are kept to about 1 % of the time.
   */
  #schedulePoll(): void {
    if (this.#closed) return;
    const delay = Math.max(this.#o.pollIntervalMs, SCAN_TIME_FACTOR * this.#lastScanMs);
    this.#poll = setTimeout(() => {
      this.#scan();
      this.#schedulePoll();
    }, delay);
    this.#poll.unref();
  }

  /** Finds stored events that idle lanes do not know about: at start, and as a periodic safety net. */
  #scan(): void {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    const started = performance.now();
    try {
      // Idle lanes of tenants with nothing stored go: nothing more is to be said about them. (A set of the
      // idle lanes, not of every stored tenant: a flood's million tenants made a 50 MB set per scan.)
      const idleWithout = new Map<string, Lane>();
      for (const [tenant, lane] of this.#lanes) if (lane.idle) idleWithout.set(tenant, lane);
      this.#o.buffer.forEachTenant((tenant, oldestReceivedAt) => {
        idleWithout.delete(tenant);
        const lane = this.#lanes.get(tenant);
        // An idle lane's cursor is past everything it sent, so this only costs one read.
        if (!lane || lane.idle) this.#hint(tenant, this.#o.lane.batchSize, oldestReceivedAt);
      });
      for (const lane of idleWithout.values())
        if (lane.idle && this.#lanes.get(lane.tenant) === lane) this.#retire(lane);
    } catch (err) {
      this.#o.telemetry.log.error({ err }, 'scanning the buffer for undelivered events failed');
    } finally {
      this.#polling = false;
      this.#lastScanMs = performance.now() - started;
    }
  }

  /** Events for a tenant: its lane hears of them, or it gets one when there is room, or it waits its turn. */
  #hint(tenant: string, count: number, oldestReceivedAt: number): void {
    if (this.#closed) return;
    const lane = this.#lanes.get(tenant);
    if (lane) {
      this.#idle.delete(lane);
      lane.hint(count, oldestReceivedAt);
      return;
    }
    // Parked: its sink failed; new events wait with the old ones until the back-off ends.
    if (this.#parked.has(tenant)) return;
    if (this.#queued.get(tenant) !== undefined) this.#queued.add(tenant, oldestReceivedAt);
    else if (this.#queued.size === 0 && this.#makeRoom()) this.#open(tenant, count, oldestReceivedAt);
    else this.#queued.add(tenant, oldestReceivedAt);
  }

  /** Lanes that count against the bound: alive, and not sleeping through a back-off. */
  get #active(): number {
    return this.#lanes.size - this.#backingOff;
  }

  /** True when a lane may be opened now, after retiring an idle one if that is what it takes. */
  #makeRoom(): boolean {
    if (this.#active < this.#maxActive) return true;
    const idle = this.#idle.values().next();
    if (idle.done) return false;
    this.#retire(idle.value);
    return true;
  }

  #open(tenant: string, count: number, oldestReceivedAt: number): void {
    const memo = this.#memos.get(tenant);
    if (memo) this.#memos.delete(tenant);
    const lane: Lane = new Lane(
      tenant,
      this.#o.lane,
      {
        buffer: this.#o.buffer,
        sinkFor: this.#sinkFor,
        limiter: this.#limiter,
        telemetry: this.#o.telemetry,
        random: this.#o.random ?? Math.random,
        stopSignal: this.#abort.signal,
        onSettled: this.#settled,
        onBackoff: this.#backoff,
      },
      memo,
    );
    this.#lanes.set(tenant, lane);
    lane.hint(count, oldestReceivedAt);
  }

  readonly #sinkFor = (tenant: string) => this.#o.router.sinkFor(tenant);

  /** A lane's batch ended or its claim found nothing: keep it, park it idle, or give its room to a waiting tenant. */
  readonly #settled = (lane: Lane): boolean => {
    if (this.#closed || this.#lanes.get(lane.tenant) !== lane) return false;
    const wakeAt = lane.parkedUntil;
    if (wakeAt !== undefined) {
      this.#park(lane, wakeAt);
      this.#openQueued();
      return true;
    }
    if (lane.idle) {
      this.#idle.add(lane);
      if (this.#queued.size === 0) return false;
      this.#retire(lane);
      this.#openQueued();
      return true;
    }
    if (this.#queued.size === 0 || !lane.betweenBatches) return false;
    // Tenants are waiting: this one goes to the back of the queue with what it has left.
    this.#retire(lane);
    this.#queued.add(lane.tenant, lane.unreadSince ?? Date.now());
    this.#openQueued();
    return true;
  };

  readonly #backoff = (_lane: Lane, backingOff: boolean): void => {
    this.#backingOff += backingOff ? 1 : -1;
    if (backingOff) this.#openQueued();
  };

  #retire(lane: Lane, keepState = false): void {
    lane.retire(keepState);
    this.#idle.delete(lane);
    this.#lanes.delete(lane.tenant);
  }

  #park(lane: Lane, wakeAt: number): void {
    this.#retire(lane, true);
    this.#parked.set(lane.tenant, lane.memo());
    this.#wakeups.push(wakeAt, lane.tenant);
    this.#armWake();
  }

  /** A parked tenant's wait ended (or was cut short): it queues for a lane with its memo. */
  #unpark(tenant: string): void {
    const parked = this.#parked.get(tenant);
    if (!parked) return;
    this.#parked.delete(tenant);
    this.#memos.set(tenant, parked);
    this.#queued.add(tenant, parked.wakeAt ?? Date.now());
  }

  /** One timer, for the earliest wake-up. */
  #armWake(): void {
    const next = this.#wakeups.next;
    if (next === undefined || next >= this.#wakeTimerAt || this.#closed) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimerAt = next;
    this.#wakeTimer = setTimeout(() => this.#wake(), Math.max(0, next - Date.now()));
    this.#wakeTimer.unref();
  }

  #wake(): void {
    this.#wakeTimer = undefined;
    this.#wakeTimerAt = Infinity;
    const now = Date.now();
    while (this.#wakeups.next !== undefined && this.#wakeups.next <= now) {
      const { at, tenant } = this.#wakeups.pop()!;
      // An entry of a tenant since woken early (retry now, a config change) or parked again is stale.
      if (this.#parked.get(tenant)?.wakeAt === at) this.#unpark(tenant);
    }
    this.#openQueued();
    this.#armWake();
  }

  /** Opens lanes for waiting tenants, oldest first, while there is room. */
  #openQueued(): void {
    while (this.#queued.size > 0 && !this.#closed && this.#makeRoom()) {
      const { tenant, since } = this.#queued.shift()!;
      // The count is not known here: a full batch's worth makes the lane read at once (never later than due).
      this.#open(tenant, this.#o.lane.batchSize, since);
    }
  }

  /**
   * Retry now for one tenant: ends its lane's back-off (a long Retry-After, an authentication hold), or
   * serves it at once when it waits for a lane. False when the tenant has neither (nothing stored for it).
   */
  retryNow(tenant: string): boolean {
    if (this.#closed) return false;
    this.#unpark(tenant);
    const since = this.#queued.get(tenant);
    if (since !== undefined) {
      this.#queued.delete(tenant);
      this.#open(tenant, this.#o.lane.batchSize, since);
      return true;
    }
    const lane = this.#lanes.get(tenant);
    if (!lane) return false;
    lane.wake();
    return true;
  }

  /** The tenant's lane as the admin API shows it; undefined when it has none (nothing stored, idle). */
  laneStatus(tenant: string): LaneStatus | undefined {
    const lane = this.#lanes.get(tenant);
    if (lane) return lane.status();
    const parked = this.#parked.get(tenant);
    const memo = parked ?? this.#memos.get(tenant);
    if (!memo) return undefined;
    return {
      sink: memo.state?.sink,
      state: memo.state?.state,
      nextAttemptAt: parked?.wakeAt,
      lastError: memo.lastError,
      lastDeliveredAt: memo.lastDeliveredAt,
      inFlight: 0,
      awaiting: 0,
    };
  }

  /** Tenants with a lane (cheap: the map's own keys). */
  laneTenants(): IterableIterator<string> {
    return this.#lanes.keys();
  }

  get lanes(): number {
    return this.#lanes.size;
  }

  /** Tenants with stored events waiting for a lane (a flood of tenant ids, a restart on a large backlog). */
  get queuedTenants(): number {
    return this.#queued.size;
  }

  /** Tenants backing off without a lane until their wait ends. */
  get parkedTenants(): number {
    return this.#parked.size;
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
    this.#queued.clear();
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeups.clear();
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
