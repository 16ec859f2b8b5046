// Tests for OTLP/HTTP JSON logs encoding: golden ExportLogsServiceRequest, LogRecord fields, timestamps,
// severities, and (property) every event appearing exactly once across the split requests.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValueToJson, type AnyValue } from '../../../../src/sinks/otlp/any-value.js';
import {
  DEFAULT_SEVERITY_RULES,
  OTLP_LIMITS,
  OTLP_SEVERITIES,
  encodeLogRecord,
  exportRequestFraming,
  severityNumberOf,
  severityOf,
  unixNanoOf,
  type OtlpEncodeOptions,
} from '../../../../src/sinks/otlp/encode.js';
import { splitIntoRequests } from '../../../../src/sinks/transport/split.js';
import type { SinkEvent } from '../../../../src/sinks/types.js';

const GOLDEN = fileURLToPath(new URL('../../../fixtures/sinks/otlp.golden.json', import.meta.url));

const opts: OtlpEncodeOptions = {
  resource: [
    { key: 'service.name', value: { stringValue: 'logdriver' } },
    { key: 'host.name', value: { stringValue: 'fwd-1' } },
    { key: 'deployment.environment', value: { stringValue: 'prod' } },
  ],
  scopeName: 'logdriver',
  scopeVersion: '0.1.0',
  severityRules: DEFAULT_SEVERITY_RULES,
  defaultSeverity: 'INFO',
};

const ev = (id: string, tenant: string, receivedAt: number, payload: string): SinkEvent => ({
  id,
  tenant,
  receivedAt,
  payload: Buffer.from(payload),
});

const batch: SinkEvent[] = [
  ev(
    'e1',
    'acme',
    1764000000500,
    '{"tenantId":"acme","timestampMillis":1764000000000,"iclFields":{"event":"DATA_DECRYPT","user":"alice"},"customFields":{}}',
  ),
  ev(
    'e2',
    'acme',
    1764000001234,
    '{"tenantId":"acme","iclFields":{"event":"USER_LOGIN"},"n":[1,2.5,null,true]}',
  ),
  ev(
    'e3',
    'globex',
    1764000002000,
    '{"tenantId":"globex","timestampMillis":1764000001999,"iclFields":{"event":"KEY_DENY_ACCESS","size":12345678901234567890,"big":9007199254740993}}',
  ),
  ev('e4', 'globex', 1764000003000, 'not json at all'),
];

type Req = {
  resourceLogs: {
    resource: { attributes: unknown[] };
    scopeLogs: { scope: unknown; logRecords: Record<string, unknown>[] }[];
  }[];
};

const recordsOf = (body: Buffer): Record<string, unknown>[] =>
  (JSON.parse(body.toString()) as Req).resourceLogs[0]!.scopeLogs[0]!.logRecords;

