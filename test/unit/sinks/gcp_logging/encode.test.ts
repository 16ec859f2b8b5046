// Tests for Cloud Logging entries:write encoding: golden body, LogEntry properties, severity rules, log names.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLogdriverError } from '../../../../src/errors.js';
import { globMatch } from '../../../../src/sinks/severity.js';
import {
  DEFAULT_SEVERITY_RULES,
  GCP_LIMITS,
  encodeLogEntry,
  entriesWriteFraming,
  logNameOf,
  severityOf,
  type GcpEncodeOptions,
} from '../../../../src/sinks/gcp_logging/encode.js';
import { splitIntoRequests } from '../../../../src/sinks/transport/split.js';
import type { SinkEvent } from '../../../../src/sinks/types.js';

const GOLDEN = fileURLToPath(new URL('../../../fixtures/sinks/gcp_logging.golden.json', import.meta.url));

const opts: GcpEncodeOptions = {
  logName: logNameOf('acme-sec', 'logdriver/events'),
  resource: { type: 'generic_node', labels: { location: 'global', namespace: 'logdriver', node_id: 'n1' } },
  severityRules: DEFAULT_SEVERITY_RULES,
  defaultSeverity: 'INFO',
  labels: { source: 'logdriver' },
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
  ev('e2', 'acme', 1764000001234, '{"tenantId":"acme","iclFields":{"event":"USER_LOGIN"}}'),
  ev(
    'e3',
    'globex',
    1764000002000,
    '{"tenantId":"globex","timestampMillis":1764000001999,"iclFields":{"event":"KEY_DENY_ACCESS","key":"k1"}}',
  ),
  ev(
    'e4',
    'globex',
    1764000003000,
    '{"tenantId":"globex","timestampMillis":1764000002001,"iclFields":{"event":"USER_LOCKOUT","user":"Zoë 🔐 用户"},"customFields":{"note":"naïve \\u00e9 \\"quoted\\""}}',
  ),
];

