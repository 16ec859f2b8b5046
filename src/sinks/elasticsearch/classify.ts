// Pure classification of an Elasticsearch/OpenSearch `_bulk` answer into a SinkOutcome, item by item.
//
// Reference (response body `{"took","errors","items":[{"create":{"_index","_id","status","error":{"type",
// "reason"}}}]}`, items in request order, one per action; `errors: true` when any item failed; the
// success or failure of one item does not affect the others):
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html#bulk-api-response-body
// Error body of a whole-request failure `{"error":{"type","reason",…},"status":n}`:
//   https://www.elastic.co/docs/api/doc/elasticsearch/
//
// Whole request (first match wins; "retry" always honours Retry-After):
//   2xx, a bulk answer with one item per event sent → per item, below
//   2xx, anything else (not JSON, no `items` array, a count that differs, an item without an integer
//        status or with another event's _id, a body cut off) → retry: it proves nothing was indexed
//   401/403 → auth_failed (delivery applies onAuthFailure)
//   408, 429, 5xx → retry
//   413 → retry, the reason saying to lower maxRequestBytes (no request is split on a 413: the limit is a
//        setting, and a request is only as large as it allows)
//   other 4xx → retry with the reason: a malformed request, a wrong URL or content type is the sink's or
//        the server's configuration, never the events'
//   3xx → retry, misconfigured (redirects are never followed); anything else → retry
// Per item:
//   2xx → delivered
//   409 version_conflict_engine_exception → delivered: `create` found the _id already indexed (a redelivery
//        after a crash or a lost answer)
//   408, 429, 5xx, and any item without a usable verdict (409 of another type, 1xx/3xx) → retried
//   401/403 (security_exception, cluster_block_exception), 404 (index_not_found_exception), the types in
//        CONFIG_TYPES, and a missing ingest pipeline → retried with the reason: the index, the permissions
//        or the pipeline are configuration, and configuration must never dead-letter security events;
//        when every item fails with 401/403 the outcome is auth_failed, when every item fails with one of
//        these the outcome is a retry marked misconfigured (delivery holds the tenant)
//   other 4xx (mapper_parsing_exception, document_parsing_exception, illegal_argument_exception…) → that
//        event is dead-lettered with `<error.type>: <error.reason>`
// A `200` whose `errors` is true is never taken as success by itself: only the items decide, and a
// redelivered batch (all 409) is delivered although `errors` is true.
import type { SinkOutcome } from '../types.js';
import {
  isRetryableStatus,
  parseRetryAfter,
  sanitizeReason,
  statusReason,
  type HttpResponseInfo,
} from '../transport/response.js';

export interface BulkClassifyOptions {
  /** Current time for HTTP-date Retry-After values. */
  readonly now?: number;
  /** Secret values (credentials) to scrub from anything the server sent back. */
  readonly secrets?: readonly string[];
}

/** Item error types that name the sink's configuration (index, permissions, cluster state), not the event. */
const CONFIG_TYPES = new Set([
  'index_not_found_exception',
  'invalid_index_name_exception',
  'index_closed_exception',
  'security_exception',
  'cluster_block_exception',
  'no_such_remote_cluster_exception',
  // "this action would add [N] shards, but this cluster currently has [x]/[x] maximum shards open": with an
  // index per tenant, every new tenant's events would otherwise be dead-lettered once the cluster is full.
  'validation_exception',
]);
/**
 * The illegal_argument_exceptions that are configuration: `pipeline` names no ingest pipeline; the index is an
 * alias with no write index.
 */
const CONFIG_REASONS = [/^pipeline with id \[.*\] does not exist$/, /^no write index is defined for alias/];

interface ItemVerdict {
  readonly status: number;
  readonly type: string | undefined;
  readonly reason: string | undefined;
}

/** The items of a bulk answer for `count` events, or why the body is not one. */
function readItems(body: Buffer, sentIds: readonly string[]): ItemVerdict[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return 'a body that is not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return 'a body that is not a bulk answer';
  const items = (doc as { items?: unknown }).items;
  if (!Array.isArray(items)) return 'a body without an "items" array';
  if (items.length !== sentIds.length) {
    return `${items.length} items for the ${sentIds.length} events sent`;
  }
  const out: ItemVerdict[] = [];
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    const entries = typeof item === 'object' && item !== null ? Object.values(item) : [];
    const result = entries.length === 1 ? (entries[0] as unknown) : undefined;
    if (typeof result !== 'object' || result === null) return `item ${i} is not an action result`;
    const r = result as Record<string, unknown>;
    if (typeof r.status !== 'number' || !Number.isInteger(r.status)) return `item ${i} has no integer status`;
    if (r._id !== undefined && r._id !== sentIds[i]) return `item ${i} answers for another _id`;
    const error = typeof r.error === 'object' && r.error !== null ? (r.error as Record<string, unknown>) : {};
    out.push({
      status: r.status,
      type: typeof error.type === 'string' ? error.type : undefined,
      reason: typeof error.reason === 'string' ? error.reason : undefined,
    });
  }
  return out;
}

