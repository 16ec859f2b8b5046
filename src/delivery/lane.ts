// A tenant's lane: reads its events in seq order, batches them, sends each batch until it is acknowledged,
// dead-lettered or the service stops. A lane never waits on another tenant's lane.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBuffer, StoredEvent } from '../buffer/types.js';
import type { Sink, SinkOutcome } from '../sinks/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { backoffDelay, type RetryPolicy } from './backoff.js';
import type { Limiter } from './limiter.js';

export interface LaneSettings {
  readonly batchSize: number;
  readonly maxBatchAgeMs: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightPerTenant: number;
  readonly retry: RetryPolicy;
  /** Upper bound on one send, whatever the sink does with its own timeout. */
  readonly sendTimeoutMs: number;
}

export interface LaneDeps {
  readonly buffer: EventBuffer;
  readonly sinkFor: (tenant: string) => Sink;
  readonly limiter: Limiter;
  readonly telemetry: Telemetry;
  readonly random: () => number;
  /** Aborted when the service stops: sends are cancelled, backoff sleeps end. */
  readonly stopSignal: AbortSignal;
}

export class Lane {
  readonly tenant: string;
  readonly #s: LaneSettings;
  readonly #d: LaneDeps;
  /** Highest seq handed to a batch; everything above it is unread. */
  #cursor = 0;
  /** Estimate of committed events above the cursor (exact when 0 after a short read). */
  #unread = 0;
  /** Receive time of the oldest unread event (a lower bound), for maxBatchAgeMs. */
  #unreadSince: number | undefined;
  #inFlight = 0;
  #reading = false;
  #hintedDuringRead = 0;
  #hintedSince: number | undefined;
  /** Batches read ahead, waiting for a free in-flight slot. */
  readonly #ready: (readonly StoredEvent[])[] = [];
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  /** Ends backoff sleeps at stop(); sends themselves are only aborted by deps.stopSignal (after the grace). */
  readonly #stopSleeps = new AbortController();
  readonly #batches = new Set<Promise<void>>();
  /** Deletes handed to the buffer and not yet committed: stop() waits for them too. */
  readonly #acks = new Set<Promise<void>>();

  constructor(tenant: string, settings: LaneSettings, deps: LaneDeps) {
    this.tenant = tenant;
    this.#s = settings;
    this.#d = deps;
  }

