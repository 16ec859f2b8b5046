// A scripted Sink for delivery tests: answers each send as its script says and records every call.
import { UNBOUNDED_LIMITS } from '../../src/sinks/descriptor.js';
import type {
  AuthFailurePolicy,
  DeferredAckSettings,
  PayloadLimits,
  Sink,
  SinkBatch,
  SinkEvent,
  SinkOutcome,
} from '../../src/sinks/types.js';

export interface SendCall {
  /** 0-based number of the call on this sink. */
  readonly n: number;
  readonly tenant: string;
  readonly ids: readonly string[];
  /** The batch decoded when the send began (a lease may shrink later; this does not). */
  readonly events: readonly SinkEvent[];
  /** A copy of the batch's NDJSON lines when the send began: the bytes an NDJSON sink would have sent. */
  readonly ndjson: Buffer;
  /** performance.now() when the send began and when it settled. */
  readonly startedAt: number;
  /** Date.now() when the send began (to compare with receivedAt and nextAttemptAt). */
  readonly wallTime: number;
  endedAt?: number;
  /** What the script answered: an outcome, or 'threw' (rejections and aborts included). */
  result?: SinkOutcome | 'threw';
}

/** `events` is batch.events(), decoded once per call; the batch itself comes last, for scripts needing it. */
export type SinkScript = (
  events: readonly SinkEvent[],
  signal: AbortSignal,
  call: number,
  batch: SinkBatch,
) => SinkOutcome | Promise<SinkOutcome>;

export class ScriptedSink implements Sink {
  readonly type: string;
  /** Settable by a test: what delivery must claim within. */
  limits: PayloadLimits = UNBOUNDED_LIMITS;
  onAuthFailure: AuthFailurePolicy = 'retry';
  /** Set (with `confirm`) to script a sink that acknowledges later. */
  deferred?: DeferredAckSettings;
  confirm?: (tenant: string, tokens: readonly string[], signal: AbortSignal) => Promise<ReadonlySet<string>>;
  readonly calls: SendCall[] = [];
  #script: SinkScript;
  #inFlight = 0;
  /** The most sends this sink ever had running at once. */
  maxInFlight = 0;
  closed = false;

  constructor(script: SinkScript = () => ({ kind: 'delivered' }), type = 'fake') {
    this.#script = script;
    this.type = type;
  }

  /** Replaces the script (for the calls to come). */
  set script(script: SinkScript) {
    this.#script = script;
  }

  async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    const events = batch.events();
    const call: SendCall = {
      n: this.calls.length,
      tenant: batch.tenant,
      ids: events.map((e) => e.id),
      events: [...events],
      ndjson: Buffer.from(batch.ndjson()),
      startedAt: performance.now(),
      wallTime: Date.now(),
    };
    this.calls.push(call);
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    try {
      const outcome = await this.#script(call.events, signal, call.n, batch);
      call.result = outcome;
      return outcome;
    } catch (err) {
      call.result = 'threw';
      throw err;
    } finally {
      this.#inFlight--;
      call.endedAt = performance.now();
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Ids this sink acknowledged: whole 'delivered' batches and the unnamed rest of 'partial' ones. */
  acknowledged(): string[] {
    const out: string[] = [];
    for (const c of this.calls) {
      if (c.result === undefined || c.result === 'threw') continue;
      if (c.result.kind === 'delivered') out.push(...c.ids);
      else if (c.result.kind === 'partial') {
        const named = new Set([...c.result.retry, ...c.result.rejected.map((r) => r.id)]);
        out.push(...c.ids.filter((id) => !named.has(id)));
      }
    }
    return out;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A send that never answers: it only ends, by throwing the abort reason, when `signal` is aborted. */
export function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
