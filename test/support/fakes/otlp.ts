// A loopback fake of an OTLP/HTTP logs receiver (node:http on 127.0.0.1, port 0), faithful to the spec:
// POST /v1/logs only (else 404 / 405), Content-Type application/json required (else 415), Content-Encoding gzip
// accepted, the body checked against the JSON mapping (lowerCamelCase keys, int64/fixed64 as decimal strings
// or numbers, enums as integers, AnyValue with exactly one value field); a malformed request is answered 400
// with a google.rpc.Status (a BadRequest detail naming the field). Success is 200 with an
// ExportLogsServiceResponse ({} or a partialSuccess); errors carry a google.rpc.Status body; every answer is
// application/json, as the request was.
// https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#otlphttp
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { writeAnswer, type ScriptedAnswer } from './answer.js';

export interface ReceivedRecord {
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: { readonly name: string; readonly version: string };
  readonly record: Readonly<Record<string, unknown>>;
  /** The record's attributes as plain values. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The body as the JSON value it encodes. */
  readonly body: unknown;
}

export interface FakeOtlp {
  /** Base URL (the sink adds /v1/logs). */
  readonly url: string;
  readonly records: readonly ReceivedRecord[];
  readonly requests: number;
  readonly lastHeaders: IncomingMessage['headers'] | undefined;
  /** Raw (decompressed) bodies of accepted requests. */
  readonly bodies: readonly Buffer[];
  answerNext(n: number, answer: ScriptedAnswer): void;
  /** The next request keeps all records but these, answered 200 with partialSuccess (which names none). */
  partialNext(indexes: readonly number[], message: string): void;
  /** The next request is refused whole: 400, a BadRequest naming these records. */
  badRecordsNext(indexes: readonly number[], description: string): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(field, 'not an object');
  for (const k of Object.keys(v)) {
    if (k.includes('_')) throw new Invalid(`${field}.${k}`, 'field names must be lowerCamelCase');
  }
  return v as Record<string, unknown>;
}

function arr(v: unknown, field: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Invalid(field, 'not an array');
  return v;
}

/** An int64/fixed64 in the JSON mapping: a decimal string (or a number), within range. */
function int64(v: unknown, field: string, unsigned: boolean): bigint {
  const text = typeof v === 'number' && Number.isInteger(v) ? String(v) : v;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) throw new Invalid(field, 'not a 64-bit integer');
  const n = BigInt(text);
  const [min, max] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
  if (n < min || n > max) throw new Invalid(field, 'out of range');
  return n;
}

/** An AnyValue, checked and decoded to the JSON value it stands for. */
export function decodeAnyValue(v: unknown, field: string): unknown {
  const o = obj(v, field);
  const keys = Object.keys(o);
  if (keys.length === 0) return null;
  if (keys.length !== 1) throw new Invalid(field, `AnyValue has ${keys.length} value fields`);
  const [k] = keys as [string];
  const x = o[k];
  switch (k) {
    case 'stringValue':
      if (typeof x !== 'string') throw new Invalid(`${field}.${k}`, 'not a string');
      return x;
    case 'boolValue':
      if (typeof x !== 'boolean') throw new Invalid(`${field}.${k}`, 'not a bool');
      return x;
    case 'intValue':
      return Number(int64(x, `${field}.${k}`, false));
    case 'doubleValue':
      if (typeof x === 'number') return x;
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
      throw new Invalid(`${field}.${k}`, 'not a double');
    case 'arrayValue':
      return arr(obj(x, `${field}.${k}`).values, `${field}.${k}.values`).map((e, i) =>
        decodeAnyValue(e, `${field}.${k}.values[${i}]`),
      );
    case 'kvlistValue':
      return keyValues(obj(x, `${field}.${k}`).values, `${field}.${k}.values`);
    default:
      throw new Invalid(`${field}.${k}`, 'not an AnyValue field');
  }
}

