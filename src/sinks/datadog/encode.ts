// Datadog logs intake v2 bodies: a JSON array of log entries, one per event. Pure.
//
// Reference (body = array of {ddsource, ddtags, hostname, message, service}, more string attributes allowed;
// limits 5 MB per request uncompressed, 1 MB per log, 1000 logs per array):
//   https://docs.datadoghq.com/api/latest/logs/send-logs/
// Tag rules (start with a letter; letters, digits, `_ - : . /`, anything else becomes `_`; contiguous `_`
// reduced to one, a trailing `_` removed; at most 200 characters; lowercased):
//   https://docs.datadoghq.com/getting_started/tagging/
//   https://docs.datadoghq.com/developers/guide/what-best-practices-are-recommended-for-naming-metrics-and-tags/
//
// Entry, keys in this order: {"ddsource","ddtags","hostname"?,"service","message","event_id"}.
// - `message` is the producer's event as a JSON string (its UTF-8 text, escaped once): Datadog parses a JSON
//   message into attributes, so the event's fields (iclFields.event, tenantId…) become searchable as sent.
// - `event_id` is the stable event id as a top-level attribute: a resend (at-least-once) carries the same id,
//   so duplicates can be found by `@event_id`. It is not a tag: Datadog advises against unbounded tag values.
// - `ddtags` is the configured tags plus `tenant:<tenant>`, made safe by the tag rules above.
// - No timestamp attribute: the intake accepts timestamps only up to 18 hours in the past, so a backlog after
//   a long outage would be refused or misdated; Datadog stamps arrival, and `timestampMillis` stays in the
//   message.
import { createHash } from 'node:crypto';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { BodyFraming } from '../transport/split.js';
import type { SinkEvent } from '../types.js';

/** The body is one JSON array of entries. */
export const DATADOG_FRAMING: BodyFraming = Object.freeze({
  prefix: Buffer.from('['),
  separator: Buffer.from(','),
  suffix: Buffer.from(']'),
});

/** Longest tag Datadog keeps. */
export const MAX_TAG_CHARS = 200;

export interface DatadogEntryOptions {
  readonly source: string;
  readonly service: string;
  readonly hostname?: string;
  /** Configured tags, as written. */
  readonly tags: readonly string[];
}

/** Entry options resolved once: tags made safe, the constant parts of every entry pre-rendered. */
export interface DatadogEncodeOptions extends DatadogEntryOptions {
  /** `{"ddsource":…,"ddtags":"<configured tags>` up to where the tenant tag goes. */
  readonly head: string;
  /** `","hostname":…,"service":…,"message":` after the tenant tag. */
  readonly middle: string;
}

/**
 * One tag made safe by Datadog's rules: lowercased, characters outside letters, digits and `_ - : . /` (and
 * the `,` that separates ddtags) turned into `_`, runs of `_` made one, a trailing `_` removed, cut at 200.
 * Whether it starts with a letter is the caller's concern (tenantTag always does).
 */
export function sanitizeTag(tag: string): string {
  const t = tag
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\-:./]/gu, '_')
    .replace(/_+/g, '_');
  // Cut by code points, so no surrogate pair is split; then drop the trailing underscore the cut may expose.
  return [...t].slice(0, MAX_TAG_CHARS).join('').replace(/_+$/, '');
}

/**
 * `tenant:<tenant>`, safe by the tag rules (the exact tenant id is in the message's tenantId). A tenant id the
 * rules change gets a hash of itself appended (`tenant:acme_corp-h<12 hex>`); one with nothing a tag can keep
 * becomes `tenant:unrepresentable-h<12 hex>` (a tag cannot end with ":").
 */
export function tenantTag(tenant: string): string {
  // A tag cannot end with ":" either; stripping ":" may expose a "_", so both go together.
  const tag = sanitizeTag(`tenant:${tenant}`).replace(/[:_]+$/, '');
  // Kept as it is only when nothing had to change and it cannot pass for another tenant's hashed tag; else a
  // hash of the exact id is added, so two tenants ("Acme" and "acme", "a b" and "a_b") never share a tag.
  if (tag === `tenant:${tenant}` && !HASHED_SUFFIX.test(tenant)) return tag;
  const hash = createHash('sha256').update(tenant, 'utf8').digest('hex').slice(0, 12);
  const base = tag === 'tenant' ? 'tenant:unrepresentable' : tag;
  const room = MAX_TAG_CHARS - HASH_SUFFIX_CHARS;
  return `${[...base]
    .slice(0, room)
    .join('')
    .replace(/[:_]+$/, '')}-h${hash}`;
}

/** `-h` and 12 hex digits: what tenantTag adds to a tenant id it had to change. */
const HASHED_SUFFIX = /-h[0-9a-f]{12}$/;
const HASH_SUFFIX_CHARS = 14;

/** Checks and pre-renders entry options; throws LogdriverError(SINK_CONFIG) for a tag Datadog cannot take. */
export function entryMetaOf(opts: DatadogEntryOptions): DatadogEncodeOptions {
  const tags = opts.tags.map((raw) => {
    const tag = sanitizeTag(raw);
    if (!/^\p{L}/u.test(tag)) {
      throw new LogdriverError(
        ErrorCodes.SINK_CONFIG,
        `datadog sink: tag ${JSON.stringify(raw)} must start with a letter (Datadog's tag rules)`,
      );
    }
    if (tag.endsWith(':')) {
      throw new LogdriverError(
        ErrorCodes.SINK_CONFIG,
        `datadog sink: tag ${JSON.stringify(raw)} ends with ":"`,
      );
    }
    return tag;
  });
  // The ddtags string is JSON-escaped as a whole; sanitized tags hold no quote or backslash, so splicing the
  // tenant tag into it stays valid JSON (asserted by the property tests).
  const configured = tags.map((t) => `${t},`).join('');
  const head = `{"ddsource":${JSON.stringify(opts.source)},"ddtags":"${configured}`;
  let middle = '"';
  if (opts.hostname !== undefined) middle += `,"hostname":${JSON.stringify(opts.hostname)}`;
  middle += `,"service":${JSON.stringify(opts.service)},"message":`;
  return Object.freeze({
    source: opts.source,
    service: opts.service,
    ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
    tags: Object.freeze(tags),
    head,
    middle,
  });
}

// A batch is one tenant's: its tag is computed once per options object and tenant, not per event.
const lastTenant = new WeakMap<DatadogEncodeOptions, { tenant: string; tag: string }>();

function tagOf(opts: DatadogEncodeOptions, tenant: string): string {
  const last = lastTenant.get(opts);
  if (last?.tenant === tenant) return last.tag;
  const tag = tenantTag(tenant);
  lastTenant.set(opts, { tenant, tag });
  return tag;
}

/** One entry of the array (no separator): the payload's text as `message`, the id as `event_id`. */
export function encodeDatadogEntry(event: SinkEvent, opts: DatadogEncodeOptions): Buffer {
  const message = JSON.stringify(event.payload.toString('utf8'));
  return Buffer.from(
    `${opts.head}${tagOf(opts, event.tenant)}${opts.middle}${message},"event_id":${JSON.stringify(event.id)}}`,
    'utf8',
  );
}
