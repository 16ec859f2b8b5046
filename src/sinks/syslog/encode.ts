// RFC 5424 syslog messages for events, octet-counted for a stream transport. Pure.
//
// References:
// - RFC 5424, The Syslog Protocol (HEADER, PRI = facility * 8 + severity, TIMESTAMP, PRINTUSASCII header
//   fields of at most 255/48/128/32 octets, NILVALUE "-", SD-ELEMENT / SD-PARAM with `"` `\` `]` escaped in
//   PARAM-VALUE, a BOM before a UTF-8 MSG): https://www.rfc-editor.org/rfc/rfc5424
// - RFC 6587, Transmission of Syslog Messages over TCP, octet counting ("MSG-LEN SP SYSLOG-MSG"):
//   https://www.rfc-editor.org/rfc/rfc6587#section-3.4.1
// - RFC 5425, TLS Transport Mapping for Syslog (the same framing inside TLS): https://www.rfc-editor.org/rfc/rfc5425
import { notableEventRules, severityByRules, type SeverityRule } from '../severity.js';
import type { SinkEvent } from '../types.js';

/** RFC 5424 section 6.2.1, table 1 (13 "log audit", 14 "log alert", 15 "clock daemon (note 2)"). */
export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;
export const FACILITY_NAMES = Object.keys(FACILITIES) as [Facility, ...Facility[]];

/** RFC 5424 section 6.2.1, table 2, by the names syslog.conf uses. */
export const SEVERITIES = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;
export type Severity = keyof typeof SEVERITIES;
export const SEVERITY_NAMES = Object.keys(SEVERITIES) as [Severity, ...Severity[]];

export type SyslogSeverityRule = SeverityRule<Severity>;

/** The shared default rules (denied access, rejected logins, lockouts) at `warning`. */
export const DEFAULT_SYSLOG_SEVERITY_RULES: readonly SyslogSeverityRule[] =
  notableEventRules<Severity>('warning');

/** Our SD-ID: name@<private enterprise number>; 32473 is the PEN RFC 5612 reserves for documentation. */
export const SD_ID = 'logdriver@32473';
export const NILVALUE = '-';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Header field limits of RFC 5424 section 6 (octets, all PRINTUSASCII). */
export const MAX_HOSTNAME = 255;
export const MAX_APP_NAME = 48;
export const MAX_PROCID = 128;
export const MAX_MSGID = 32;

export interface SyslogEncodeOptions {
  readonly facility: Facility;
  /** Already a valid HOSTNAME (see headerField). */
  readonly hostname: string;
  /** Already a valid APP-NAME. */
  readonly appName: string;
  readonly severityRules: readonly SyslogSeverityRule[];
  readonly defaultSeverity: Severity;
  /** Put the UTF-8 BOM before MSG, as RFC 5424 section 6.4 asks of UTF-8 messages. */
  readonly bom: boolean;
}

export function syslogSeverityOf(
  name: string | undefined,
  rules: readonly SyslogSeverityRule[],
  fallback: Severity,
): Severity {
  return severityByRules(name, rules, fallback);
}

/**
 * A header field as RFC 5424 allows it: every character outside PRINTUSASCII (%d33-126) replaced by "_",
 * cut to `max` characters (one octet each), NILVALUE when nothing is left. A value that is exactly "-"
 * reads as NILVALUE, which is what it would mean anyway.
 */
export function headerField(value: string | undefined, max: number): string {
  if (value === undefined) return NILVALUE;
  let out = '';
  for (const ch of value) {
    if (out.length >= max) break;
    const c = ch.codePointAt(0) as number;
    out += c >= 33 && c <= 126 ? ch : '_';
  }
  return out === '' ? NILVALUE : out;
}

/** PARAM-VALUE escaping of RFC 5424 section 6.3.3: `"`, `\` and `]` get a backslash; nothing else changes. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

// Representable as an RFC 3339 FULL-DATE with a 4-digit year: 0001-01-01 to 9999-12-31.
const MIN_TS = -62_135_596_800_000;
const MAX_TS = 253_402_300_799_999;

/** RFC 3339 UTC with milliseconds ("2025-11-24T16:00:00.123Z"), or undefined when not representable. */
export function rfc3339(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_TS || ms > MAX_TS) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/**
 * The payload as MSG: TAB, CR and LF bytes become spaces. Valid JSON has those only as whitespace between
 * tokens (strings cannot hold them raw), so the JSON value is unchanged, while receivers that write a
 * message per line, or escape control characters (rsyslog turns TAB into "#011"), keep it intact. Multi-byte
 * UTF-8 sequences use bytes >= 0x80 only, so they are never touched. Without such bytes: the same Buffer.
 */
export function msgPayload(payload: Buffer): Buffer {
  let out: Buffer | undefined;
  for (let i = 0; i < payload.length; i++) {
    const b = payload[i];
    if (b === TAB || b === LF || b === CR) {
      out ??= Buffer.from(payload);
      out[i] = SPACE;
    }
  }
  return out ?? payload;
}

/**
 * One SYSLOG-MSG (no framing):
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [logdriver@32473 tenant="…" id="…"] BOM? MSG`.
 * PRI from the facility and the severity the rules give the event name (`iclFields.event`); TIMESTAMP from
 * the payload's `timestampMillis`, else the receive time (so a resend carries the same one), NILVALUE when
 * neither is representable; MSGID the event name as a header field; MSG the payload (see msgPayload).
 */
export function encodeSyslogMessage(event: SinkEvent, opts: SyslogEncodeOptions): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(event.payload.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const obj = isPlainObject(doc) ? doc : undefined;
  const icl = obj?.iclFields;
  const name = isPlainObject(icl) && typeof icl.event === 'string' ? icl.event : undefined;
  const severity = syslogSeverityOf(name, opts.severityRules, opts.defaultSeverity);
  const pri = FACILITIES[opts.facility] * 8 + SEVERITIES[severity];
  const timestamp = rfc3339(obj?.timestampMillis) ?? rfc3339(event.receivedAt) ?? NILVALUE;
  const sd = `[${SD_ID} tenant="${escapeParamValue(event.tenant)}" id="${escapeParamValue(event.id)}"]`;
  const head = `<${pri}>1 ${timestamp} ${opts.hostname} ${opts.appName} ${NILVALUE} ${headerField(name, MAX_MSGID)} ${sd} `;
  const body = msgPayload(event.payload);
  return Buffer.concat(opts.bom ? [Buffer.from(head, 'utf8'), BOM, body] : [Buffer.from(head, 'utf8'), body]);
}

/** RFC 6587 octet counting: "MSG-LEN SP SYSLOG-MSG", MSG-LEN in decimal octets. */
export function frameMessage(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}
