// The datadog sink: batches of log entries, one JSON array per request, to the logs intake v2
// (POST /api/v2/logs, `DD-API-KEY`), split within the intake's limits. The intake answers per request, never
// per log, so a 400 for a request of several logs is narrowed down by resending halves until the refused logs
// stand alone: only those are dead-lettered.
// Reference: https://docs.datadoghq.com/api/latest/logs/send-logs/
import { inspect } from 'node:util';
import { batchOf } from '../envelope.js';
import { HttpBatchSink, MAX_ERROR_BODY_BYTES, bodiesOf, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import { splitIntoRequests } from '../transport/split.js';
import type { SinkBatch, SinkEvent, SinkOutcome } from '../types.js';
import { classifyDatadogResponse } from './classify.js';
import { resolveDatadogSettings, type DatadogSettings, type DatadogSinkConfig } from './config.js';
import { DATADOG_FRAMING, encodeDatadogEntry } from './encode.js';

/**
 * Most extra requests one send spends narrowing down 400s. One refused log among 1000 takes about 20 (two per
 * halving); logs still undecided past this are retried, never dead-lettered on suspicion.
 */
export const MAX_ISOLATION_REQUESTS = 64;

type Rejection = { readonly id: string; readonly status?: number; readonly reason: string };

/** What a send has settled so far: ids to retry and to dead-letter; every other id is delivered. */
interface Verdicts {
  readonly retry: string[];
  readonly rejected: Rejection[];
  retryAfterMs: number | undefined;
  /** Requests left for isolation. */
  budget: number;
  /** A request failed as a whole (retry, auth): later ones would fail alike, so none is sent. */
  stopped: boolean;
}

const isRefusal = (r: { readonly status?: number }): boolean => r.status === 400;

export class DatadogSink extends HttpBatchSink {
  readonly type = 'datadog';
  readonly settings: DatadogSettings;

  constructor(cfg: DatadogSinkConfig) {
    const settings = resolveDatadogSettings(cfg);
    super(
      new HttpTransport({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'datadog',
      }),
      { limits: settings.limits, onAuthFailure: cfg.onAuthFailure, gzip: settings.gzip },
    );
    this.settings = settings;
  }

  override async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    const outcome = await super.send(batch, signal);
    // Ids the intake refused with a 400 in requests of several logs: which of them is bad is unknown.
    let refused: string[];
    let v: Verdicts;
    const fresh = { retryAfterMs: undefined, budget: MAX_ISOLATION_REQUESTS, stopped: false };
    if (outcome.kind === 'rejected' && isRefusal(outcome)) {
      refused = batch.events().map((e) => e.id);
      v = { retry: [], rejected: [], ...fresh };
    } else if (outcome.kind === 'partial') {
      refused = outcome.rejected.filter(isRefusal).map((r) => r.id);
      v = {
        retry: [...outcome.retry],
        rejected: outcome.rejected.filter((r) => !isRefusal(r)),
        ...fresh,
        retryAfterMs: outcome.retryAfterMs,
      };
    } else {
      return outcome;
    }
    if (refused.length < 2) return outcome;
    const reasons = new Map<string, string>(
      outcome.kind === 'partial'
        ? outcome.rejected.map((r) => [r.id, r.reason])
        : refused.map((id) => [id, outcome.kind === 'rejected' ? outcome.reason : ''] as const),
    );
    const wanted = new Set(refused);
    const events = batch.events().filter((e) => wanted.has(e.id));
    await this.#isolate(events, reasons.get(events[0]!.id) ?? 'HTTP 400', batch.tenant, v, signal);
    if (v.retry.length === 0 && v.rejected.length === 0) return { kind: 'delivered' };
    // Every log refused alone: the batch is rejected as a whole, as a single request's 400 would be.
    if (v.retry.length === 0 && v.rejected.length === batch.count && v.rejected.every(isRefusal)) {
      return { kind: 'rejected', status: 400, reason: v.rejected[0]!.reason };
    }
    return v.retryAfterMs === undefined
      ? { kind: 'partial', retry: v.retry, rejected: v.rejected }
      : { kind: 'partial', retry: v.retry, rejected: v.rejected, retryAfterMs: v.retryAfterMs };
  }

  /**
   * `events` were refused together with `reason` (a 400): a lone one is dead-lettered with it, more are sent
   * again in halves, in order, each half settled by its own answer.
   */
  async #isolate(
    events: readonly SinkEvent[],
    reason: string,
    tenant: string,
    v: Verdicts,
    signal: AbortSignal,
  ): Promise<void> {
    if (events.length === 1) {
      v.rejected.push({ id: events[0]!.id, status: 400, reason });
      return;
    }
    const mid = Math.ceil(events.length / 2);
    for (const half of [events.slice(0, mid), events.slice(mid)]) {
      if (v.stopped || v.budget <= 0) {
        v.retry.push(...half.map((e) => e.id));
        continue;
      }
      v.budget--;
      const out = await super.send(batchOf(half, tenant), signal);
      switch (out.kind) {
        case 'delivered':
          break;
        case 'rejected':
          if (isRefusal(out)) await this.#isolate(half, out.reason, tenant, v, signal);
          else for (const e of half) v.rejected.push({ id: e.id, status: out.status, reason: out.reason });
          break;
        case 'partial': {
          v.retry.push(...out.retry);
          v.rejected.push(...out.rejected.filter((r) => !isRefusal(r)));
          if (out.retryAfterMs !== undefined) v.retryAfterMs = out.retryAfterMs;
          const bad = new Map(out.rejected.filter(isRefusal).map((r) => [r.id, r.reason]));
          const again = half.filter((e) => bad.has(e.id));
          if (again.length > 0) await this.#isolate(again, bad.get(again[0]!.id)!, tenant, v, signal);
          break;
        }
        case 'retry':
        case 'auth_failed':
        case 'accepted': // never answered by this sink (no deferred acks); kept safe all the same
          v.retry.push(...half.map((e) => e.id));
          if (out.kind === 'retry' && out.retryAfterMs !== undefined) v.retryAfterMs = out.retryAfterMs;
          v.stopped = true;
          break;
      }
    }
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    const opts = this.settings.encode;
    return bodiesOf(
      splitIntoRequests(batch.events(), (e) => encodeDatadogEntry(e, opts), DATADOG_FRAMING, this.limits),
    );
  }

  protected request(): Omit<HttpRequest, 'body'> {
    return { method: 'POST', path: this.settings.path, headers: { 'content-type': 'application/json' } };
  }

  protected override authorize(): Promise<Record<string, string>> {
    return Promise.resolve({ 'dd-api-key': this.settings.apiKey.reveal() });
  }

  protected override secrets(): readonly string[] {
    return [this.settings.apiKey.reveal()];
  }

  /** A success is read too: only the intake's `{}` (or nothing) proves the logs reached it. */
  protected override readLimit(): number {
    return MAX_ERROR_BODY_BYTES;
  }

  protected classify(res: HttpResponseInfo): SinkOutcome {
    return classifyDatadogResponse(res, { secrets: this.secrets() });
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `DatadogSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
