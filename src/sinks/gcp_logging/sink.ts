// The gcp_logging sink: batches of LogEntry objects to Cloud Logging entries:write (v2) with partialSuccess,
// authorized by an OAuth 2.0 access token from the service account key (JWT bearer grant, RFC 7523).
// Reference: https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write
import { inspect } from 'node:util';
import { HttpBatchSink, bodiesOf, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import { splitIntoRequests } from '../transport/split.js';
import type { SinkBatch, SinkOutcome } from '../types.js';
import { ServiceAccountTokenSource } from './auth.js';
import { classifyEntriesWrite } from './classify.js';
import {
  GCP_LIMITS,
  resolveGcpLoggingSettings,
  type GcpLoggingSettings,
  type GcpLoggingSinkConfig,
} from './config.js';
import { encodeLogEntry, entriesWriteFraming } from './encode.js';
import type { BodyFraming } from '../transport/split.js';

/** Error answers may list one failure per entry of a large request: read them whole up to this. */
const MAX_ERROR_ANSWER_BYTES = 4 * 1024 * 1024;

export class GcpLoggingSink extends HttpBatchSink {
  readonly type = 'gcp_logging';
  readonly settings: GcpLoggingSettings;
  readonly #tokens: ServiceAccountTokenSource;
  readonly #tokenTransport: HttpTransport;
  readonly #framing: BodyFraming;
  /** The token the last request carried: scrubbed from answers, and forgotten when the API refuses it. */
  #lastToken: string | undefined;

  constructor(cfg: GcpLoggingSinkConfig) {
    const settings = resolveGcpLoggingSettings(cfg);
    const transport = (url: string) =>
      new HttpTransport({
        url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'gcp_logging',
      });
    super(transport(settings.writeUrl), {
      limits: GCP_LIMITS,
      onAuthFailure: cfg.onAuthFailure,
      gzip: settings.gzip,
    });
    this.settings = settings;
    this.#framing = entriesWriteFraming(settings.encode);
    const tokenUrl = new URL(settings.key.tokenUri);
    this.#tokenTransport = transport(settings.key.tokenUri);
    this.#tokens = new ServiceAccountTokenSource(settings.key, {
      post: async (_url, form, signal) => {
        const exchange = await this.#tokenTransport.exchange(
          {
            method: 'POST',
            path: `${tokenUrl.pathname}${tokenUrl.search}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: form,
          },
          signal,
          () => 64 * 1024,
        );
        if (!exchange.ok) throw new Error(`token endpoint: ${exchange.outcome.reason}`);
        return exchange.response;
      },
    });
  }

  /** Fetches the first access token, so the first batch does not wait for it (a failure is retried then). */
  async start(signal: AbortSignal): Promise<void> {
    await this.#tokens.token(signal);
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    const opts = this.settings.encode;
    return bodiesOf(
      splitIntoRequests(batch.events(), (e) => encodeLogEntry(e, opts), this.#framing, this.limits),
    );
  }

  protected request(): Omit<HttpRequest, 'body'> {
    return { method: 'POST', path: this.settings.writePath, headers: { 'content-type': 'application/json' } };
  }

  protected override async authorize(signal: AbortSignal): Promise<Record<string, string>> {
    const token = await this.#tokens.token(signal);
    this.#lastToken = token;
    return { authorization: `Bearer ${token}` };
  }

  protected override secrets(): readonly string[] {
    return this.#lastToken === undefined ? [] : [this.#lastToken];
  }

  protected override readLimit(status: number): number {
    return status >= 200 && status <= 299 ? 0 : MAX_ERROR_ANSWER_BYTES;
  }

  protected classify(res: HttpResponseInfo, ids: () => readonly string[]): SinkOutcome {
    const outcome = classifyEntriesWrite(res, ids(), { secrets: this.secrets() });
    // A refused token (revoked, expired early) is not asked for again: the next attempt gets a new one.
    // Only a refused token (401) is dropped; a 403 is the account's permissions, which a new token won't fix.
    if (outcome.kind === 'auth_failed' && outcome.status === 401) this.#tokens.invalidate(this.#lastToken);
    return outcome;
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), this.#tokenTransport.close()]);
  }

  toJSON(): { type: string; logName: string } {
    return { type: this.type, logName: this.settings.encode.logName };
  }

  [inspect.custom](): string {
    return `GcpLoggingSink { logName: ${JSON.stringify(this.settings.encode.logName)} }`;
  }
}
