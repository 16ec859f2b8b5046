// One function per observable event: each updates the metrics and logs once. Metric names follow
// logdriver_<component>_<name>_<unit>; no tenant labels, so series stay bounded whatever producers send.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LogThrottle, type Logger } from './logger.js';

export type IngestSource = 'zmq' | 'http';

/** Lines of one kind (retry, auth, dead letter…) logged per 10-s window over all tenants together. */
const TENANT_LINES_PER_WINDOW = 50;

/** Plain running totals, read by the stats sampler every interval (cheaper than the registry). */
export interface Totals {
  received: number;
  rejected: number;
  dropped: number;
  committed: number;
  committedBytes: number;
  delivered: number;
  deleted: number;
  retried: number;
  deadLettered: number;
  commits: number;
  checkpoints: number;
}

export class Telemetry {
  readonly registry = new Registry();
  readonly totals: Totals = {
    received: 0,
    rejected: 0,
    dropped: 0,
    committed: 0,
    committedBytes: 0,
    delivered: 0,
    deleted: 0,
    retried: 0,
    deadLettered: 0,
    commits: 0,
    checkpoints: 0,
  };
  readonly log: Logger;
  readonly #throttle = new LogThrottle();
  /**
   * Per-tenant lines (retries, holds, dead letters) also share one budget per kind across all tenants: with
   * a flood of tenant ids behind a sink that is down, a line per tenant per window would still be a flood.
   */
  readonly #acrossTenants = new LogThrottle(TENANT_LINES_PER_WINDOW);

  readonly #received: Counter<'source'>;
  readonly #rejected: Counter<'source' | 'reason'>;
  readonly #dropped: Counter<'source'>;
  readonly #committed: Counter;
  readonly #commitSeconds: Histogram;
  readonly #delivered: Counter;
  readonly #batches: Counter<'outcome'>;
  readonly #deliverSeconds: Histogram<'sink'>;
  readonly #deliveryLatency: Histogram<'sink'>;
  readonly #retried: Counter;
  readonly #deadLettered: Counter;
  readonly #checkpoints: Counter;
  readonly #blocked: Gauge<'source'>;
  readonly #authFailures: Counter<'sink'>;
  readonly #receiverDropped: Counter<'sink'>;
  readonly #diskFullGauge: Gauge;
  readonly #sinkStates: Gauge<'sink' | 'state'>;
  /** Tenants per (sink type, state), mirrored into #sinkStates. */
  readonly #stateCounts = new Map<string, number>();

