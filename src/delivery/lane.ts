// A tenant's lane: leases its events from the buffer in order, sends each lease until it is acknowledged,
// dead-lettered or the service stops. A lane never waits on another tenant's lane.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBuffer, Lease, StoredEvent } from '../buffer/types.js';
import { batchOf } from '../sinks/envelope.js';
import type { Sink, SinkBatch, SinkOutcome } from '../sinks/types.js';
import type { SinkState, Telemetry } from '../telemetry/telemetry.js';
import { backoffDelay, type RetryPolicy } from './backoff.js';
import { Isolation, type PoisonPolicy } from './isolate.js';
import type { Limiter } from './limiter.js';

export interface LaneSettings {
  readonly batchSize: number;
  readonly maxBatchAgeMs: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightPerTenant: number;
  readonly retry: RetryPolicy;
  /** Upper bound on one send, whatever the sink does with its own timeout. */
  readonly sendTimeoutMs: number;
  /** Splitting batches to isolate a poison event, and when to dead-letter it; absent: neither. */
  readonly poison?: PoisonPolicy;
}

export interface LaneDeps {
  readonly buffer: EventBuffer;
  readonly sinkFor: (tenant: string) => Sink;
  readonly limiter: Limiter;
  readonly telemetry: Telemetry;
  readonly random: () => number;
  /** Aborted when the service stops: sends are cancelled, backoff sleeps end. */
  readonly stopSignal: AbortSignal;
  /**
   * Told when a batch ended or a claim found nothing, before the lane looks for more work; returns true when
   * the dispatcher retired the lane there (see Dispatcher: lanes exist only for tenants being served).
   */
  readonly onSettled?: (lane: Lane) => boolean;
  /** Told when a batch starts and ends a back-off sleep (a backing-off lane does not count as active). */
  readonly onBackoff?: (lane: Lane, backingOff: boolean) => void;
}

/** A lease the sink accepted: kept (not acked) until the sink confirms it or the deadline passes. */
interface Awaiting {
  readonly lease: Lease;
  readonly sink: Sink;
  readonly token: string;
  readonly sentAt: bigint;
  readonly deadline: number;
}

/** What a lane knows about its tenant's delivery, for the admin API (all from fields it keeps anyway). */
export interface LaneStatus {
  /** Sink type and state of the last outcome; undefined before the first send. */
  readonly sink: string | undefined;
  readonly state: SinkState | undefined;
  /** When the lane's back-off ends (ms since epoch); undefined while it is not waiting. */
  readonly nextAttemptAt: number | undefined;
  /** The last failed outcome (kept after a success; compare with lastDeliveredAt). */
  readonly lastError:
    { readonly reason: string; readonly status: number | null; readonly at: number } | undefined;
  readonly lastDeliveredAt: number | undefined;
  /** Batches being sent now, and accepted ones awaiting the sink's confirmation. */
  readonly inFlight: number;
  readonly awaiting: number;
}

/**
 * What a lane hands on when the dispatcher retires it to park its tenant through a back-off, so the tenant's
 * next lane goes on where it left: the per-state gauge keeps counting the tenant, the admin API keeps its
 * last outcome, and the back-off keeps growing (an authentication hold records no attempt in the buffer).
 */
export interface LaneMemo {
  readonly state: { readonly sink: string; readonly state: SinkState } | undefined;
  readonly lastError: LaneStatus['lastError'];
  readonly lastDeliveredAt: number | undefined;
  readonly attempt: number;
  /** Events of the lease handed back: the next lane's first claim takes exactly those again (no newer ones). */
  readonly resend: number;
  /** While the tenant is parked: when its wait ends. */
  readonly wakeAt: number | undefined;
}

/**
 * Shared, immutable values a lane keeps about its last outcome. A flood of tenant ids parks a memo per tenant,
 * and the same few states and error reasons made an object and a string per tenant (~100 bytes each).
 */
const sinkStates = new Map<string, { readonly sink: string; readonly state: SinkState }>();
const reasons = new Map<string, string>();
const INTERNED_MAX = 1024;

function interned<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    // Reasons are mostly few; when they are not (ids in error texts), start afresh rather than grow.
    if (cache.size >= INTERNED_MAX) cache.clear();
    cache.set(key, (v = make()));
  }
  return v;
}

/** Thrown inside pump's claim chain when the lane stopped while it waited for a send slot. */
class LaneStopped extends Error {}

