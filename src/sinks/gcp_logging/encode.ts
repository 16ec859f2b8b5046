// Google Cloud Logging entries:write v2 request bodies: one LogEntry per event, the payload spliced in as
// jsonPayload without re-serializing it. Pure.
//
// References:
// - entries.write request body (logName, resource, labels, entries, partialSuccess):
//   https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write
// - LogEntry (insertId, timestamp, severity, labels, jsonPayload/textPayload; [LOG_ID] URL-encoded, < 512
//   chars of [A-Za-z0-9/_.-]): https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
// - LogSeverity names: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity
// - Limits (entries.write request 10 MB, LogEntry 256 KiB): https://cloud.google.com/logging/quotas
//
// Deduplication hazard: Logging treats entries of one project with the same insertId AND the same timestamp
// as duplicates. A resent event must therefore encode to the same timestamp: it comes from the payload's
// own timestampMillis (or the event's receivedAt), never from the clock at send time.
import { isUtf8 } from 'node:buffer';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { notableEventRules, severityByRules, type SeverityRule as SharedSeverityRule } from '../severity.js';
import type { BodyFraming } from '../transport/split.js';
import type { PayloadLimits, SinkEvent } from '../types.js';

export const GCP_SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;
export type GcpSeverity = (typeof GCP_SEVERITIES)[number];

export type SeverityRule = SharedSeverityRule<GcpSeverity>;

export const DEFAULT_SEVERITY_RULES: readonly SeverityRule[] = notableEventRules<GcpSeverity>('WARNING');

/**
 * What entries:write accepts. Request: the quota page's "Size of an entries.write request: 10 MB", read as
 * 10,000,000 bytes (the smaller of the decimal and binary readings). Entry: "Size of a LogEntry: 256 KiB"
 * (approximate, on internal sizes; the JSON we send is the larger measure). Entries per request: no count is
 * documented (the write page only bounds distinct resource names at 1000), so 1000 is our own sane default.
 */
export const GCP_LIMITS: PayloadLimits = Object.freeze({
  maxRequestBytes: 10_000_000,
  maxEvents: 1000,
  maxEventBytes: 256 * 1024,
});

export interface GcpEncodeOptions {
  /** projects/<p>/logs/<id>, the id URL-encoded (see logNameOf). */
  readonly logName: string;
  readonly resource: { readonly type: string; readonly labels: Readonly<Record<string, string>> };
  readonly severityRules: readonly SeverityRule[];
  readonly defaultSeverity: GcpSeverity;
  /** Labels on every entry; the event's tenant is always added as `tenant`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The severity of the first rule matching `eventName`; `fallback` when none does or there is no name. */
export function severityOf(
  eventName: string | undefined,
  rules: readonly SeverityRule[],
  fallback: GcpSeverity = 'INFO',
): GcpSeverity {
  return severityByRules(eventName, rules, fallback);
}

const LOG_ID = /^[A-Za-z0-9/_.-]{1,511}$/;

/** `projects/<projectId>/logs/<logId>` with the log id URL-encoded ("/" becomes %2F), as LogEntry requires. */
export function logNameOf(projectId: string, logId: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(projectId)) {
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, 'gcp_logging sink: projectId is not a project id');
  }
  if (!LOG_ID.test(logId)) {
    throw new LogdriverError(
      ErrorCodes.SINK_CONFIG,
      'gcp_logging sink: logId must be 1-511 characters of A-Z a-z 0-9 / _ . -',
    );
  }
  return `projects/${projectId}/logs/${encodeURIComponent(logId)}`;
}

// google.protobuf.Timestamp's range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.
const MIN_TS = -62_135_596_800_000;
const MAX_TS = 253_402_300_799_999;

function rfc3339(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_TS || ms > MAX_TS) return undefined;
  return new Date(Math.floor(ms)).toISOString(); // UTC, millisecond precision, "Z"
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CLOSE = Buffer.from('}');

/**
 * One LogEntry as JSON bytes. insertId is the event id; timestamp the payload's `timestampMillis` (else the
 * event's receivedAt; omitted, so the API stamps it, only if neither is a representable time); severity from
 * `iclFields.event` by the rules; labels `{...opts.labels, tenant}`. A payload that is a JSON object in valid
 * UTF-8 is spliced in as jsonPayload byte for byte; an object with invalid UTF-8 is re-serialized (its bad
 * bytes become U+FFFD); anything that is not a JSON object goes as textPayload, never dropped.
 */
export function encodeLogEntry(event: SinkEvent, opts: GcpEncodeOptions): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(event.payload.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const obj = isPlainObject(doc) ? doc : undefined;
  const icl = obj?.iclFields;
  const name = isPlainObject(icl) && typeof icl.event === 'string' ? icl.event : undefined;
  const timestamp = rfc3339(obj?.timestampMillis) ?? rfc3339(event.receivedAt);
  const head = {
    insertId: event.id,
    ...(timestamp !== undefined ? { timestamp } : {}),
    severity: severityOf(name, opts.severityRules, opts.defaultSeverity),
    labels: { ...opts.labels, tenant: event.tenant },
  };
  if (obj === undefined) {
    return Buffer.from(JSON.stringify({ ...head, textPayload: event.payload.toString('utf8') }));
  }
  const prefix = `${JSON.stringify(head).slice(0, -1)},"jsonPayload":`;
  const payload = isUtf8(event.payload) ? event.payload : Buffer.from(JSON.stringify(obj));
  return Buffer.concat([Buffer.from(prefix), payload, CLOSE]);
}

/** The entries:write body around the entries: request defaults, partialSuccess on, entries as an array. */
export function entriesWriteFraming(opts: GcpEncodeOptions): BodyFraming {
  const head = JSON.stringify({ logName: opts.logName, resource: opts.resource, partialSuccess: true });
  return Object.freeze({
    prefix: Buffer.from(`${head.slice(0, -1)},"entries":[`),
    separator: Buffer.from(','),
    suffix: Buffer.from(']}'),
  });
}