function keyValues(v: unknown, field: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  arr(v, field).forEach((kv, i) => {
    const o = obj(kv, `${field}[${i}]`);
    if (typeof o.key !== 'string') throw new Invalid(`${field}[${i}].key`, 'not a string');
    Object.defineProperty(out, o.key, {
      value: decodeAnyValue(o.value ?? {}, `${field}[${i}].value`),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return out;
}

function checkRecord(r: Record<string, unknown>, field: string): void {
  for (const k of ['timeUnixNano', 'observedTimeUnixNano'] as const) {
    if (r[k] !== undefined) int64(r[k], `${field}.${k}`, true);
  }
  const sev = r.severityNumber;
  if (sev !== undefined && !(Number.isInteger(sev) && (sev as number) >= 0 && (sev as number) <= 24)) {
    throw new Invalid(`${field}.severityNumber`, 'enum values must be integers 0-24');
  }
  if (r.severityText !== undefined && typeof r.severityText !== 'string') {
    throw new Invalid(`${field}.severityText`, 'not a string');
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Parses an ExportLogsServiceRequest; throws Invalid naming the bad field. */
function parseRequest(doc: unknown): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  const req = obj(doc, '');
  arr(req.resourceLogs, 'resourceLogs').forEach((rl, i) => {
    const f = `resourceLogs[${i}]`;
    const o = obj(rl, f);
    const resource = keyValues(obj(o.resource ?? {}, `${f}.resource`).attributes, `${f}.resource.attributes`);
    arr(o.scopeLogs, `${f}.scopeLogs`).forEach((sl, j) => {
      const sf = `${f}.scopeLogs[${j}]`;
      const s = obj(sl, sf);
      const scope = obj(s.scope ?? {}, `${sf}.scope`);
      arr(s.logRecords, `${sf}.logRecords`).forEach((lr, k) => {
        const rf = `${sf}.logRecords[${k}]`;
        const record = obj(lr, rf);
        checkRecord(record, rf);
        out.push({
          resource,
          scope: { name: str(scope.name), version: str(scope.version) },
          record,
          attributes: keyValues(record.attributes, `${rf}.attributes`),
          body: record.body === undefined ? undefined : decodeAnyValue(record.body, `${rf}.body`),
        });
      });
    });
  });
  return out;
}

const status = (code: number, message: string, details: unknown[] = []) => ({
  code,
  message,
  ...(details.length ? { details } : {}),
});

export async function startFakeOtlp(): Promise<FakeOtlp> {
  const scripted: ScriptedAnswer[] = [];
  let partial: { indexes: Set<number>; message: string } | undefined;
  let bad: { indexes: number[]; description: string } | undefined;
  const records: ReceivedRecord[] = [];
  const bodies: Buffer[] = [];
  let requests = 0;
  let lastHeaders: IncomingMessage['headers'] | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      lastHeaders = req.headers;
      const answer = (a: ScriptedAnswer) => writeAnswer(res, a, JSON_TYPE);
      const script = scripted.shift();
      if (script) return answer(script);
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/v1/logs') return answer({ status: 404, body: status(5, `no handler for ${path}`) });
      if (req.method !== 'POST') return answer({ status: 405, body: status(12, 'POST only') });
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== JSON_TYPE) {
        return answer({ status: 415, body: status(3, `unsupported content type ${type}`) });
      }
      let raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      try {
        if (encoding === 'gzip') raw = gunzipSync(raw);
        else if (encoding !== undefined && encoding !== 'identity')
          throw new Invalid('', 'unsupported encoding');
      } catch {
        return answer({ status: 400, body: status(3, 'body cannot be decompressed') });
      }
      let got: ReceivedRecord[];
      try {
        got = parseRequest(JSON.parse(raw.toString('utf8')));
      } catch (err) {
        const field = err instanceof Invalid ? err.field : '';
        const msg = err instanceof Error ? err.message : String(err);
        const detail = { '@type': BAD_REQUEST_TYPE, fieldViolations: [{ field, description: msg }] };
        return answer({ status: 400, body: status(3, `invalid request: ${field} ${msg}`, [detail]) });
      }
      if (bad) {
        const { indexes, description } = bad;
        bad = undefined;
        const fieldViolations = indexes.map((i) => ({
          field: `resourceLogs[0].scopeLogs[0].logRecords[${i}].body`,
          description,
        }));
        return answer({
          status: 400,
          body: status(3, 'invalid log records', [{ '@type': BAD_REQUEST_TYPE, fieldViolations }]),
        });
      }
      bodies.push(raw);
      const p = partial;
      partial = undefined;
      const kept = p ? got.filter((_, i) => !p.indexes.has(i)) : got;
      records.push(...kept);
      if (!p) return answer({ status: 200, body: {} });
      // rejectedLogRecords is an int64: a decimal string in the JSON mapping.
      const partialSuccess = {
        rejectedLogRecords: String(got.length - kept.length),
        errorMessage: p.message,
      };
      answer({ status: 200, body: { partialSuccess } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    bodies,
    get requests() {
      return requests;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    answerNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    partialNext(indexes, message) {
      partial = { indexes: new Set(indexes), message };
    },
    badRecordsNext(indexes, description) {
      bad = { indexes: [...indexes], description };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
