// Syslog encoding: a golden stream for a fixed batch, and properties (frames parse back into exactly the
// messages, PARAM-VALUE escaping round-trips, header fields always valid).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SYSLOG_SEVERITY_RULES,
  encodeSyslogMessage,
  escapeParamValue,
  frameMessage,
  headerField,
  msgPayload,
  type SyslogEncodeOptions,
} from '../../../../src/sinks/syslog/encode.js';
import type { SinkEvent } from '../../../../src/sinks/types.js';
import { parseFrames, parseMessage, sdOf } from '../../../support/syslog-parse.js';

const GOLDEN = new URL('../../../fixtures/sinks/syslog.golden.txt', import.meta.url);
const OPTS: SyslogEncodeOptions = {
  facility: 'authpriv',
  hostname: 'gw-eu-1',
  appName: 'logdriver',
  severityRules: DEFAULT_SYSLOG_SEVERITY_RULES,
  defaultSeverity: 'info',
  bom: true,
};

const ev = (id: string, tenant: string, receivedAt: number, payload: string): SinkEvent => ({
  id,
  tenant,
  receivedAt,
  payload: Buffer.from(payload, 'utf8'),
});

const BATCH: SinkEvent[] = [
  ev(
    'b1-1',
    'acme',
    1764000001000,
    '{"tenantId":"acme","timestampMillis":1764000000123,"iclFields":{"event":"DATA_DECRYPT","objectId":"doc-42"}}',
  ),
  // A refusal (warning), no timestampMillis (the receive time), Unicode in MSG.
  ev(
    'b1-2',
    'acme',
    1764000002345,
    '{"tenantId":"acme","iclFields":{"event":"DATA_DENY_ACCESS"},"msg":"Grüße, 日本 🔐"}',
  ),
  // A tenant needing every PARAM-VALUE escape, an event name outside PRINTUSASCII and too long for MSGID,
  // pretty-printed JSON (TAB/LF become spaces).
  ev(
    'b1-3',
    'ac"me\\x]',
    1764000003000,
    '{\n\t"tenantId": "ac\\"me\\\\x]",\n\t"iclFields": {"event": "CUSTOM_Ünïcode name that is far too long"}\n}',
  ),
  // Not an object with a name: MSGID nil; a timestamp that is not a number: the receive time.
  ev('b1-4', 'acme', 1764000004000, '{"tenantId":"acme","timestampMillis":"soon"}'),
];

const encodeStream = (events: readonly SinkEvent[], opts = OPTS): Buffer =>
  Buffer.concat(events.map((e) => frameMessage(encodeSyslogMessage(e, opts))));

describe('syslog encoding: golden stream', () => {
  it('encodes the fixed batch byte for byte as the golden file', () => {
    expect(encodeStream(BATCH).equals(readFileSync(GOLDEN))).toBe(true);
  });

  it('reads back as the RFC 5424 fields it means', () => {
    const { messages, rest } = parseFrames(encodeStream(BATCH));
    expect(rest.length).toBe(0);
    const parsed = messages.map(parseMessage);
    expect(parsed.map((p) => p.pri)).toEqual([86, 84, 86, 86]); // authpriv(10)*8 + info(6) / warning(4)
    expect(parsed.map((p) => p.timestamp)).toEqual([
      '2025-11-24T16:00:00.123Z',
      '2025-11-24T16:00:02.345Z',
      '2025-11-24T16:00:03.000Z',
      '2025-11-24T16:00:04.000Z',
    ]);
    expect(parsed.map((p) => p.msgId)).toEqual([
      'DATA_DECRYPT',
      'DATA_DENY_ACCESS',
      'CUSTOM__n_code_name_that_is_far_',
      '-',
    ]);
    expect(parsed.map(sdOf)).toEqual(BATCH.map((e) => ({ tenant: e.tenant, id: e.id })));
    for (const [i, p] of parsed.entries()) {
      expect(p).toMatchObject({
        version: 1,
        hostname: 'gw-eu-1',
        appName: 'logdriver',
        procId: '-',
        bom: true,
      });
      expect(JSON.parse(p.msg.toString('utf8'))).toEqual(JSON.parse(BATCH[i]!.payload.toString('utf8')));
    }
  });

  it('leaves the BOM out when bom is false, and uses the facility given', () => {
    const m = parseMessage(encodeSyslogMessage(BATCH[0]!, { ...OPTS, bom: false, facility: 'local7' }));
    expect(m.bom).toBe(false);
    expect(m.pri).toBe(23 * 8 + 6);
    expect(m.msg.equals(BATCH[0]!.payload)).toBe(true);
  });

  it('writes NILVALUE for a time that is not representable', () => {
    const m = parseMessage(encodeSyslogMessage(ev('x', 't', Number.NaN, '{"timestampMillis":1e300}'), OPTS));
    expect(m.timestamp).toBe('-');
  });
});

