// The elasticsearch sink (Elasticsearch or OpenSearch): batches as `_bulk` requests of `create` actions, one
// index per tenant, each event's stable id as `_id` so a redelivery is refused as a duplicate (409).
// Reference: https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
import { inspect } from 'node:util';
import { HttpBatchSink, MAX_ERROR_BODY_BYTES, bodiesOf, type EncodedBatch } from '../transport/batch-sink.js';
import { HttpTransport, type HttpRequest } from '../transport/http.js';
import type { HttpResponseInfo } from '../transport/response.js';
import { splitIntoRequests } from '../transport/split.js';
import type { SinkBatch, SinkEvent, SinkOutcome } from '../types.js';
import { classifyBulkResponse } from './classify.js';
import {
  resolveElasticsearchSettings,
  type ElasticsearchSettings,
  type ElasticsearchSinkConfig,
} from './config.js';
import { BULK_FRAMING, encodeBulkItem } from './encode.js';
import { indexNameFor } from './index-name.js';

/**
 * Bytes of a bulk answer read per item sent (plus MAX_ERROR_BODY_BYTES): an item is a few hundred bytes, an
 * error item with its cause chain a few KiB. The verdict is in the body, so a success must be read whole; a
 * body past this is retried as unreadable.
 */
const ANSWER_BYTES_PER_ITEM = 8 * 1024;

export class ElasticsearchSink extends HttpBatchSink {
  readonly type = 'elasticsearch';
  readonly settings: ElasticsearchSettings;

  constructor(cfg: ElasticsearchSinkConfig) {
    const settings = resolveElasticsearchSettings(cfg);
    super(
      new HttpTransport({
        url: settings.url,
        timeoutMs: settings.timeoutMs,
        maxConnections: settings.maxConnections,
        caFile: settings.caFile,
        sinkType: 'elasticsearch',
      }),
      { limits: settings.limits, onAuthFailure: cfg.onAuthFailure, gzip: settings.gzip },
    );
    this.settings = settings;
  }

  /** The index a tenant's events go to. */
  indexOf(tenant: string): string {
    return indexNameFor(this.settings.index, tenant);
  }

  protected encode(batch: SinkBatch): EncodedBatch {
    // A lease holds one tenant; events built by hand may mix them, so the index is per event (cached).
    const names = new Map<string, string>();
    const indexOf = (e: SinkEvent): string => {
      let name = names.get(e.tenant);
      if (name === undefined) names.set(e.tenant, (name = this.indexOf(e.tenant)));
      return name;
    };
    return bodiesOf(
      splitIntoRequests(batch.events(), (e) => encodeBulkItem(e, indexOf(e)), BULK_FRAMING, this.limits),
    );
  }

  protected request(): Omit<HttpRequest, 'body'> {
    return {
      method: 'POST',
      path: this.settings.bulkPath,
      headers: { 'content-type': 'application/x-ndjson' },
    };
  }

  protected override authorize(): Promise<Record<string, string>> {
    const auth = this.settings.authorization;
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth.reveal();
    return Promise.resolve(headers);
  }

  protected override secrets(): readonly string[] {
    return this.settings.secrets;
  }

  /** A success's verdict is in its body (per item): read it whole, within a bound that grows with the items. */
  protected override readLimit(status: number): number {
    if (status < 200 || status > 299) return MAX_ERROR_BODY_BYTES;
    return MAX_ERROR_BODY_BYTES + this.limits.maxEvents * ANSWER_BYTES_PER_ITEM;
  }

  protected classify(res: HttpResponseInfo, ids: () => readonly string[]): SinkOutcome {
    return classifyBulkResponse(res, ids(), { secrets: this.secrets() });
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `ElasticsearchSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
