// Elasticsearch/OpenSearch `_bulk` request bodies: per event a `create` action line and the document. Pure.
//
// Reference (NDJSON body, every line ending in "\n" including the last, `create` failing with 409 when the
// _id exists, Content-Type application/x-ndjson):
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html
//   https://docs.opensearch.org/latest/api-reference/document-apis/bulk/
//
// Each event is two lines:
//   {"create":{"_index":"<index>","_id":"<stable event id>"}}
//   {"@timestamp":"<ISO 8601>","logdriver":{"event_id":…,"tenant":…,"received_at":"<ISO 8601>"},<the payload's members>}
// The document is the producer's JSON object with our two keys spliced in front: its members follow byte for
// byte (never re-serialized, so integers above 2^53 and number spellings survive), the only change being
// CR/LF whitespace of a pretty-printed payload turned into spaces (an NDJSON line cannot hold them).
// `@timestamp` (which data streams require) is the payload's top-level `timestampMillis`, else the receive
// time; millisecond precision, a fraction dropped; left out when neither is a time ISO 8601 can spell with a
// four-digit year. The producer's own keys win: a payload with a top-level `@timestamp` or `logdriver` keeps
// its value and ours is left out, because Elasticsearch refuses a document with a duplicate key.
// Deduplication relies on a resent event encoding to the same _index and _id: both derive from the event
// alone (tenant and id), never from the clock at send time.
import { singleLinePayload } from '../../buffer/lines.js';
import { NO_FRAMING, type BodyFraming } from '../transport/split.js';
import type { SinkEvent } from '../types.js';

/** The bulk body is the items one after another; each already ends in "\n". */
export const BULK_FRAMING: BodyFraming = NO_FRAMING;

const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const TS_MILLIS_KEY = Buffer.from('timestampMillis');
const TIMESTAMP_KEY = Buffer.from('@timestamp');
const OWN_KEY = Buffer.from('logdriver');
/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range of a plain four-digit ISO year. */
const MIN_ISO_MS = -62_135_596_800_000;
const MAX_ISO_MS = 253_402_300_799_999;

interface PayloadFacts {
  readonly millis: number | undefined;
  readonly hasTimestamp: boolean;
  readonly hasOwnKey: boolean;
}

const NO_FACTS: PayloadFacts = { millis: undefined, hasTimestamp: false, hasOwnKey: false };

/**
 * What the encoder needs from the payload's top level. Fast path, equivalent to parsing: a key can only
 * decode to one of the names if the bytes contain the name's literal text or a backslash (an escaped
 * spelling); a payload with none of them is not parsed at all.
 */
function factsOf(payload: Buffer): PayloadFacts {
  if (
    payload.indexOf(BACKSLASH) === -1 &&
    payload.indexOf(TS_MILLIS_KEY) === -1 &&
    payload.indexOf(TIMESTAMP_KEY) === -1 &&
    payload.indexOf(OWN_KEY) === -1
  ) {
    return NO_FACTS;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return NO_FACTS;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return NO_FACTS;
  const o = doc as Record<string, unknown>;
  const ts = o.timestampMillis;
  return {
    millis: typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined,
    hasTimestamp: Object.hasOwn(o, '@timestamp'),
    hasOwnKey: Object.hasOwn(o, 'logdriver'),
  };
}

/** Epoch ms as ISO 8601 UTC, or undefined outside four-digit years. */
export function isoOf(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_ISO_MS || ms > MAX_ISO_MS) return undefined;
  return new Date(ms).toISOString();
}

/** The `{"create":{…}}` line of one event. */
export function actionLine(index: string, id: string): string {
  return `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n`;
}

/** Our keys of the document, without braces (empty when the payload has both of its own). */
function ownMembers(event: SinkEvent, facts: PayloadFacts): string {
  const parts: string[] = [];
  if (!facts.hasTimestamp) {
    const at = isoOf(facts.millis) ?? isoOf(event.receivedAt);
    if (at !== undefined) parts.push(`"@timestamp":"${at}"`);
  }
  if (!facts.hasOwnKey) {
    const received = isoOf(event.receivedAt);
    parts.push(
      `"logdriver":{"event_id":${JSON.stringify(event.id)},"tenant":${JSON.stringify(event.tenant)}` +
        `${received === undefined ? '' : `,"received_at":"${received}"`}}`,
    );
  }
  return parts.join(',');
}

function firstNonSpace(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  return i;
}

/** The document line of one event (see the opening comment), ending in "\n". */
export function documentLine(event: SinkEvent): Buffer {
  const payload = singleLinePayload(event.payload);
  const own = ownMembers(event, factsOf(event.payload));
  const open = firstNonSpace(payload, 0);
  const lf = Buffer.from('\n');
  if (payload[open] !== OPEN_BRACE) {
    // Not a JSON object (ingest only admits objects): kept whole under "value" so the line stays one document.
    return Buffer.concat([Buffer.from(`{${own}${own ? ',' : ''}"value":`), payload, Buffer.from('}\n')]);
  }
  if (own === '') return Buffer.concat([payload.subarray(open), lf]);
  const empty = payload[firstNonSpace(payload, open + 1)] === CLOSE_BRACE;
  return Buffer.concat([Buffer.from(`{${own}${empty ? '' : ','}`), payload.subarray(open + 1), lf]);
}

/** One bulk item: the action line and the document line. */
export function encodeBulkItem(event: SinkEvent, index: string): Buffer {
  const action = Buffer.from(actionLine(index, event.id));
  return Buffer.concat([action, documentLine(event)]);
}