describe('otlp encoding', () => {
  it('matches the golden ExportLogsServiceRequest', () => {
    const { parts, oversized } = splitIntoRequests(
      batch,
      (e) => encodeLogRecord(e, opts),
      exportRequestFraming(opts),
      OTLP_LIMITS,
    );
    expect(oversized).toEqual([]);
    expect(parts).toHaveLength(1);
    const body = parts[0]!.body;
    if (process.env.UPDATE_GOLDEN)
      writeFileSync(GOLDEN, `${JSON.stringify(JSON.parse(body.toString()), null, 2)}\n`);
    expect(JSON.parse(body.toString('utf8'))).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('writes the record fields the JSON mapping requires', () => {
    const [r1, r2, r3, r4] = batch.map(
      (e) => JSON.parse(encodeLogRecord(e, opts).toString()) as Record<string, unknown>,
    );
    // fixed64 as decimal strings, exact; timeUnixNano only when the event has a time.
    expect(r1).toMatchObject({
      timeUnixNano: '1764000000000000000',
      observedTimeUnixNano: '1764000000500000000',
    });
    expect(r2).not.toHaveProperty('timeUnixNano');
    // enum as an integer; WARN for *_DENY_ACCESS, INFO otherwise.
    expect([r1!.severityNumber, r1!.severityText]).toEqual([9, 'INFO']);
    expect([r3!.severityNumber, r3!.severityText]).toEqual([13, 'WARN']);
    // int64 that fits: intValue as a string, exact past 2^53; beyond int64: doubleValue.
    const body3 = (r3!.body as { kvlistValue: { values: { key: string; value: AnyValue }[] } }).kvlistValue
      .values;
    const icl = body3.find((kv) => kv.key === 'iclFields')!.value as {
      kvlistValue: { values: { key: string; value: AnyValue }[] };
    };
    expect(icl.kvlistValue.values.find((kv) => kv.key === 'big')!.value).toEqual({
      intValue: '9007199254740993',
    });
    expect(icl.kvlistValue.values.find((kv) => kv.key === 'size')!.value).toEqual({
      doubleValue: Number('12345678901234567890'),
    });
    // Not JSON: the text as a stringValue, never dropped; no event name attribute.
    expect(r4!.body).toEqual({ stringValue: 'not json at all' });
    expect(r4!.attributes).toEqual([
      { key: 'logdriver.tenant', value: { stringValue: 'globex' } },
      { key: 'logdriver.event_id', value: { stringValue: 'e4' } },
    ]);
  });

  it('a resent event encodes to the same bytes', () => {
    for (const e of batch) expect(encodeLogRecord(e, opts).equals(encodeLogRecord(e, opts))).toBe(true);
  });

  it('unixNanoOf is exact and refuses what fixed64 cannot hold', () => {
    expect(unixNanoOf(1764000000123)).toBe('1764000000123000000');
    expect(unixNanoOf(1764000000123.5)).toBe('1764000000123500000');
    expect(unixNanoOf(0)).toBe('0');
    expect(unixNanoOf(-1)).toBeUndefined();
    expect(unixNanoOf(Number.NaN)).toBeUndefined();
    expect(unixNanoOf('1764000000000')).toBeUndefined();
    expect(unixNanoOf(2e13)).toBeUndefined(); // past 2^64 ns
  });

  it('severity names are the data model short names, numbered 1-24', () => {
    expect(OTLP_SEVERITIES).toHaveLength(24);
    expect(severityNumberOf('TRACE')).toBe(1);
    expect(severityNumberOf('DEBUG')).toBe(5);
    expect(severityNumberOf('INFO')).toBe(9);
    expect(severityNumberOf('WARN')).toBe(13);
    expect(severityNumberOf('ERROR')).toBe(17);
    expect(severityNumberOf('FATAL4')).toBe(24);
    expect(DEFAULT_SEVERITY_RULES.map((r) => r.severity)).toEqual(['WARN', 'WARN', 'WARN']);
    expect(severityOf('USER_LOCKOUT', DEFAULT_SEVERITY_RULES, 'INFO')).toBe('WARN');
    expect(severityOf(`${'A'.repeat(300)}_DENY_ACCESS`, DEFAULT_SEVERITY_RULES, 'INFO')).toBe('INFO');
    expect(severityOf(undefined, DEFAULT_SEVERITY_RULES, 'DEBUG')).toBe('DEBUG');
  });

  it('property: every event appears exactly once, in order, with its body, across the requests', () => {
    const event = fc.record({
      id: fc.uuid(),
      tenant: fc.constantFrom('acme', 'globex'),
      receivedAt: fc.integer({ min: 0, max: 2 ** 45 }),
      payload: fc.dictionary(fc.string(), fc.jsonValue()).map((o) => Buffer.from(JSON.stringify(o))),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(event, { selector: (e) => e.id, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        (events, maxEvents) => {
          const limits = { ...OTLP_LIMITS, maxEvents };
          const { parts, oversized } = splitIntoRequests(
            events,
            (e) => encodeLogRecord(e, opts),
            exportRequestFraming(opts),
            limits,
          );
          expect(oversized).toEqual([]);
          const records = parts.flatMap((p) => recordsOf(p.body));
          const ids = records.map(
            (r) => (r.attributes as { key: string; value: { stringValue: string } }[])[1]!.value.stringValue,
          );
          expect(ids).toEqual(events.map((e) => e.id));
          records.forEach((r, i) =>
            expect(anyValueToJson(r.body as AnyValue)).toEqual(JSON.parse(events[i]!.payload.toString())),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
