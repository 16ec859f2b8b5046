// The splunk_hec sink: batches of HEC event envelopes to POST /services/collector/event, and with useAck the
// indexer acknowledgement protocol (a request channel per tenant, ackIds, POST /services/collector/ack).
// Reference: https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/about-http-event-collector-indexer-acknowledgment
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { HttpBatchSink, MAX_ERROR_BODY_BYTES, bodiesOf, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import { splitIntoRequests } from '../transport/split.js';
import type { SinkBatch, SinkOutcome } from '../types.js';
import { classifyHecResponse, parseAckResponse } from './classify.js';
import { resolveSplunkHecSettings, type SplunkHecSettings, type SplunkHecSinkConfig } from './config.js';
import { HEC_FRAMING, encodeAckRequest, encodeHecEvent } from './encode.js';

/** Most ackIds asked about in one ack query: a lane with many pending batches polls in several requests. */
const MAX_ACKS_PER_QUERY = 1000;
/** A token of a split batch joins its requests' ackIds with this. */
const TOKEN_SEPARATOR = ',';
/** Confirmed ackIds remembered per tenant while their batches are incomplete (see confirm). */
const MAX_REMEMBERED_ACKS = 10_000;

export class SplunkHecSink extends HttpBatchSink {
  readonly type = 'splunk_hec';
  readonly settings: SplunkHecSettings;
  /** One request channel per tenant: ackIds are numbered per channel, and a lane polls only its own. */
  readonly #channels = new Map<string, string>();
  /** AckIds HEC reported indexed whose batch (token) is not complete yet: HEC reports an ackId once. */
  readonly #indexed = new Map<string, Set<string>>();

  constructor(cfg: SplunkHecSinkConfig) {
    const settings = resolveSplunkHecSettings(cfg);
    super(
      new HttpTransport({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'splunk_hec',
      }),
      {
        limits: settings.limits,
        onAuthFailure: cfg.onAuthFailure,
        gzip: settings.gzip,
        ...(settings.deferred ? { deferred: settings.deferred } : {}),
      },
    );
    this.settings = settings;
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    const opts = this.settings.encode;
    return bodiesOf(
      splitIntoRequests(batch.events(), (e) => encodeHecEvent(e, opts), HEC_FRAMING, this.limits),
    );
  }

  protected request(batch: SinkBatch): Omit<HttpRequest, 'body'> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.settings.useAck) headers['x-splunk-request-channel'] = this.#channel(batch.tenant);
    return { method: 'POST', path: this.settings.eventPath, headers };
  }

  protected override authorize(): Promise<Record<string, string>> {
    return Promise.resolve({ authorization: `Splunk ${this.settings.token.reveal()}` });
  }

  protected override secrets(): readonly string[] {
    return [this.settings.token.reveal()];
  }

  /** Every HEC answer is a small JSON document that matters (success carries the ackId). */
  protected override readLimit(): number {
    return MAX_ERROR_BODY_BYTES;
  }

  protected classify(res: HttpResponseInfo, ids: () => readonly string[]): SinkOutcome {
    return classifyHecResponse(res, ids(), { useAck: this.settings.useAck, secrets: this.secrets() });
  }

  /**
   * Which tokens (each the ackIds of one batch) HEC now reports indexed, asked on the tenant's channel in
   * bounded queries. A query that fails throws: delivery asks again at its next poll.
   */
  async confirm(
    tenant: string,
    tokens: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlySet<string>> {
    const channel = this.#channel(tenant);
    const wanted = new Set(tokens.flatMap((t) => t.split(TOKEN_SEPARATOR)));
    let indexed = this.#indexed.get(tenant);
    if (!indexed) this.#indexed.set(tenant, (indexed = new Set()));
    // Confirmed ackIds are kept until their whole batch is (HEC reports each once), across calls for other
    // tokens of the tenant. Those of batches given up on (sent again after a timeout) are never asked for
    // again: past a bound the oldest go, so the set stays bounded.
    if (indexed.size > MAX_REMEMBERED_ACKS) {
      for (const id of indexed) {
        if (indexed.size <= MAX_REMEMBERED_ACKS / 2) break;
        if (!wanted.has(id)) indexed.delete(id);
      }
    }
    const ask = [...wanted].filter((id) => !indexed.has(id));
    for (let i = 0; i < ask.length; i += MAX_ACKS_PER_QUERY) {
      const exchange = await this.transport.exchange(
        {
          method: 'POST',
          path: this.settings.ackPath,
          headers: {
            'content-type': 'application/json',
            'x-splunk-request-channel': channel,
            ...(await this.authorize()),
          },
          body: encodeAckRequest(ask.slice(i, i + MAX_ACKS_PER_QUERY)),
        },
        signal,
        () => MAX_ERROR_BODY_BYTES,
        this.secrets(),
      );
      if (!exchange.ok) throw new Error(`ack query failed: ${exchange.outcome.reason}`);
      const answer = parseAckResponse(exchange.response);
      if (typeof answer === 'string') throw new Error(answer);
      for (const id of answer) indexed.add(id);
    }
    const done = new Set<string>();
    for (const token of tokens) {
      const ids = token.split(TOKEN_SEPARATOR);
      if (ids.every((id) => indexed.has(id))) {
        done.add(token);
        for (const id of ids) indexed.delete(id);
      }
    }
    if (indexed.size === 0) this.#indexed.delete(tenant);
    return done;
  }

  #channel(tenant: string): string {
    let channel = this.#channels.get(tenant);
    if (!channel) this.#channels.set(tenant, (channel = randomUUID()));
    return channel;
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `SplunkHecSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