  get idle(): boolean {
    return this.#inFlight === 0 && this.#unread === 0 && this.#ready.length === 0 && !this.#reading;
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
    if (this.#stopping) return;
    while (this.#ready.length > 0 && this.#inFlight < this.#s.maxInFlightPerTenant) {
      this.#track(this.#run(this.#ready.shift()!));
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
    this.#d.buffer
      .read(this.tenant, this.#cursor, this.#s.batchSize, this.#s.maxBatchBytes)
      .then((events) => {
        this.#reading = false;
        this.#took(events);
        this.#applyHintsFromRead();
        if (events.length > 0) this.#ready.push(events);
        this.pump();
      })
      .catch((err: unknown) => {
        this.#reading = false;
        this.#applyHintsFromRead();
        this.#d.telemetry.log.error(
          { err, tenant: this.tenant },
          'reading the buffer failed; retrying later',
        );
        this.#arm(this.#s.retry.initialMs);
      });
  }

  #took(events: readonly StoredEvent[]): void {
    if (events.length === 0) {
      this.#unread = 0;
      this.#unreadSince = undefined;
      return;
    }
    const last = events[events.length - 1]!;
    this.#cursor = last.seq;
    // A read shorter than the limit saw everything committed so far, unless the byte cap cut it short;
    // keep 1 then, and the next read settles it.
    const short = events.length < this.#s.batchSize;
    const bytes = events.reduce((n, e) => n + e.payload.byteLength, 0);
    const exhausted = short && bytes < this.#s.maxBatchBytes / 2;
    this.#unread = exhausted ? 0 : Math.max(this.#unread - events.length, 1);
    this.#unreadSince = this.#unread > 0 ? last.receivedAt : undefined;
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

  #track(p: Promise<void>): void {
    this.#inFlight++;
    this.#batches.add(p);
    void p.finally(() => {
      this.#batches.delete(p);
      this.#inFlight--;
      this.pump();
    });
  }

  /** Delivers one batch: retries until it is acknowledged or dead-lettered, or the service stops. */
  async #run(batch: readonly StoredEvent[]): Promise<void> {
    let events = batch;
    // Until a partial failure splits it, the batch is a whole range of the tenant's seqs (cheaper to delete).
    let whole = true;
    let attempt = events[0]!.attempts;
    // Rows retried before a restart keep their schedule.
    const notBefore = Math.max(...events.map((e) => e.nextAttemptAt));
    if (notBefore > Date.now() && !(await this.#sleep(notBefore - Date.now()))) return;
    while (!this.#stopping) {
      const sink = this.#d.sinkFor(this.tenant);
      await this.#d.limiter.acquire();
      if (this.#stopping) {
        // Stopped while waiting for a slot: leave the batch stored for the next start.
        this.#d.limiter.release();
        return;
      }
      const started = process.hrtime.bigint();
      let outcome: SinkOutcome;
      try {
        outcome = await this.#send(sink, events);
      } finally {
        this.#d.limiter.release();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (this.#stopping && outcome.kind === 'retry') return;
      const retry = await this.#settle(events, outcome, seconds, whole);
      if (retry.length === 0) return;
      if (retry !== events) whole = false;
      attempt++;
      const retryAfter =
        outcome.kind === 'retry' || outcome.kind === 'partial' ? outcome.retryAfterMs : undefined;
      const delay = backoffDelay(attempt, this.#s.retry, this.#d.random, retryAfter);
      const reason = outcome.kind === 'retry' ? outcome.reason : 'partial failure';
      this.#d.telemetry.batchRetried(this.tenant, retry.length, reason, delay, attempt);
      await this.#durably(() => this.#d.buffer.retryLater(retry, Date.now() + delay));
      events = retry;
      if (!(await this.#sleep(delay))) return;
    }
  }

  async #send(sink: Sink, events: readonly StoredEvent[]): Promise<SinkOutcome> {
    // A timer cleared after each send (AbortSignal.timeout would keep one alive per send until it fires).
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new Error('send timed out')), this.#s.sendTimeoutMs);
    try {
      return await sink.send(events, AbortSignal.any([this.#d.stopSignal, timeout.signal]));
    } catch (err) {
      return { kind: 'retry', reason: `sink failed: ${(err as Error).message}`.slice(0, 200) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Applies an outcome to the buffer; returns the events to try again. */
  async #settle(
    events: readonly StoredEvent[],
    outcome: SinkOutcome,
    seconds: number,
    whole: boolean,
  ): Promise<readonly StoredEvent[]> {
    const buffer = this.#d.buffer;
    const t = this.#d.telemetry;
    switch (outcome.kind) {
      case 'delivered':
        // Not awaited: the delete joins the next commit, and the lane's cursor is already past these rows.
        // A crash before that commit only means a redelivery; a failed commit is retried by #durably.
        this.#background(this.#durably(() => buffer.ack(events, whole)));
        t.batchDelivered(this.tenant, events.length, seconds);
        return [];
      case 'retry':
        return events;
      case 'rejected': {
        const status = outcome.status ?? null;
        await this.#durably(() =>
          buffer.deadLetter(events.map((event) => ({ event, status, reason: outcome.reason }))),
        );
        t.batchDeadLettered(this.tenant, events.length, outcome.reason, status);
        return [];
      }
      case 'partial': {
        const retryIds = new Set(outcome.retry);
        const rejected = new Map(outcome.rejected.map((r) => [r.id, r]));
        const ok = events.filter((e) => !retryIds.has(e.id) && !rejected.has(e.id));
        const dead = events.filter((e) => rejected.has(e.id));
        await this.#durably(() => buffer.ack(ok));
        if (dead.length > 0) {
          const letters = dead.map((event) => {
            const r = rejected.get(event.id)!;
            return { event, status: r.status ?? null, reason: r.reason };
          });
          await this.#durably(() => buffer.deadLetter(letters));
          t.batchDeadLettered(this.tenant, dead.length, letters[0]!.reason, letters[0]!.status);
        }
        const retry = events.filter((e) => retryIds.has(e.id));
        t.batchPartial(this.tenant, ok.length, retry.length, dead.length);
        return retry;
      }
    }
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
        this.#d.telemetry.log.error({ err, tenant: this.tenant }, 'buffer write failed; retrying');
        if (!(await this.#sleep(backoffDelay(attempt, this.#s.retry, this.#d.random)))) return;
      }
    }
  }

  /** Sleeps unless the service stops first; returns false when stopped. */
  async #sleep(ms: number): Promise<boolean> {
    try {
      const signal = AbortSignal.any([this.#stopSleeps.signal, this.#d.stopSignal]);
      await sleep(ms, undefined, { signal, ref: false });
      return true;
    } catch {
      return false;
    }
  }

  /** Stops starting batches; resolves when the ones in flight have ended (acked, failed or aborted). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopSleeps.abort();
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#batches]);
    await Promise.allSettled([...this.#acks]);
  }
}
