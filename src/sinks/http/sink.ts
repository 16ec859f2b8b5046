// The generic http sink: POSTs a batch's envelopes (NDJSON or a JSON array) and classifies the answer with
// the generic 207 protocol of classify.ts. Transport, splitting and re-sending come from transport/.
import { inspect } from 'node:util';
import { HttpBatchSink, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import type { SinkBatch, SinkOutcome } from '../types.js';
import { classifyResponse } from './classify.js';
import {
  renderHeaders,
  resolveHttpSettings,
  secretValues,
  type HttpSinkConfig,
  type HttpSinkSettings,
} from './config.js';
import { encodeRequests } from './encode.js';

/** A 207 body is read whole up to this size (one entry per failed event of a large batch). */
const MAX_MULTI_STATUS_BYTES = 16 * 1024 * 1024;

export class HttpSink extends HttpBatchSink {
  readonly type = 'http';
  /** Frozen settings; secret header values inside print as "[redacted]". */
  readonly settings: HttpSinkSettings;

  constructor(cfg: HttpSinkConfig) {
    const settings = resolveHttpSettings(cfg);
    super(
      new HttpTransport({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'http',
      }),
      { limits: settings.limits, onAuthFailure: cfg.onAuthFailure, gzip: settings.gzip },
    );
    this.settings = settings;
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    // The body may be the buffer's own bytes (a lease's lines, no copy): undici and gzip only read it, and
    // the lease, held until this send settles, keeps them unchanged.
    return encodeRequests(batch, this.settings.format, this.limits);
  }

  protected request(): Omit<HttpRequest, 'body'> {
    return { method: 'POST', path: this.settings.path, headers: renderHeaders(this.settings) };
  }

  protected override readLimit(status: number): number {
    if (status === 207) return MAX_MULTI_STATUS_BYTES;
    return super.readLimit(status);
  }

  protected override secrets(): readonly string[] {
    return secretValues(this.settings);
  }

  protected classify(res: HttpResponseInfo, ids: () => readonly string[]): SinkOutcome {
    // Ids only for a 207, the one answer that names events: decoding the batch costs a pass over it.
    return classifyResponse(res, { batchIds: ids, secrets: this.secrets() });
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `HttpSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