function itemReason(v: ItemVerdict, secrets: readonly string[]): string {
  const text = [v.type, v.reason].filter((s) => s !== undefined).join(': ');
  const safe = sanitizeReason(text, secrets);
  return safe ? `item ${v.status} ${safe}` : `item ${v.status}`;
}

type ItemClass = 'delivered' | 'retry' | 'auth' | 'config' | 'reject';

function classOf(v: ItemVerdict): ItemClass {
  const { status, type } = v;
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 409) return type === 'version_conflict_engine_exception' ? 'delivered' : 'retry';
  if (isRetryableStatus(status)) return 'retry';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || (type !== undefined && CONFIG_TYPES.has(type))) return 'config';
  const reason = v.reason;
  if (
    type === 'illegal_argument_exception' &&
    reason !== undefined &&
    CONFIG_REASONS.some((r) => r.test(reason))
  ) {
    return 'config';
  }
  if (status >= 400 && status <= 499) return 'reject';
  return 'retry';
}

/** Maps one answer to POST /_bulk (sentIds: the request's event ids in body order). */
export function classifyBulkResponse(
  res: HttpResponseInfo,
  sentIds: readonly string[],
  opts: BulkClassifyOptions = {},
): SinkOutcome {
  const { status } = res;
  const secrets = opts.secrets ?? [];
  const after = parseRetryAfter(res.headers['retry-after'], opts.now ?? Date.now());
  const retry = (reason: string, st: number = status): SinkOutcome =>
    after === undefined
      ? { kind: 'retry', status: st, reason }
      : { kind: 'retry', status: st, reason, retryAfterMs: after };

  if (status >= 200 && status <= 299) {
    const items = res.bodyTruncated ? 'a body too large to read whole' : readItems(res.body, sentIds);
    if (typeof items === 'string') {
      const text = sanitizeReason(res.body.toString('utf8'), secrets);
      return retry(`HTTP ${status} with ${items}: ${text || '-'}`);
    }
    const retried: string[] = [];
    const rejected: { id: string; status: number; reason: string }[] = [];
    let firstRetry: ItemVerdict | undefined;
    let auth = 0;
    let config = 0;
    for (let i = 0; i < items.length; i++) {
      const v = items[i]!;
      const id = sentIds[i]!;
      const cls = classOf(v);
      if (cls === 'delivered') continue;
      if (cls === 'reject') {
        rejected.push({ id, status: v.status, reason: itemReason(v, secrets) });
        continue;
      }
      if (cls === 'auth') auth++;
      if (cls === 'config') config++;
      firstRetry ??= v;
      retried.push(id);
    }
    if (retried.length === 0 && rejected.length === 0) return { kind: 'delivered' };
    if (retried.length === sentIds.length) {
      const reason = itemReason(firstRetry!, secrets);
      const st = firstRetry!.status;
      if (auth === sentIds.length) return { kind: 'auth_failed', status: st, reason };
      // Nothing got in because of the configuration (no such index, blocked, no pipeline): hold the tenant.
      if (auth + config === sentIds.length) {
        return {
          kind: 'retry',
          status: st,
          reason: `every item failed, first: ${reason}`,
          misconfigured: true,
        };
      }
      return retry(`every item failed, first: ${reason}`, st);
    }
    // An id sent twice in one request (never from a lease) is retried if any copy must be: at-least-once.
    const again = new Set(retried);
    const partial: SinkOutcome = {
      kind: 'partial',
      retry: retried,
      rejected: rejected.filter((r) => !again.has(r.id)),
    };
    return after === undefined ? partial : { ...partial, retryAfterMs: after };
  }

  if (status === 401 || status === 403) {
    return { kind: 'auth_failed', status, reason: statusReason(status, res.body, secrets) };
  }
  if (isRetryableStatus(status)) return retry(statusReason(status, res.body, secrets));
  if (status >= 400 && status <= 499) {
    const hint =
      status === 413
        ? ' — request larger than the server accepts (http.max_content_length, or a proxy limit): lower maxRequestBytes'
        : status === 404
          ? ' — no _bulk endpoint at this URL'
          : '';
    return retry(`${statusReason(status, res.body, secrets)}${hint}`);
  }
  // A redirect is not followed: a configuration error of the sink, which holds the tenant.
  if (status >= 300 && status <= 399) {
    return { kind: 'retry', status, reason: `unexpected HTTP ${status}`, misconfigured: true };
  }
  return retry(`unexpected HTTP ${status}`);
}