describe('syslog encoding: properties', () => {
  const wellFormed = fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed());
  const payloadArb = fc.record({
    base: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    name: fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: undefined }),
    indent: fc.constantFrom(undefined, 2, '\t'),
  });
  const eventArb = fc.record({
    id: wellFormed,
    tenant: wellFormed,
    receivedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    payload: payloadArb,
  });
  const optsArb = fc.record({
    hostname: fc.string({ unit: 'binary', maxLength: 300 }),
    appName: fc.string({ unit: 'binary', maxLength: 60 }),
    bom: fc.boolean(),
  });

  it('a stream of frames parses back into exactly the messages, each with its tenant, id and payload', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), optsArb, (events, o) => {
        const opts: SyslogEncodeOptions = {
          ...OPTS,
          hostname: headerField(o.hostname, 255),
          appName: headerField(o.appName, 48),
          bom: o.bom,
        };
        const sinkEvents = events.map((e) => {
          const obj =
            e.payload.name === undefined
              ? e.payload.base
              : { ...e.payload.base, iclFields: { event: e.payload.name } };
          return ev(e.id, e.tenant, e.receivedAt, JSON.stringify(obj, null, e.payload.indent));
        });
        const messages = sinkEvents.map((e) => encodeSyslogMessage(e, opts));
        const { messages: back, rest } = parseFrames(Buffer.concat(messages.map(frameMessage)));
        expect(rest.length).toBe(0);
        expect(back.map((b) => Buffer.from(b))).toEqual(messages);
        for (const [i, m] of back.entries()) {
          const p = parseMessage(m);
          const e = sinkEvents[i]!;
          expect(sdOf(p)).toEqual({ tenant: e.tenant, id: e.id });
          expect(p.bom).toBe(o.bom);
          expect(JSON.parse(p.msg.toString('utf8'))).toEqual(JSON.parse(e.payload.toString('utf8')));
          expect(p.msg.includes(0x0a) || p.msg.includes(0x0d) || p.msg.includes(0x09)).toBe(false);
          // Header fields: PRINTUSASCII within RFC 5424's lengths.
          const fields: [string, number][] = [
            [p.hostname, 255],
            [p.appName, 48],
            [p.procId, 128],
            [p.msgId, 32],
          ];
          for (const [f, max] of fields) {
            expect(f).toMatch(/^[\x21-\x7e]+$/);
            expect(f.length).toBeLessThanOrEqual(max);
          }
          expect(p.pri).toBeGreaterThanOrEqual(0);
          expect(p.pri).toBeLessThanOrEqual(191);
          expect(p.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('PARAM-VALUE escaping round-trips for any string and leaves no unescaped " \\ ]', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = escapeParamValue(s);
        expect(escaped.replace(/\\(["\\\]])/g, '$1')).toBe(s);
        // Every " and ] is preceded by an odd run of backslashes (escaped), so none ends the value.
        for (const m of escaped.matchAll(/(\\*)["\]]/g)) expect(m[1]!.length % 2).toBe(1);
      }),
    );
  });

  it('headerField always yields PRINTUSASCII within the limit, or NILVALUE', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
        fc.integer({ min: 1, max: 255 }),
        (s, max) => {
          const f = headerField(s, max);
          expect(f).toMatch(/^[\x21-\x7e]+$/);
          expect(f.length).toBeLessThanOrEqual(max);
          if (s !== undefined && /^[\x21-\x7e]+$/.test(s) && s.length <= max) expect(f).toBe(s);
        },
      ),
    );
  });

  it('msgPayload keeps the JSON value and returns the same Buffer when nothing changes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, '\t', '\r\n'), (v, indent) => {
        const text =
          indent === '\r\n'
            ? JSON.stringify(v, null, 1).replace(/\n/g, '\r\n')
            : JSON.stringify(v, null, indent);
        const payload = Buffer.from(text);
        const out = msgPayload(payload);
        expect(JSON.parse(out.toString('utf8'))).toEqual(JSON.parse(text));
        if (!/[\t\r\n]/.test(text)) expect(out).toBe(payload);
      }),
    );
  });
});