export class Lane {
  readonly tenant: string;
  readonly #s: LaneSettings;
  readonly #d: LaneDeps;
  /** Estimate of committed events not yet leased (exact when 0 after a short claim). */
  #unread = 0;
  /** Receive time of the oldest unread event (a lower bound), for maxBatchAgeMs. */
  #unreadSince: number | undefined;
  #inFlight = 0;
  #reading = false;
  #hintedDuringRead = 0;
  #hintedSince: number | undefined;
  /** Leases claimed ahead, waiting for a free in-flight slot. */
  readonly #ready: Lease[] = [];
  #stopping = false;
  /** Retired by the dispatcher: starts nothing more (unlike #stopping, a pending delete still retries). */
  #retired = false;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Ends the current back-off sleeps: at stop(), or early on wake() (retry now). Made only when a lane first
   * sleeps (most never do, and an idle lane per tenant must stay small); a new one after each wake. Sends
   * themselves are only aborted by deps.stopSignal (after the grace).
   */
  #sleeps: AbortController | undefined;
  readonly #batches = new Set<Promise<void>>();
  /** Deletes handed to the buffer and not yet committed: stop() waits for them too. */
  readonly #acks = new Set<Promise<void>>();
  /** Leases the sink accepted and will confirm later, oldest first (see #confirmLoop). */
  readonly #awaiting: Awaiting[] = [];
  #confirming = false;
  /** A send slot acquired before claiming (see pump), not yet handed to the #run of the lease it claimed. */
  #slot = false;
  /** What the last outcome said about this tenant's sink, for the per-state gauge. */
  #state: { sink: string; state: SinkState } | undefined;
  #nextAttemptAt: number | undefined;
  #lastError: LaneStatus['lastError'];
  #lastDeliveredAt: number | undefined;

  /** Failed sends carried over from a parked predecessor (the first #run counts on from it). */
  #carriedAttempt = 0;
  /** Made from a parked predecessor's memo: its first lease's stored wait is already over. */
  #resumed = false;
  /** Events the first claim is limited to (a parked predecessor's lease; 0: no limit). */
  #resend = 0;
  /** Set when #run handed its lease back to park the tenant until `wakeAt` (see #mayPark). */
  #park: { readonly wakeAt: number; readonly attempt: number; readonly resend: number } | undefined;

  constructor(tenant: string, settings: LaneSettings, deps: LaneDeps, memo?: LaneMemo) {
    this.tenant = tenant;
    this.#s = settings;
    this.#d = deps;
    if (memo) {
      this.#state = memo.state;
      this.#lastError = memo.lastError;
      this.#lastDeliveredAt = memo.lastDeliveredAt;
      this.#carriedAttempt = memo.attempt;
      this.#resend = memo.resend;
      this.#resumed = true;
    }
  }

  /** When the lane asked to be parked: its tenant waits until then without a lane. */
  get parkedUntil(): number | undefined {
    return this.#park?.wakeAt;
  }

  /** What the tenant's next lane continues from (see LaneMemo). */
  memo(): LaneMemo {
    return {
      state: this.#state,
      lastError: this.#lastError,
      lastDeliveredAt: this.#lastDeliveredAt,
      attempt: this.#park?.attempt ?? 0,
      resend: this.#park?.resend ?? 0,
      wakeAt: this.#park?.wakeAt,
    };
  }

  get idle(): boolean {
    return (
      this.#inFlight === 0 &&
      this.#unread === 0 &&
      this.#ready.length === 0 &&
      this.#awaiting.length === 0 &&
      !this.#reading
    );
  }

  /** Nothing in flight, being read or awaiting confirmation (a lease may be read ahead): a batch boundary. */
  get betweenBatches(): boolean {
    return this.#inFlight === 0 && this.#awaiting.length === 0 && !this.#reading;
  }

  /** Receive time of the oldest event the lane knows it has not read (undefined: none known). */
  get unreadSince(): number | undefined {
    return this.#unreadSince;
  }

