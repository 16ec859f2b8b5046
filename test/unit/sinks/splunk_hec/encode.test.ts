// HEC encoding: a golden body for a fixed batch, and properties of single envelopes (valid JSON, the
// payload as `event`, indexed fields, time from timestampMillis or receivedAt).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeAckRequest,
  encodeHecEvent,
  HEC_FRAMING,
  type HecEncodeOptions,
} from '../../../../src/sinks/splunk_hec/encode.js';
import { splitIntoRequests } from '../../../../src/sinks/transport/split.js';
import type { PayloadLimits, SinkEvent } from '../../../../src/sinks/types.js';

const GOLDEN = new URL('../../../fixtures/sinks/splunk_hec.golden.ndjson', import.meta.url);
const OPTS: HecEncodeOptions = { host: 'fw-01', source: 'logdriver', sourcetype: '_json', index: 'security' };
const LIMITS: PayloadLimits = { maxRequestBytes: 1 << 20, maxEvents: 100, maxEventBytes: 1 << 20 };

const ev = (id: string, tenant: string, receivedAt: number, payload: string): SinkEvent => ({
  id,
  tenant,
  receivedAt,
  payload: Buffer.from(payload, 'utf8'),
});

const BATCH: SinkEvent[] = [
  ev('b1-1', 'acme', 1764000001000, '{"timestampMillis":1764000000123,"action":"login","user":"alice"}'),
  // No top-level timestampMillis (only a nested one): time from receivedAt. Unicode stays as UTF-8 bytes.
  ev('b1-2', 'acme', 1764000002345, '{"msg":"Grüße, 日本 🔐","inner":{"timestampMillis":5}}'),
  // Escapes, a control character, an integer above 2^53 that a re-serialization would corrupt, and a
  // tenant that needs JSON escaping.
  ev(
    'b1-3',
    'ac"me\\x',
    1764000003000,
    '{"timestampMillis":1764000000001,"path":"C:\\\\temp\\\\\\"x\\"","nul":"\\u0000","big":12345678901234567890}',
  ),
  // The key spelled with an escape still names timestampMillis (JSON.parse decodes it).
  ev('b1-4', 'acme', 1764000004000, '{"timestamp\\u004dillis":1764000000999.6,"ok":true}'),
];

function encodeBatch(events: readonly SinkEvent[], limits: PayloadLimits): Buffer[] {
  const split = splitIntoRequests(events, (e) => encodeHecEvent(e, OPTS), HEC_FRAMING, limits);
  expect(split.oversized).toEqual([]);
  return split.parts.map((p) => p.body);
}

describe('HEC encoding: golden body', () => {
  it('encodes the fixed batch byte for byte as the golden file', () => {
    const [body, ...rest] = encodeBatch(BATCH, LIMITS);
    expect(rest).toEqual([]);
    expect(body!.toString('utf8')).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('split requests concatenate to the same bytes (no framing between envelopes)', () => {
    const bodies = encodeBatch(BATCH, { ...LIMITS, maxEvents: 1 });
    expect(bodies).toHaveLength(4);
    expect(Buffer.concat(bodies).equals(readFileSync(GOLDEN))).toBe(true);
  });

  it('leaves out unset host/source/index and keeps the key order', () => {
    const line = encodeHecEvent(BATCH[0]!, { sourcetype: 'st' }).toString('utf8');
    expect(line).toBe(
      '{"time":1764000000.123,"sourcetype":"st","event":{"timestampMillis":1764000000123,"action":"login",' +
        '"user":"alice"},"fields":{"tenant":"acme","event_id":"b1-1"}}\n',
    );
  });

  it('splices the payload verbatim, pretty-printing included', () => {
    const payload = '{\n  "a": 1,\r\n  "n": 1.50e3\n}';
    const line = encodeHecEvent(ev('x', 't', 0, payload), OPTS).toString('utf8');
    expect(line).toContain(`"event":${payload},"fields"`);
    expect((JSON.parse(line) as { time: number }).time).toBe(0);
  });

  it('leaves time out only when neither timestampMillis nor receivedAt is finite', () => {
    const line = encodeHecEvent(ev('x', 't', Number.NaN, '{"timestampMillis":"soon"}'), OPTS).toString();
    expect(line.startsWith('{"host":"fw-01",')).toBe(true);
    expect(JSON.parse(line)).not.toHaveProperty('time');
  });
});

describe('HEC encoding: properties', () => {
  const payloadArb = fc.record({
    base: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    ts: fc.option(fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double()), { nil: undefined }),
    indent: fc.constantFrom(undefined, 2),
  });

  it('every envelope is valid JSON carrying the payload, the fields and the right time', () => {
    fc.assert(
      fc.property(
        payloadArb,
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        ({ base, ts, indent }, tenant, id, receivedAt) => {
          const obj = ts === undefined ? base : { ...base, timestampMillis: ts };
          const payload = JSON.stringify(obj, null, indent);
          const out = encodeHecEvent(ev(id, tenant, receivedAt, payload), OPTS);
          const text = out.toString('utf8');
          expect(text.endsWith('}\n')).toBe(true);
          const env = JSON.parse(text) as Record<string, unknown>;
          expect(Object.keys(env)).toEqual([
            'time',
            'host',
            'source',
            'sourcetype',
            'index',
            'event',
            'fields',
          ]);
          expect(env.event).toEqual(JSON.parse(payload));
          expect(env.fields).toEqual({ tenant, event_id: id });
          const parsed = JSON.parse(payload) as Record<string, unknown>;
          const t = parsed.timestampMillis;
          const ms = typeof t === 'number' && Number.isFinite(t) ? t : receivedAt;
          expect(env.time).toBe(Number((ms / 1000).toFixed(3)));
          // Realistic integer timestamps survive the seconds form exactly.
          if (Number.isInteger(ms) && ms >= 0 && ms <= 4_102_444_800_000) {
            expect(Math.round((env.time as number) * 1000)).toBe(ms);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('HEC ack request', () => {
  it('lists the ackIds as JSON numbers', () => {
    expect(encodeAckRequest(['0', '7', '12']).toString()).toBe('{"acks":[0,7,12]}');
    expect(encodeAckRequest([]).toString()).toBe('{"acks":[]}');
  });

  it.each(['', '-1', '01', '1.5', 'x', '1e3', '99999999999999999'])('refuses %j', (id) => {
    expect(() => encodeAckRequest([id])).toThrow(RangeError);
  });
});