describe('gcp_logging encoding', () => {
  it('matches the golden entries:write body', () => {
    const { parts, oversized } = splitIntoRequests(
      batch,
      (e) => encodeLogEntry(e, opts),
      entriesWriteFraming(opts),
      GCP_LIMITS,
    );
    expect(oversized).toEqual([]);
    expect(parts).toHaveLength(1);
    const body = parts[0]!.body;
    if (process.env.UPDATE_GOLDEN)
      writeFileSync(GOLDEN, `${JSON.stringify(JSON.parse(body.toString()), null, 2)}\n`);
    // The golden file is pretty-printed (prettier formats fixtures), so compare values...
    expect(JSON.parse(body.toString('utf8'))).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
    // ...and check the bytes: each payload spliced verbatim (escapes kept), nothing between the entries but ",".
    for (const e of batch)
      expect(body.includes(Buffer.concat([Buffer.from('"jsonPayload":'), e.payload, Buffer.from('}')]))).toBe(
        true,
      );
    expect(
      body.toString().startsWith('{"logName":"projects/acme-sec/logs/logdriver%2Fevents","resource":'),
    ).toBe(true);
    expect(body.toString().endsWith('}}]}')).toBe(true);
  });

  it('sets timestamp, severity and labels per the rules; splices the payload byte for byte', () => {
    const [a, b, c] = batch.map(
      (e) => JSON.parse(encodeLogEntry(e, opts).toString('utf8')) as Record<string, unknown>,
    );
    expect(a).toMatchObject({ insertId: 'e1', timestamp: '2025-11-24T16:00:00.000Z', severity: 'INFO' });
    expect(b!.timestamp).toBe('2025-11-24T16:00:01.234Z'); // no timestampMillis: receivedAt
    expect(c).toMatchObject({ severity: 'WARNING', labels: { source: 'logdriver', tenant: 'globex' } });
    const raw = encodeLogEntry(batch[3]!, opts);
    expect(raw.includes(batch[3]!.payload)).toBe(true);
  });

  it('falls back on receivedAt for a bad timestampMillis, and on textPayload for a non-object payload', () => {
    for (const t of ['"soon"', 'null', '1e300', '-1e20']) {
      const e = ev('x', 't', 0, `{"timestampMillis":${t}}`);
      expect((JSON.parse(encodeLogEntry(e, opts).toString()) as Record<string, unknown>).timestamp).toBe(
        '1970-01-01T00:00:00.000Z',
      );
    }
    const text = JSON.parse(encodeLogEntry(ev('y', 't', 0, '[1,2]'), opts).toString()) as Record<
      string,
      unknown
    >;
    expect(text.textPayload).toBe('[1,2]');
    expect(text.jsonPayload).toBeUndefined();
    const broken = JSON.parse(encodeLogEntry(ev('z', 't', 0, '{"a":'), opts).toString()) as Record<
      string,
      unknown
    >;
    expect(broken.textPayload).toBe('{"a":');
    const badUtf8 = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const fixed = encodeLogEntry({ id: 'u', tenant: 't', receivedAt: 0, payload: badUtf8 }, opts);
    expect((JSON.parse(fixed.toString()) as Record<string, unknown>).jsonPayload).toEqual({ a: '\ufffd' });
  });

  it('property: every body is valid JSON with each id as insertId, each tenant a label, payloads intact', () => {
    const payload = fc.dictionary(fc.string(), fc.jsonValue()).map((o) => JSON.stringify(o));
    const event = fc.record({
      id: fc.string({ minLength: 1 }),
      tenant: fc.string(),
      receivedAt: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      payload,
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (raw, maxEvents) => {
          const events: SinkEvent[] = raw.map((r) => ({ ...r, payload: Buffer.from(r.payload) }));
          const { parts, oversized } = splitIntoRequests(
            events,
            (e) => encodeLogEntry(e, opts),
            entriesWriteFraming(opts),
            {
              ...GCP_LIMITS,
              maxEvents,
            },
          );
          expect(oversized).toEqual([]);
          const entries = parts.flatMap((p) => {
            const body = JSON.parse(p.body.toString('utf8')) as {
              logName: string;
              partialSuccess: boolean;
              entries: Record<string, unknown>[];
            };
            expect(body.logName).toBe(opts.logName);
            expect(body.partialSuccess).toBe(true);
            return body.entries;
          });
          expect(entries).toHaveLength(events.length);
          entries.forEach((entry, i) => {
            expect(entry.insertId).toBe(events[i]!.id);
            expect((entry.labels as Record<string, string>).tenant).toBe(events[i]!.tenant);
            expect(entry.jsonPayload).toEqual(JSON.parse(events[i]!.payload.toString('utf8')));
            expect(entry.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          });
        },
      ),
    );
  });

  it('severity: first matching rule wins, globs anchor, fallback otherwise', () => {
    expect(severityOf('FILE_DENY_ACCESS', DEFAULT_SEVERITY_RULES)).toBe('WARNING');
    expect(severityOf('FILE_DENY_ACCESS_X', DEFAULT_SEVERITY_RULES)).toBe('INFO');
    expect(severityOf('USER_REJECT_LOGIN', DEFAULT_SEVERITY_RULES)).toBe('WARNING');
    expect(severityOf(undefined, DEFAULT_SEVERITY_RULES, 'NOTICE')).toBe('NOTICE');
    const rules = [
      { match: 'A.*', severity: 'ERROR' as const },
      { match: '*', severity: 'DEBUG' as const },
      { match: 'AB', severity: 'ALERT' as const },
    ];
    expect(severityOf('A.x', rules)).toBe('ERROR'); // "." is literal
    expect(severityOf('AB', rules)).toBe('DEBUG'); // earlier rule wins
  });

  it('logName: URL-encodes the log id and refuses ids the API refuses', () => {
    expect(logNameOf('p-1', 'a/b.c_d-e')).toBe('projects/p-1/logs/a%2Fb.c_d-e');
    for (const [p, l] of [
      ['p', ''],
      ['p', 'x'.repeat(512)],
      ['p', 'sp ace'],
      ['a/b', 'x'],
    ] as const) {
      expect(() => logNameOf(p, l)).toThrow(expect.objectContaining({ code: 'LOGDRIVER_ERR_SINK_CONFIG' }));
      try {
        logNameOf(p, l);
      } catch (e) {
        expect(isLogdriverError(e)).toBe(true);
      }
    }
  });

  it('limits follow the quota page', () => {
    expect(GCP_LIMITS).toEqual({ maxRequestBytes: 10_000_000, maxEvents: 1000, maxEventBytes: 262_144 });
  });
});

describe('severity rule matching', () => {
  it('globMatch agrees with the equivalent regular expression', () => {
    const alphabet = fc.constantFrom('A', 'B', '_', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('A', 'B', '_'), maxLength: 12 }),
        (glob, name) => {
          const re = new RegExp(`^${glob.split('*').join('.*')}$`, 's');
          expect(globMatch(glob, name)).toBe(re.test(name));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a producer-sized event name never matches (the default severity applies)', () => {
    const rules = [{ match: '*LOGIN*FAIL*', severity: 'WARNING' as const }];
    expect(severityOf('USER_LOGIN_FAIL', rules)).toBe('WARNING');
    expect(severityOf(`${'LOGIN'.repeat(20_000)}FAIL`, rules)).toBe('INFO');
  });
});
