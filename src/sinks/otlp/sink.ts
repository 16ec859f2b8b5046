// The otlp sink: batches of LogRecords as OTLP/HTTP JSON ExportLogsServiceRequests to POST /v1/logs.
// Reference: https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#otlphttp
import { inspect } from 'node:util';
import { HttpBatchSink, MAX_ERROR_BODY_BYTES, bodiesOf, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import { splitIntoRequests, type BodyFraming } from '../transport/split.js';
import type { SinkBatch, SinkOutcome } from '../types.js';
import { classifyOtlpResponse } from './classify.js';
import {
  otlpSecrets,
  renderOtlpHeaders,
  resolveOtlpSettings,
  type OtlpSettings,
  type OtlpSinkConfig,
} from './config.js';
import { encodeLogRecord, exportRequestFraming } from './encode.js';

/**
 * Records receivers refused inside accepted requests (partialSuccess). They are not retried (the spec forbids
 * it) and no event id is known for them, so they cannot be dead-lettered: this tally is where they show.
 */
export interface ReceiverRejections {
  /** Answers that carried a partialSuccess with rejectedLogRecords > 0. */
  readonly answers: number;
  /** Sum of rejectedLogRecords. */
  readonly records: number;
  /** Answers with a partialSuccess warning only (0 rejected, a message). */
  readonly warnings: number;
  /** The last errorMessage, sanitized. */
  readonly lastMessage: string | undefined;
}

export class OtlpSink extends HttpBatchSink {
  readonly type = 'otlp';
  readonly settings: OtlpSettings;
  readonly #framing: BodyFraming;
  readonly #secrets: readonly string[];
  #rejections: ReceiverRejections = { answers: 0, records: 0, warnings: 0, lastMessage: undefined };

  constructor(cfg: OtlpSinkConfig, host?: () => string) {
    const settings = resolveOtlpSettings(cfg, host);
    super(
      new HttpTransport({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'otlp',
      }),
      { limits: settings.limits, onAuthFailure: cfg.onAuthFailure, gzip: settings.gzip },
    );
    this.settings = settings;
    this.#framing = exportRequestFraming(settings.encode);
    this.#secrets = Object.freeze(otlpSecrets(settings));
  }

  /** What receivers reported refusing in accepted requests, since the sink was built. */
  get receiverRejections(): ReceiverRejections {
    return this.#rejections;
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    const opts = this.settings.encode;
    return bodiesOf(
      splitIntoRequests(batch.events(), (e) => encodeLogRecord(e, opts), this.#framing, this.limits),
    );
  }

  protected request(): Omit<HttpRequest, 'body'> {
    return {
      method: 'POST',
      path: this.settings.path,
      headers: { ...renderOtlpHeaders(this.settings), 'content-type': 'application/json' },
    };
  }

  protected override secrets(): readonly string[] {
    return this.#secrets;
  }

  /** A 200 may carry a partialSuccess, so every answer is read (bounded). */
  protected override readLimit(): number {
    return MAX_ERROR_BODY_BYTES;
  }

  protected classify(res: HttpResponseInfo, ids: () => readonly string[]): SinkOutcome {
    const { outcome, partialSuccess } = classifyOtlpResponse(res, ids(), { secrets: this.#secrets });
    if (partialSuccess) {
      const r = this.#rejections;
      const rejected = partialSuccess.rejectedLogRecords;
      this.#rejections = Object.freeze({
        answers: r.answers + (rejected > 0 ? 1 : 0),
        records: r.records + rejected,
        warnings: r.warnings + (rejected > 0 ? 0 : 1),
        lastMessage: partialSuccess.errorMessage || r.lastMessage,
      });
      // Delivery counts and logs them (logdriver_delivery_receiver_dropped_events_total); never retried.
      if (rejected > 0 && outcome.kind === 'delivered') {
        const message = partialSuccess.errorMessage || '(no message)';
        return { kind: 'delivered', receiverDropped: { count: rejected, message } };
      }
    }
    return outcome;
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `OtlpSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
