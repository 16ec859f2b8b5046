// OTLP/HTTP JSON request bodies: one ExportLogsServiceRequest per request (one resourceLogs, one scopeLogs),
// one LogRecord per event, the event itself as the body (a kvlistValue). Pure.
//
// References:
// - OTLP/HTTP, JSON Protobuf encoding (lowerCamelCase keys, 64-bit integers as decimal strings, enums as
//   integers), POST /v1/logs, 20 MiB recommended request limit:
//   https://github.com/open-telemetry/opentelemetry-proto/blob/main/docs/specification.md#otlphttp
// - ExportLogsServiceRequest / ResourceLogs / ScopeLogs / LogRecord:
//   https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/logs/v1/logs.proto
// - Logs data model (Timestamp vs ObservedTimestamp, SeverityNumber 1-24 in six ranges TRACE/DEBUG/INFO/WARN/
//   ERROR/FATAL, short names TRACE…FATAL4): https://opentelemetry.io/docs/specs/otel/logs/data-model/
//
// Event name rules reuse gcp_logging's linear-time glob matcher and its default rule set (which events are
// notable is one decision, kept in one place); severities are OTLP's own.
import { notableEventRules, severityByRules, type SeverityRule } from '../severity.js';
import type { BodyFraming } from '../transport/split.js';
import type { PayloadLimits, SinkEvent } from '../types.js';
import { jsonToAnyValue, stringAttr, type AnyValue, type KeyValue } from './any-value.js';

/** The 24 SeverityNumber short names of the data model, in order: SEVERITY_NUMBER_TRACE (1) … FATAL4 (24). */
export const OTLP_SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((b) => [
  b,
  `${b}2`,
  `${b}3`,
  `${b}4`,
]) as readonly string[];
export type OtlpSeverity = string;

/** The SeverityNumber of a short name (1-24); 0 (UNSPECIFIED) for anything else. */
export function severityNumberOf(name: OtlpSeverity): number {
  return OTLP_SEVERITIES.indexOf(name) + 1;
}

export type OtlpSeverityRule = SeverityRule<OtlpSeverity>;

/** The shared default rules (denied access, rejected logins, lockouts) at WARN. */
export const DEFAULT_SEVERITY_RULES: readonly OtlpSeverityRule[] = notableEventRules<OtlpSeverity>('WARN');

/** The severity of the first rule matching `eventName`; `fallback` when none does or there is no name. */
export function severityOf(
  eventName: string | undefined,
  rules: readonly OtlpSeverityRule[],
  fallback: OtlpSeverity,
): OtlpSeverity {
  return severityByRules(eventName, rules, fallback);
}

/**
 * OTLP/HTTP's recommended limit (20 MiB, "including before compression") for the request; events per request
 * and per event have no protocol bound, so those are our own: 1000 records, and an event may fill a request.
 */
export const OTLP_LIMITS: PayloadLimits = Object.freeze({
  maxRequestBytes: 20 * 1024 * 1024,
  maxEvents: 1000,
  maxEventBytes: 20 * 1024 * 1024,
});

export interface OtlpEncodeOptions {
  /** Resource attributes, `service.name` and `host.name` included, in the order sent. */
  readonly resource: readonly KeyValue[];
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly severityRules: readonly OtlpSeverityRule[];
  readonly defaultSeverity: OtlpSeverity;
}

const NS_PER_MS = 1_000_000n;
const MAX_UNIX_NANO = 2n ** 64n - 1n;

/**
 * Epoch milliseconds as fixed64 nanoseconds in a decimal string, exactly (a float product would lose the
 * low digits past 2^53); undefined for what no fixed64 can hold (negative, not finite, after year 2554).
 */
export function unixNanoOf(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
  const whole = Math.floor(ms);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  return ns <= MAX_UNIX_NANO ? ns.toString() : undefined;
}

function isObjectValue(v: AnyValue | undefined): v is { kvlistValue: { values: readonly KeyValue[] } } {
  return v !== undefined && 'kvlistValue' in v;
}

function field(values: readonly KeyValue[], key: string): AnyValue | undefined {
  return values.find((kv) => kv.key === key)?.value;
}

/**
 * One LogRecord as JSON bytes:
 * `{"timeUnixNano"?,"observedTimeUnixNano","severityNumber","severityText","body","attributes"}`.
 * timeUnixNano comes from the payload's `timestampMillis` and is left out (0: unknown) without one;
 * observedTimeUnixNano is the receive time; severity by the rules on `iclFields.event`; body is the payload as
 * an AnyValue (a JSON object becomes a kvlistValue; a payload that is not JSON goes as its text in a
 * stringValue, never dropped); attributes logdriver.tenant, logdriver.event_id and logdriver.event (when the
 * payload names one). A resent event encodes to the same bytes.
 */
export function encodeLogRecord(event: SinkEvent, opts: OtlpEncodeOptions): Buffer {
  const text = event.payload.toString('utf8');
  const body: AnyValue = jsonToAnyValue(text) ?? { stringValue: text };
  const top = isObjectValue(body) ? body.kvlistValue.values : [];
  const icl = field(top, 'iclFields');
  const nameValue = isObjectValue(icl) ? field(icl.kvlistValue.values, 'event') : undefined;
  const name = nameValue && 'stringValue' in nameValue ? nameValue.stringValue : undefined;
  const ts = field(top, 'timestampMillis');
  const ms =
    ts && 'intValue' in ts ? Number(ts.intValue) : ts && 'doubleValue' in ts ? ts.doubleValue : undefined;
  const time = unixNanoOf(ms);
  const observed = unixNanoOf(event.receivedAt);
  const severity = severityOf(name, opts.severityRules, opts.defaultSeverity);
  const attributes = [
    stringAttr('logdriver.tenant', event.tenant),
    stringAttr('logdriver.event_id', event.id),
  ];
  if (name !== undefined) attributes.push(stringAttr('logdriver.event', name));
  const record = {
    ...(time !== undefined ? { timeUnixNano: time } : {}),
    ...(observed !== undefined ? { observedTimeUnixNano: observed } : {}),
    severityNumber: severityNumberOf(severity),
    severityText: severity,
    body,
    attributes,
  };
  return Buffer.from(JSON.stringify(record));
}

/** The ExportLogsServiceRequest around the records: one resourceLogs, one scopeLogs, logRecords as an array. */
export function exportRequestFraming(opts: OtlpEncodeOptions): BodyFraming {
  const head = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: opts.resource },
        scopeLogs: [{ scope: { name: opts.scopeName, version: opts.scopeVersion }, logRecords: [] }],
      },
    ],
  });
  // Everything up to the empty logRecords array's "[", and from its "]" on.
  const cut = head.lastIndexOf('"logRecords":[') + '"logRecords":['.length;
  return Object.freeze({
    prefix: Buffer.from(head.slice(0, cut)),
    separator: Buffer.from(','),
    suffix: Buffer.from(head.slice(cut)),
  });
}
