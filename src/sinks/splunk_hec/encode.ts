// Splunk HEC wire bodies: one JSON event envelope per event for POST /services/collector/event, and the
// body of POST /services/collector/ack. Pure.
//
// Reference (envelope keys time/host/source/sourcetype/index/event/fields, epoch seconds with a fraction,
// several envelopes concatenated in one request, indexed `fields` as string values):
//   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector
// Indexer acknowledgement request {"acks":[0,1,2]}:
//   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/about-http-event-collector-indexer-acknowledgment
import { NO_FRAMING, type BodyFraming } from '../transport/split.js';
import type { SinkEvent } from '../types.js';

export interface HecEncodeOptions {
  readonly host?: string;
  readonly source?: string;
  readonly sourcetype: string;
  readonly index?: string;
}

/** HEC reads a request body as JSON envelopes one after another; each of ours ends in "\n" already. */
export const HEC_FRAMING: BodyFraming = NO_FRAMING;

const BACKSLASH = 0x5c;
const TS_KEY = Buffer.from('timestampMillis');
const EVENT_KEY = ',"event":';

// The metadata part of the envelope is the same for every event of a sink: built once per options object.
const metaCache = new WeakMap<HecEncodeOptions, string>();

function metaOf(opts: HecEncodeOptions): string {
  let meta = metaCache.get(opts);
  if (meta === undefined) {
    meta = '';
    if (opts.host !== undefined) meta += `,"host":${JSON.stringify(opts.host)}`;
    if (opts.source !== undefined) meta += `,"source":${JSON.stringify(opts.source)}`;
    meta += `,"sourcetype":${JSON.stringify(opts.sourcetype)}`;
    if (opts.index !== undefined) meta += `,"index":${JSON.stringify(opts.index)}`;
    metaCache.set(opts, meta);
  }
  return meta;
}

/**
 * The payload's top-level `timestampMillis` when it is a finite number, else undefined.
 *
 * Fast path, provably equivalent to parsing: a JSON object can only have a key that decodes to
 * "timestampMillis" if its bytes contain that literal text or a backslash (an escaped spelling such as
 * "timestamp\u004dillis"). A payload with neither cannot have the key, so it is not parsed at all.
 * Otherwise one JSON.parse (which, like Splunk, keeps the last of duplicate keys). A payload that is not
 * a JSON object (it should always be one) has no timestamp; HEC then judges the envelope itself.
 */
function payloadMillis(payload: Buffer): number | undefined {
  if (payload.indexOf(TS_KEY) === -1 && payload.indexOf(BACKSLASH) === -1) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const ts = (doc as Record<string, unknown>).timestampMillis;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
}

/**
 * Epoch milliseconds as HEC `time`: seconds with exactly three decimals ("1764000000.123"). toFixed rounds
 * the exact binary value to the nearest millisecond, so 1764000000123 / 1000 never prints as
 * "1764000000.1229999"; finite input always yields a valid JSON number.
 */
function secondsOf(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * One HEC event envelope followed by "\n", keys in a fixed order:
 * `{"time","host"?,"source"?,"sourcetype","index"?,"event","fields":{"tenant","event_id"}}`.
 * `event` is the producer's payload bytes spliced in verbatim (never re-serialized: large integers and
 * number spellings survive); `time` comes from the payload's `timestampMillis`, else `receivedAt`, and is
 * left out (HEC then stamps the arrival time) only when neither is a finite number.
 */
export function encodeHecEvent(event: SinkEvent, opts: HecEncodeOptions): Buffer {
  const ms = payloadMillis(event.payload) ?? event.receivedAt;
  const time = Number.isFinite(ms) ? `"time":${secondsOf(ms)}` : '';
  const meta = metaOf(opts);
  // Without time the metadata opens the object: drop its leading comma.
  const head = `{${time}${time ? meta : meta.slice(1)}${EVENT_KEY}`;
  const tail = `,"fields":{"tenant":${JSON.stringify(event.tenant)},"event_id":${JSON.stringify(event.id)}}}\n`;
  const headBytes = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headBytes + event.payload.length + Buffer.byteLength(tail));
  let at = out.write(head, 0, 'utf8');
  at += event.payload.copy(out, at);
  at += out.write(tail, at, 'utf8');
  // Exact sizing is an invariant: a mismatch would send uninitialised memory.
  if (at !== out.length) throw new Error(`HEC encoder wrote ${at} of ${out.length} bytes`);
  return out;
}

const ACK_ID = /^(0|[1-9]\d{0,15})$/;

/**
 * Body of POST /services/collector/ack: `{"acks":[0,1,2]}`, ids as JSON numbers. The ids are the tokens
 * classifyHecResponse made from HEC's integer ackIds; anything else is a programming error and throws.
 */
export function encodeAckRequest(ackIds: readonly string[]): Buffer {
  for (const id of ackIds) {
    if (!ACK_ID.test(id) || !Number.isSafeInteger(Number(id))) {
      throw new RangeError(`not a HEC ackId: ${JSON.stringify(id)}`);
    }
  }
  return Buffer.from(`{"acks":[${ackIds.join(',')}]}`);
}