  constructor(log: Logger, opts: { defaultMetrics?: boolean } = {}) {
    this.log = log;
    const r = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'logdriver_' });
    this.#received = new Counter({
      name: 'logdriver_ingest_received_events_total',
      help: 'Events accepted by ingest (valid, before commit).',
      labelNames: ['source'],
      registers: r,
    });
    this.#rejected = new Counter({
      name: 'logdriver_ingest_rejected_events_total',
      help: 'Events refused by ingest, by reason.',
      labelNames: ['source', 'reason'],
      registers: r,
    });
    this.#dropped = new Counter({
      name: 'logdriver_ingest_dropped_events_total',
      help: 'Valid events dropped because the buffer was full (whenFull: drop_newest).',
      labelNames: ['source'],
      registers: r,
    });
    this.#committed = new Counter({
      name: 'logdriver_buffer_committed_events_total',
      help: 'Events made durable in the buffer.',
      registers: r,
    });
    this.#commitSeconds = new Histogram({
      name: 'logdriver_buffer_commit_duration_seconds',
      help: 'Group-commit transaction time, fsync included.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    });
    this.#delivered = new Counter({
      name: 'logdriver_delivery_delivered_events_total',
      help: 'Events acknowledged by their sink and deleted.',
      registers: r,
    });
    this.#batches = new Counter({
      name: 'logdriver_delivery_batches_total',
      help: 'Batches sent, by outcome.',
      labelNames: ['outcome'],
      registers: r,
    });
    this.#deliverSeconds = new Histogram({
      name: 'logdriver_delivery_send_duration_seconds',
      help: 'Time a sink took to answer a delivered batch (until its acknowledgement, for deferred ones), by sink type.',
      labelNames: ['sink'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r,
    });
    this.#deliveryLatency = new Histogram({
      name: 'logdriver_delivery_latency_seconds',
      help: 'Receipt to acknowledgement of the oldest event of each delivered batch, by sink type.',
      labelNames: ['sink'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600],
      registers: r,
    });
    this.#retried = new Counter({
      name: 'logdriver_delivery_retried_events_total',
      help: 'Events scheduled for another attempt.',
      registers: r,
    });
    this.#deadLettered = new Counter({
      name: 'logdriver_delivery_dead_lettered_events_total',
      help: 'Events moved to the dead-letter table.',
      registers: r,
    });
    this.#checkpoints = new Counter({
      name: 'logdriver_buffer_checkpoints_total',
      help: 'Deliberate WAL checkpoints run.',
      registers: r,
    });
    this.#blocked = new Gauge({
      name: 'logdriver_ingest_blocked',
      help: '1 while ingest is pushing back because the buffer is full.',
      labelNames: ['source'],
      registers: r,
    });
    this.#diskFullGauge = new Gauge({
      name: 'logdriver_buffer_disk_full',
      help: '1 while the data directory has no space left (ingest refused until it returns), else 0.',
      registers: r,
    });
    this.#authFailures = new Counter({
      name: 'logdriver_delivery_auth_failures_total',
      help: 'Sends refused for their credentials (401/403, revoked token, expired key), by sink type.',
      labelNames: ['sink'],
      registers: r,
    });
    this.#receiverDropped = new Counter({
      name: 'logdriver_delivery_receiver_dropped_events_total',
      help: 'Events a receiver accepted the request of but reported dropping without naming them (OTLP partial_success), by sink type.',
      labelNames: ['sink'],
      registers: r,
    });
    this.#sinkStates = new Gauge({
      name: 'logdriver_delivery_tenants',
      help: 'Tenants with a lane, by sink type and delivery state (ok, retrying, auth_failed, misconfigured).',
      labelNames: ['sink', 'state'],
      registers: r,
    });
  }

  /** Registers a gauge computed at scrape time (buffer size, backlog…). */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  eventsReceived(source: IngestSource, n: number): void {
    this.totals.received += n;
    this.#received.inc({ source }, n);
  }

  /** A refused event or request: counted by reason, logged without flooding. */
  eventRejected(source: IngestSource, reason: string, detail: string, n = 1): void {
    this.totals.rejected += n;
    this.#rejected.inc({ source, reason }, n);
    const { log, suppressed } = this.#throttle.admit(`${source}:${reason}`);
    if (suppressed > 0) this.log.warn({ source, reason, suppressed }, 'suppressed repeated rejections');
    if (log) this.log.warn({ source, reason, detail: detail.slice(0, 200) }, 'event rejected');
  }

  eventsDropped(source: IngestSource, n: number): void {
    this.totals.dropped += n;
    this.#dropped.inc({ source }, n);
    const { log, suppressed } = this.#throttle.admit(`drop:${source}`);
    if (log) this.log.warn({ source, events: n, suppressed }, 'buffer full: dropped newest events');
  }

  ingestBlocked(source: IngestSource, blocked: boolean): void {
    this.#blocked.set({ source }, blocked ? 1 : 0);
    this.log.warn(
      { source },
      blocked ? 'buffer full: ingest pushing back' : 'buffer below cap: ingest resumed',
    );
  }

  eventsCommitted(n: number, bytes: number, seconds: number): void {
    this.totals.committed += n;
    this.totals.committedBytes += bytes;
    this.totals.commits++;
    this.#committed.inc(n);
    this.#commitSeconds.observe(seconds);
  }

  commitFailed(err: unknown, events: number): void {
    // A full disk fails every commit for as long as it lasts: one line per reason per window, no stack.
    const reason = errorReason(err);
    const { log, suppressed } = this.#throttle.admit(`commit:${reason}`);
    if (log)
      this.log.error(
        { reason, events, suppressed },
        'buffer commit failed; the events were not acknowledged',
      );
  }

  /** The data directory's disk filled (ingest refused, reserve released) or has room again. */
  diskFull(full: boolean, why: string, reserveReleased: boolean): void {
    this.#diskFullGauge.set(full ? 1 : 0);
    if (full)
      this.log.error({ why, reserveReleased }, 'disk full: refusing new events; delivery and deletes go on');
    else this.log.warn({ why }, 'disk space is back: accepting events again');
  }

  /** A checkpoint or vacuum step failed (it is tried again): one line per reason per window. */
  maintenanceFailed(task: string, message: string): void {
    const { log, suppressed } = this.#throttle.admit(`maintenance:${task}:${message}`);
    if (log) this.log.error({ task, error: message, suppressed }, 'buffer maintenance failed; will retry');
  }

  /** A buffer write a lane must repeat failed (disk full…): logged at most once per window per reason. */
  bufferWriteFailed(tenant: string, err: unknown): void {
    const reason = errorReason(err);
    const { log, suppressed } = this.#throttle.admit(`write:${reason}`);
    if (log) this.log.error({ tenant, reason, suppressed }, 'buffer write failed; retrying');
  }

  checkpointRun(walBytesBefore: number, seconds: number): void {
    this.totals.checkpoints++;
    this.#checkpoints.inc();
    this.log.debug({ walBytesBefore, seconds }, 'wal checkpoint');
  }

  /** `oldestReceivedAt`: receipt time of the batch's oldest event (its latency is the batch's worst). */
  batchDelivered(tenant: string, n: number, seconds: number, sink: string, oldestReceivedAt: number): void {
    this.totals.delivered += n;
    this.totals.deleted += n;
    this.#delivered.inc(n);
    this.#batches.inc({ outcome: 'delivered' });
    this.#deliverSeconds.observe({ sink }, seconds);
    this.#deliveryLatency.observe({ sink }, Math.max(0, Date.now() - oldestReceivedAt) / 1000);
    this.log.debug({ tenant, events: n, seconds }, 'batch delivered');
  }

  batchRetried(tenant: string, n: number, reason: string, delayMs: number, attempt: number): void {
    this.totals.retried += n;
    this.#retried.inc(n);
    this.#batches.inc({ outcome: 'retry' });
    const { log, suppressed, suppressedAcrossTenants } = this.#admitTenant('retry', tenant);
    if (log)
      this.log.warn(
        { tenant, events: n, reason, delayMs, attempt, suppressed, suppressedAcrossTenants },
        'batch will be retried',
      );
  }

  /** The tenant's own throttle, then the budget of its kind across tenants (counts of both lines held back). */
  #admitTenant(
    kind: string,
    tenant: string | undefined,
  ): { log: boolean; suppressed: number; suppressedAcrossTenants: number } {
    const own =
      tenant === undefined ? { log: true, suppressed: 0 } : this.#throttle.admit(`${kind}:${tenant}`);
    if (!own.log) return { log: false, suppressed: own.suppressed, suppressedAcrossTenants: 0 };
    const all = this.#acrossTenants.admit(kind);
    return { log: all.log, suppressed: own.suppressed, suppressedAcrossTenants: all.suppressed };
  }

  batchDeadLettered(tenant: string, n: number, reason: string, status: number | null): void {
    this.totals.deadLettered += n;
    this.#deadLettered.inc(n);
    this.#batches.inc({ outcome: 'rejected' });
    const { log, suppressedAcrossTenants } = this.#admitTenant('dead_letter', undefined);
    if (log)
      this.log.error(
        { tenant, events: n, reason, status, suppressedAcrossTenants },
        'events moved to the dead-letter table',
      );
  }

  batchPartial(tenant: string, delivered: number, retried: number, rejected: number): void {
    this.totals.delivered += delivered;
    this.totals.deleted += delivered;
    this.#delivered.inc(delivered);
    this.#batches.inc({ outcome: 'partial' });
    const { log, suppressedAcrossTenants } = this.#admitTenant('partial', undefined);
    if (log)
      this.log.warn(
        { tenant, delivered, retried, rejected, suppressedAcrossTenants },
        'batch partially delivered',
      );
  }

  /** A lane's delivery state changed (`undefined`: the lane appeared or went away). */
  sinkState(sink: string, from: SinkState | undefined, to: SinkState | undefined): void {
    if (from === to) return;
    for (const [state, delta] of [
      [from, -1],
      [to, 1],
    ] as const) {
      if (state === undefined) continue;
      const key = `${sink}\u0000${state}`;
      const n = (this.#stateCounts.get(key) ?? 0) + delta;
      if (n === 0) this.#stateCounts.delete(key);
      else this.#stateCounts.set(key, n);
      this.#sinkStates.set({ sink, state }, n);
    }
  }

  /** The sink refused the tenant's credentials; the lane holds and retries (policy `retry`). */
  sinkAuthFailed(tenant: string, sink: string, reason: string, delayMs: number, attempt: number): void {
    this.#authFailures.inc({ sink });
    this.#batches.inc({ outcome: 'auth_failed' });
    const { log, suppressed, suppressedAcrossTenants } = this.#admitTenant('auth', tenant);
    if (log)
      this.log.error(
        { tenant, sink, reason, delayMs, attempt, suppressed, suppressedAcrossTenants },
        'sink refused the credentials; holding the tenant and retrying',
      );
  }

  /** A receiver reported dropping `count` events of an accepted request without naming them. */
  receiverDropped(tenant: string, sink: string, count: number, message: string): void {
    this.#receiverDropped.inc({ sink }, count);
    const { log, suppressed, suppressedAcrossTenants } = this.#admitTenant('dropped', tenant);
    if (log)
      this.log.warn(
        { tenant, sink, events: count, message, suppressed, suppressedAcrossTenants },
        'the receiver accepted the request but reported dropping events (not retried: it does not say which)',
      );
  }

  /** The sink accepted a batch and will confirm it later (indexer acknowledgement). */
  batchAccepted(tenant: string, n: number): void {
    this.#batches.inc({ outcome: 'accepted' });
    this.log.debug({ tenant, events: n }, 'batch accepted; waiting for its acknowledgement');
  }
}

/** `misconfigured`: the sink answered in a way only its config can fix (a redirect); the tenant is held. */
export type SinkState = 'ok' | 'retrying' | 'auth_failed' | 'misconfigured';

/** A short, stable reason for an error: its code and message, never a stack. */
function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