  /** New events were committed (or found by a poll or at start-up). */
  hint(count: number, firstReceivedAt: number): void {
    if (this.#reading) {
      // The read in progress may not see these events, and its result resets the estimate: keep them aside.
      this.#hintedDuringRead += count;
      if (this.#hintedSince === undefined || firstReceivedAt < this.#hintedSince)
        this.#hintedSince = firstReceivedAt;
      return;
    }
    this.#unread += count;
    if (this.#unreadSince === undefined || firstReceivedAt < this.#unreadSince)
      this.#unreadSince = firstReceivedAt;
    this.pump();
  }

  /**
   * Starts batches while the lane may have more in flight, and keeps one more batch read ahead, so the next
   * send does not wait for a read queued behind a commit. Batches start in read order: order is kept.
   */
  pump(): void {
    if (this.#stopping || this.#retired) return;
    const sink = this.#d.sinkFor(this.tenant);
    // Accepted batches awaiting confirmation are held in memory: at the sink's bound, send nothing new.
    if (sink.deferred && this.#awaiting.length + this.#inFlight >= sink.deferred.maxPending) {
      this.#dropSlot();
      return;
    }
    while (this.#ready.length > 0 && this.#inFlight < this.#s.maxInFlightPerTenant) {
      const lease = this.#ready.shift()!;
      this.#track(this.#run(lease, this.#takeSlot()).catch((err: unknown) => this.#runFailed(lease, err)));
    }
    if (this.#reading || this.#inFlight + this.#ready.length > this.#s.maxInFlightPerTenant) return;
    if (this.#unread === 0 || this.#unreadSince === undefined) return;
    const now = Date.now();
    const dueAt = this.#unreadSince + this.#s.maxBatchAgeMs;
    if (this.#unread < this.#s.batchSize && now < dueAt) {
      this.#arm(dueAt - now);
      return;
    }
    this.#reading = true;
    // A batch never exceeds what the tenant's sink takes in one request, so splitting stays the exception.
    // After a park, the first batch is the lease that failed, exactly: a retry never takes newer events along.
    const maxEvents = Math.min(this.#s.batchSize, sink.limits.maxEvents, this.#resend || Infinity);
    this.#resend = 0;
    const maxBytes = Math.min(this.#s.maxBatchBytes, sink.limits.maxRequestBytes);
    // A lane with nothing in flight first waits for a send slot, then claims: with many tenants (a flood of
    // tenant ids, a restart on a large backlog) leased chunks are bounded by the slots, not by the tenants.
    // A busy lane reads its next batch ahead without one, so a single tenant's throughput is unchanged.
    const gated = this.#inFlight === 0 && this.#ready.length === 0;
    const slot = gated ? this.#d.limiter.acquire() : Promise.resolve();
    void slot
      .then(() => {
        if (gated) this.#slot = true;
        if (this.#stopping || this.#retired) throw new LaneStopped();
        return this.#d.buffer.claim(this.tenant, maxEvents, maxBytes);
      })
      .then((lease) => {
        this.#reading = false;
        this.#took(lease);
        this.#applyHintsFromRead();
        // A lane retired meanwhile (parked, or its room given up) hands a lease read ahead back at once.
        const gone = this.#stopping || this.#retired;
        if (lease && gone) this.#d.buffer.release(lease);
        else if (lease) this.#ready.push(lease);
        if (!lease || gone) this.#dropSlot();
        // Nothing found: the dispatcher may retire the lane now (a lane that just got a lease keeps it).
        if (!lease && this.#d.onSettled?.(this)) return;
        this.pump();
      })
      .catch((err: unknown) => {
        this.#reading = false;
        this.#applyHintsFromRead();
        this.#dropSlot();
        if (err instanceof LaneStopped) return;
        this.#d.telemetry.log.error(
          { err, tenant: this.tenant },
          'reading the buffer failed; retrying later',
        );
        this.#arm(this.#s.retry.initialMs);
      });
  }

  /**
   * A delivery that threw where no outcome was expected (a bug, not a sink's answer): its events go back to
   * the buffer, so the lane claims them again instead of leaving them leased until a restart.
   */
  #runFailed(lease: Lease, err: unknown): void {
    this.#d.telemetry.log.error(
      { err, tenant: this.tenant },
      'delivering a batch failed unexpectedly; retrying',
    );
    // Read before the release, which empties the lease.
    this.#unread = Math.max(this.#unread, lease.count);
    this.#unreadSince ??= lease.oldestReceivedAt;
    if (lease.count > 0 && !this.#awaiting.some((a) => a.lease === lease)) this.#d.buffer.release(lease);
    this.#arm(this.#s.retry.initialMs);
  }

  /** The send slot taken for the next ready lease, handed to its #run (false: none held). */
  #takeSlot(): boolean {
    const held = this.#slot;
    this.#slot = false;
    return held;
  }

  #dropSlot(): void {
    if (this.#takeSlot()) this.#d.limiter.release();
  }

  #took(lease: Lease | undefined): void {
    if (!lease) {
      this.#unread = 0;
      this.#unreadSince = undefined;
      return;
    }
    // The buffer says whether events are left: then they were committed no later than the lease's own
    // (a lower bound on their receive time, so the age rule errs towards sending early).
    this.#unread = lease.more ? Math.max(this.#unread - lease.count, 1) : 0;
    this.#unreadSince = lease.more ? lease.oldestReceivedAt : undefined;
  }

  /** Hints that arrived during the read count now (at worst they cost one empty read). */
  #applyHintsFromRead(): void {
    if (this.#hintedDuringRead === 0 || this.#hintedSince === undefined) return;
    this.#unread += this.#hintedDuringRead;
    if (this.#unreadSince === undefined || this.#hintedSince < this.#unreadSince)
      this.#unreadSince = this.#hintedSince;
    this.#hintedDuringRead = 0;
    this.#hintedSince = undefined;
  }

  #arm(ms: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.pump();
    }, ms);
    this.#timer.unref();
  }

  /** Follows a batch (or the confirm loop, which takes no in-flight slot) so stop() can wait for it. */
  #track(p: Promise<void>, inFlight = true): void {
    if (inFlight) this.#inFlight++;
    this.#batches.add(p);
    void p.finally(() => {
      this.#batches.delete(p);
      if (inFlight) this.#inFlight--;
      if (this.#d.onSettled?.(this)) return;
      this.pump();
    });
  }

  /** Delivers one lease: retries until it is acknowledged or dead-lettered, or the service stops. */
  async #run(lease: Lease, slotHeld = false): Promise<void> {
    const buffer = this.#d.buffer;
    let attempt = Math.max(lease.attempts, this.#carriedAttempt);
    this.#carriedAttempt = 0;
    // A wait stored by an earlier process (a long Retry-After, a long back-off) is not kept beyond
    // retry.initialMs: a restart retries now. A lane resumed after a park has had its wait already.
    const resumed = this.#resumed;
    this.#resumed = false;
    const stored = resumed ? 0 : Math.min(lease.notBefore - Date.now(), this.#s.retry.initialMs);
    if (stored > 0 && slotHeld) {
      // No slot is held through a sleep: other tenants may send meanwhile.
      this.#d.limiter.release();
      slotHeld = false;
    }
    if (stored > 0) {
      // Parked like any back-off: with a million tenants restarting on stored waits, lanes sleeping here held
      // every active place and the drain crawled.
      if (this.#mayPark(undefined, 0, this.#inFlight, lease.count)) {
        this.#park = { wakeAt: Date.now() + stored, attempt, resend: lease.count };
        buffer.release(lease);
        return;
      }
      this.#d.onBackoff?.(this, true);
      const slept = await this.#sleep(stored);
      this.#d.onBackoff?.(this, false);
      if (!slept) {
        buffer.release(lease);
        return;
      }
    }
    const poison = this.#s.poison;
    const isolation = poison ? new Isolation(poison.bisectAfterFailures, lease.attempts) : undefined;
    // Failed sends per event (on top of the attempts recorded before), for the dead-letter rule.
    const earlier = lease.attempts;
    let wholeFailures = 0;
    const partFailures = new Map<string, number>();
    while (!this.#stopping) {
      const sink = this.#d.sinkFor(this.tenant);
      // Isolating a poison event: only part of the lease goes (undefined: the lease itself).
      const part = isolation && !isolation.whole ? this.#partOf(lease, isolation) : undefined;
      if (slotHeld) slotHeld = false;
      else await this.#d.limiter.acquire();
      if (this.#stopping) {
        // Stopped while waiting for a slot: leave the events stored for the next start.
        this.#d.limiter.release();
        break;
      }
      const started = process.hrtime.bigint();
      let outcome: SinkOutcome;
      try {
        outcome = await this.#send(sink, part ? batchOf(part, this.tenant) : lease);
      } finally {
        this.#d.limiter.release();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.#stopping && (outcome.kind === 'retry' || outcome.kind === 'auth_failed')) break;
      if (outcome.kind === 'auth_failed' && sink.onAuthFailure === 'dead_letter') {
        outcome = { kind: 'rejected', reason: outcome.reason, status: outcome.status };
      }
      this.#setState(sink.type, outcome);
      this.#noteOutcome(outcome);
      if ((outcome.kind === 'delivered' || outcome.kind === 'partial') && outcome.receiverDropped) {
        const { count, message } = outcome.receiverDropped;
        this.#d.telemetry.receiverDropped(this.tenant, sink.type, count, message);
      }
      if (outcome.kind === 'accepted') {
        if (!part) {
          this.#await(lease, sink, outcome.token, started);
          return;
        }
        outcome = await this.#confirmPart(sink, outcome.token);
        if (this.#stopping && outcome.kind === 'retry') break;
      }
      // The sink's config is at fault, not the events: the tenant is held, nothing counts against them.
      const hold =
        outcome.kind === 'auth_failed' || (outcome.kind === 'retry' && outcome.misconfigured === true);
      const before = lease.count;
      const retrying = await this.#settle(lease, part, outcome, seconds, sink.type);
      if (!retrying || lease.count === 0) return;
      const progress = lease.count < before;
      if (isolation && poison && !hold) {
        // Unsettled, the lease still holds what was sent; a whole lease that progressed needs no ids.
        const sent = part ?? (progress ? [] : lease.events());
        if (!progress) {
          if (part) for (const e of part) partFailures.set(e.id, (partFailures.get(e.id) ?? 0) + 1);
          else wholeFailures++;
        }
        isolation.record(
          sent.map((e) => e.id),
          progress,
          outcome.kind === 'retry' && outcome.status === 413,
        );
        const alone = !progress && sent.length === 1 ? sent[0]! : undefined;
        if (alone) {
          const attempts = earlier + wholeFailures + (partFailures.get(alone.id) ?? 0);
          if (await this.#deadLetterPoison(lease, alone, attempts, outcome, poison)) {
            if (lease.count === 0) return;
            continue;
          }
        }
        // Part of the lease went through: the next part goes at once.
        if (progress && part) continue;
      }
      attempt++;
      const retryAfter =
        outcome.kind === 'retry' || outcome.kind === 'partial' ? outcome.retryAfterMs : undefined;
      // Holds back off like any failure, capped at retry.maxMs: the tenant is held, not dropped.
      const delay = backoffDelay(attempt, this.#s.retry, this.#d.random, hold ? undefined : retryAfter);
      if (outcome.kind === 'auth_failed') {
        this.#d.telemetry.sinkAuthFailed(this.tenant, sink.type, outcome.reason, delay, attempt);
      } else {
        const reason = outcome.kind === 'retry' ? outcome.reason : 'partial failure';
        this.#d.telemetry.batchRetried(this.tenant, lease.count, reason, delay, attempt);
      }
      // A hold is not the events' failure: no attempt is recorded against them (nor a wait to keep).
      if (!hold) await this.#durably(() => buffer.retry(lease, Date.now() + delay));
      if (this.#mayPark(isolation, partFailures.size, this.#inFlight - 1, lease.count)) {
        // The lease goes back (its wait is stored) and the dispatcher wakes the tenant: a sleeping lane
        // per tenant is what a flood of tenant ids behind a down sink must not cost.
        this.#park = { wakeAt: Date.now() + delay, attempt, resend: lease.count };
        buffer.release(lease);
        return;
      }
      this.#nextAttemptAt = Date.now() + delay;
      this.#d.onBackoff?.(this, true);
      const slept = await this.#sleep(delay);
      this.#d.onBackoff?.(this, false);
      this.#nextAttemptAt = undefined;
      if (!slept) break;
    }
    if (slotHeld) this.#d.limiter.release();
    if (lease.count > 0) buffer.release(lease);
  }

  /**
   * A lane may hand its back-off to the dispatcher when this batch is all it has going (nothing else sent,
   * read or awaiting confirmation; a lease read ahead goes back with it) and no poison isolation is under
   * way (its state lives in this #run). A lease of one event has nothing to isolate: its event is a suspect
   * after one failure, but what goes next is the same event alone, and its attempts are stored.
   */
  #mayPark(
    isolation: Isolation | undefined,
    partFailures: number,
    othersInFlight: number,
    leaseCount: number,
  ): boolean {
    return (
      this.#d.onSettled !== undefined &&
      !this.#stopping &&
      othersInFlight === 0 &&
      !this.#reading &&
      this.#awaiting.length === 0 &&
      !this.#confirming &&
      (isolation === undefined || isolation.whole || leaseCount === 1) &&
      partFailures === 0
    );
  }

  /** The part of the lease isolation sends next (the lease's own events, in order). */
  #partOf(lease: Lease, isolation: Isolation): readonly StoredEvent[] | undefined {
    const events = lease.events();
    const part = isolation.pick(events);
    return part.length === events.length ? undefined : part;
  }

  /**
   * An event failed alone: dead-letters it, with the sink's last reason, once it has both the attempts and
   * the age the poison policy asks for (so an outage shorter than maxAgeMs never dead-letters). Returns
   * true when it did.
   */
  async #deadLetterPoison(
    lease: Lease,
    event: StoredEvent,
    attempts: number,
    outcome: SinkOutcome,
    policy: PoisonPolicy,
  ): Promise<boolean> {
    const ageMs = Date.now() - event.receivedAt;
    if (attempts < policy.maxAttempts || ageMs < policy.maxAgeMs) return false;
    const reason = outcome.kind === 'retry' ? outcome.reason : 'partial failure';
    const status = outcome.kind === 'retry' ? (outcome.status ?? null) : null;
    await this.#durably(() => this.#d.buffer.deadLetter(lease, [{ id: event.id, status, reason }]));
    this.#d.telemetry.log.warn(
      { tenant: this.tenant, id: event.id, attempts, ageMs },
      'an event the sink keeps failing on its own was isolated (poison event)',
    );
    this.#d.telemetry.batchDeadLettered(this.tenant, 1, reason, status);
    return true;
  }

  /** Waits (polling) for the sink to confirm an accepted part of a lease; a timeout is a retry. */
  async #confirmPart(sink: Sink, token: string): Promise<SinkOutcome> {
    const deadline = Date.now() + (sink.deferred?.timeoutMs ?? this.#s.sendTimeoutMs);
    while (!this.#stopping && Date.now() < deadline) {
      if (!(await this.#sleep(sink.deferred?.pollIntervalMs ?? this.#s.retry.initialMs))) break;
      try {
        const done = await sink.confirm?.(this.tenant, [token], this.#d.stopSignal);
        if (done?.has(token)) return { kind: 'delivered' };
      } catch (err) {
        this.#d.telemetry.log.warn(
          { err, tenant: this.tenant },
          'asking the sink for acknowledgements failed',
        );
      }
    }
    return { kind: 'retry', reason: 'acknowledgement timed out' };
  }

  async #send(sink: Sink, batch: SinkBatch): Promise<SinkOutcome> {
    // One controller per send, aborted by its timer or by the service's stop, both released afterwards.
    // Not AbortSignal.timeout (a timer alive per send until it fires) nor AbortSignal.any over the long-lived
    // stop signal (on Node 20 every any() leaves an entry on it that is never removed: nodejs/node#55351).
    const send = new AbortController();
    const timer = setTimeout(() => send.abort(new Error('send timed out')), this.#s.sendTimeoutMs);
    const stop = this.#d.stopSignal;
    const onStop = (): void => send.abort(stop.reason);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    try {
      return await sink.send(batch, send.signal);
    } catch (err) {
      return { kind: 'retry', reason: `sink failed: ${(err as Error).message}`.slice(0, 200) };
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }

  /**
   * Applies an outcome of sending `part` (undefined: the whole lease) to the buffer; returns true when what
   * is left of the lease is to be tried again.
   */
  async #settle(
    lease: Lease,
    part: readonly StoredEvent[] | undefined,
    outcome: SinkOutcome,
    seconds: number,
    sinkType: string,
  ): Promise<boolean> {
    const buffer = this.#d.buffer;
    const t = this.#d.telemetry;
    const sentIds = () => (part ?? lease.events()).map((e) => e.id);
    switch (outcome.kind) {
      case 'delivered': {
        if (part) {
          // Awaited: the next part is picked from what the lease still holds.
          await this.#durably(() => buffer.ack(lease, sentIds()));
          t.batchDelivered(this.tenant, part.length, seconds, sinkType, part[0]?.receivedAt ?? Date.now());
          return lease.count > 0;
        }
        const count = lease.count;
        const oldest = lease.oldestReceivedAt;
        // Not awaited: the delete joins the next commit and the lease keeps its events out of other claims
        // until then. A crash before that commit only means a redelivery; a failed commit is retried by
        // #durably.
        this.#background(this.#durably(() => buffer.ack(lease)));
        t.batchDelivered(this.tenant, count, seconds, sinkType, oldest);
        return false;
      }
      case 'retry':
      case 'auth_failed':
        return true;
      case 'accepted':
        // Handled by #run before settling; never reaches here.
        return false;
      case 'rejected': {
        const status = outcome.status ?? null;
        const rejections = sentIds().map((id) => ({ id, status, reason: outcome.reason }));
        await this.#durably(() => buffer.deadLetter(lease, rejections));
        t.batchDeadLettered(this.tenant, rejections.length, outcome.reason, status);
        return lease.count > 0;
      }
      case 'partial': {
        const retryIds = new Set(outcome.retry);
        const rejected = new Map(outcome.rejected.map((r) => [r.id, r]));
        const ids = sentIds();
        const ok = ids.filter((id) => !retryIds.has(id) && !rejected.has(id));
        const dead = ids
          .filter((id) => rejected.has(id) && !retryIds.has(id))
          .map((id) => {
            const r = rejected.get(id)!;
            return { id, status: r.status ?? null, reason: r.reason };
          });
        if (ok.length > 0) await this.#durably(() => buffer.ack(lease, ok));
        if (dead.length > 0) {
          await this.#durably(() => buffer.deadLetter(lease, dead));
          t.batchDeadLettered(this.tenant, dead.length, dead[0]!.reason, dead[0]!.status);
        }
        t.batchPartial(this.tenant, ok.length, ids.length - ok.length - dead.length, dead.length);
        return lease.count > 0;
      }
    }
  }

  #setState(sink: string, outcome: SinkOutcome): void {
    const state: SinkState =
      outcome.kind === 'auth_failed'
        ? 'auth_failed'
        : outcome.kind === 'retry'
          ? outcome.misconfigured
            ? 'misconfigured'
            : 'retrying'
          : 'ok';
    const prev = this.#state;
    if (prev?.sink === sink && prev.state === state) return;
    this.#d.telemetry.sinkState(sink, prev?.sink === sink ? prev.state : undefined, state);
    if (prev && prev.sink !== sink) this.#d.telemetry.sinkState(prev.sink, prev.state, undefined);
    this.#state = interned(sinkStates, `${sink}\0${state}`, () => ({ sink, state }));
    if (state === 'misconfigured' && outcome.kind === 'retry') {
      // Logged once per entry into the state (each retry is also counted and logged, throttled).
      this.#d.telemetry.log.error(
        { tenant: this.tenant, sink, status: outcome.status, reason: outcome.reason },
        'the sink answered with a redirect, which is never followed (credentials stay with the configured ' +
          "url): fix the sink's url; holding the tenant and retrying meanwhile",
      );
    }
  }

  #noteOutcome(outcome: SinkOutcome): void {
    const at = Date.now();
    switch (outcome.kind) {
      case 'delivered':
        this.#lastDeliveredAt = at;
        break;
      case 'retry':
      case 'auth_failed':
      case 'rejected':
        this.#lastError = {
          reason: interned(reasons, outcome.reason, () => outcome.reason),
          status: outcome.status ?? null,
          at,
        };
        break;
      case 'partial':
        this.#lastDeliveredAt = at;
        this.#lastError = { reason: 'partial failure', status: null, at };
        break;
      case 'accepted':
        break;
    }
  }

  status(): LaneStatus {
    return {
      sink: this.#state?.sink,
      state: this.#state?.state,
      nextAttemptAt: this.#nextAttemptAt,
      lastError: this.#lastError,
      lastDeliveredAt: this.#lastDeliveredAt,
      inFlight: this.#inFlight,
      awaiting: this.#awaiting.length,
    };
  }

  /** Parks an accepted lease until the sink confirms it; the lane's in-flight slot is free meanwhile. */
  #await(lease: Lease, sink: Sink, token: string, sentAt: bigint): void {
    const timeoutMs = sink.deferred?.timeoutMs ?? this.#s.sendTimeoutMs;
    this.#awaiting.push({ lease, sink, token, sentAt, deadline: Date.now() + timeoutMs });
    this.#d.telemetry.batchAccepted(this.tenant, lease.count);
    if (!this.#confirming) this.#track(this.#confirmLoop(), false);
  }

  /**
   * Asks the sink, every poll interval, which accepted leases are confirmed: those are acked; those past
   * their deadline go back to the front of the lane to be sent again (at-least-once: the sink may have
   * them, and each event keeps its id). One loop per lane, so polls for a tenant never overlap.
   */
  async #confirmLoop(): Promise<void> {
    this.#confirming = true;
    try {
      while (this.#awaiting.length > 0 && !this.#stopping) {
        const sink = this.#awaiting[0]!.sink;
        if (!(await this.#sleep(sink.deferred?.pollIntervalMs ?? this.#s.retry.initialMs))) return;
        const bySink = new Map<Sink, Awaiting[]>();
        for (const a of this.#awaiting) {
          const list = bySink.get(a.sink);
          if (list) list.push(a);
          else bySink.set(a.sink, [a]);
        }
        for (const [s, list] of bySink) await this.#confirm(s, list);
        this.pump();
      }
    } finally {
      this.#confirming = false;
    }
  }

  async #confirm(sink: Sink, list: readonly Awaiting[]): Promise<void> {
    let confirmed: ReadonlySet<string> = new Set();
    try {
      const tokens = list.map((a) => a.token);
      if (sink.confirm) confirmed = await sink.confirm(this.tenant, tokens, this.#d.stopSignal);
    } catch (err) {
      this.#d.telemetry.log.warn({ err, tenant: this.tenant }, 'asking the sink for acknowledgements failed');
    }
    const now = Date.now();
    const expired: Lease[] = [];
    for (const a of list) {
      const done = confirmed.has(a.token);
      if (!done && now < a.deadline) continue;
      this.#awaiting.splice(this.#awaiting.indexOf(a), 1);
      if (done) {
        const seconds = Number(process.hrtime.bigint() - a.sentAt) / 1e9;
        const count = a.lease.count;
        const oldest = a.lease.oldestReceivedAt;
        this.#background(this.#durably(() => this.#d.buffer.ack(a.lease)));
        this.#d.telemetry.batchDelivered(this.tenant, count, seconds, sink.type, oldest);
      } else {
        expired.push(a.lease);
        this.#d.telemetry.batchRetried(
          this.tenant,
          a.lease.count,
          'acknowledgement timed out',
          0,
          a.lease.attempts + 1,
        );
      }
    }
    // Oldest first, ahead of anything claimed later.
    if (expired.length > 0) this.#ready.unshift(...expired);
  }

  #background(p: Promise<void>): void {
    this.#acks.add(p);
    void p.finally(() => this.#acks.delete(p));
  }

  /** A buffer write that failed (disk full…) is retried: skipping it would strand or lose the rows. */
  async #durably(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        this.#d.telemetry.bufferWriteFailed(this.tenant, err);
        if (!(await this.#sleep(backoffDelay(attempt, this.#s.retry, this.#d.random)))) return;
      }
    }
  }

  /** Sleeps unless the service stops first or the lane is woken; returns false when stopped. */
  async #sleep(ms: number): Promise<boolean> {
    try {
      if (this.#stopping || this.#d.stopSignal.aborted) return false;
      // Only the lane's own controller (stop() aborts it): no AbortSignal.any over the service's stop signal,
      // which leaks on Node 20 (see #send).
      const sleeps = (this.#sleeps ??= new AbortController());
      await sleep(ms, undefined, { signal: sleeps.signal, ref: false });
      return true;
    } catch {
      return !this.#stopping && !this.#d.stopSignal.aborted;
    }
  }

  /**
   * Retry now: ends the lane's back-off sleeps (a long Retry-After, an authentication hold) so its held
   * batches are sent again at once. A send in progress is not affected; a failure backs off again.
   */
  wake(): void {
    if (this.#stopping) return;
    const sleeps = this.#sleeps;
    this.#sleeps = undefined;
    sleeps?.abort();
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.pump();
  }

  /**
   * The dispatcher retires the lane at a batch boundary (idle, or making room for a waiting tenant): leases
   * read ahead go back to the buffer and nothing starts any more. Deletes already handed to the buffer commit
   * on their own.
   */
  retire(keepState = false): void {
    this.#retired = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const lease of this.#ready.splice(0)) this.#d.buffer.release(lease);
    this.#dropSlot();
    // A parked tenant stays counted in its state (its memo carries the state to its next lane).
    if (!keepState) this.dispose();
  }

  /** The dispatcher dropped this idle lane: its tenant no longer counts in the per-state gauge. */
  dispose(): void {
    if (this.#state) this.#d.telemetry.sinkState(this.#state.sink, this.#state.state, undefined);
    this.#state = undefined;
  }

  /** Stops starting batches; resolves when the ones in flight have ended (acked, failed or aborted). */
  async stop(): Promise<void> {
    this.#stopping = true;
    const sleeps = this.#sleeps;
    this.#sleeps = undefined;
    sleeps?.abort();
    if (this.#timer) clearTimeout(this.#timer);
    for (const lease of this.#ready.splice(0)) this.#d.buffer.release(lease);
    this.#dropSlot();
    await Promise.allSettled([...this.#batches]);
    // Accepted but unconfirmed: kept stored, sent again after the restart (the sink may then see them twice).
    for (const a of this.#awaiting.splice(0)) this.#d.buffer.release(a.lease);
    await Promise.allSettled([...this.#acks]);
    this.dispose();
  }
}
