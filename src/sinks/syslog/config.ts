// The syslog sink's config schema, and the frozen settings it resolves to (TLS files read once, at build time).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { checkServerIdentity, rootCertificates, type ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { onAuthFailure, payloadBytes, positiveInt } from '../../config/fields.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { PayloadLimits } from '../types.js';
import {
  DEFAULT_SYSLOG_SEVERITY_RULES,
  FACILITY_NAMES,
  MAX_APP_NAME,
  MAX_HOSTNAME,
  SEVERITY_NAMES,
  headerField,
  type SyslogEncodeOptions,
} from './encode.js';

/**
 * Fits rsyslog's default `maxMessageSize` of 8k: imtcp of rsyslog 8.2302 takes messages of up to 8096 bytes
 * with it and truncates longer ones (the rest of such a message then arrives as bogus further messages).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 8000;
/** One batch goes out as one write; these bound it (the receiver sees a stream, so they are our own). */
export const SYSLOG_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const SYSLOG_MAX_EVENTS = 1000;
/** RFC 5425 section 4.1 (syslog over TLS); plain TCP has no assigned port, 514 is what rsyslog docs use. */
export const DEFAULT_TLS_PORT = 6514;
export const DEFAULT_TCP_PORT = 514;

/** A header field given in config: PRINTUSASCII only, within the RFC's length (checked, not rewritten). */
const printUsAscii = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'must be printable US-ASCII without spaces (RFC 5424 PRINTUSASCII)');

const severity = z.enum(SEVERITY_NAMES);

export const syslogSinkSchema = z.strictObject({
  type: z.literal('syslog'),
  host: z.string().min(1),
  /** Default: 6514 with `transport: tls`, 514 with `tcp`. */
  port: z.number().int().min(1).max(65535).optional(),
  /** `tls` (RFC 5425, certificate verified) or `tcp` (plain, RFC 6587). Both octet-counted. No UDP. */
  transport: z.enum(['tls', 'tcp']).default('tls'),
  /**
   * When a batch counts as delivered. `close`: each batch on its own connection, delivered once the receiver
   * read it to the end and closed its side cleanly. `write`: one kept connection, delivered once the bytes
   * were handed to the kernel on a healthy connection (faster; loses what sits in socket buffers when the
   * receiver goes away).
   */
  confirm: z.enum(['close', 'write']).default('close'),
  facility: z.enum(FACILITY_NAMES).default('authpriv'),
  severity: z
    .strictObject({
      rules: z
        .array(z.strictObject({ match: z.string().min(1), severity }))
        .default(() => DEFAULT_SYSLOG_SEVERITY_RULES.map((r) => ({ ...r }))),
      default: severity.default('info'),
    })
    .prefault({}),
  appName: printUsAscii(MAX_APP_NAME).default('logdriver'),
  /** Default: this machine's host name (made a valid HOSTNAME). */
  hostname: printUsAscii(MAX_HOSTNAME).optional(),
  bom: z.boolean().default(true),
  /** Largest SYSLOG-MSG (without the octet count); a larger event is dead-lettered. */
  maxMessageBytes: payloadBytes.prefault(DEFAULT_MAX_MESSAGE_BYTES),
  /** Connecting (TLS handshake included), each write, and in `close` mode the receiver's close. */
  timeoutMs: positiveInt.default(30_000),
  tls: z
    .strictObject({
      /** An extra CA (PEM) trusted besides the system roots. */
      caFile: z.string().min(1).optional(),
      /** The name the server certificate must carry (and SNI); default `host`. */
      serverName: z.string().min(1).optional(),
      /** A client certificate (PEM) and its key, for receivers that authenticate senders. */
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
    })
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
      message: 'certFile and keyFile go together',
      path: ['keyFile'],
    })
    .prefault({}),
  /** What a receiver refusing the client certificate leads to (see "Authentication failures"). */
  onAuthFailure,
});

export type SyslogSinkConfig = z.output<typeof syslogSinkSchema>;

export interface SyslogSettings {
  readonly host: string;
  readonly port: number;
  readonly confirm: 'close' | 'write';
  /** TLS options for tls.connect, undefined with `transport: tcp`. */
  readonly tls: ConnectionOptions | undefined;
  readonly clientCertificate: boolean;
  readonly encode: SyslogEncodeOptions;
  readonly maxMessageBytes: number;
  readonly limits: PayloadLimits;
  readonly timeoutMs: number;
  /** host:port and transport, for logs. */
  readonly target: string;
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, `syslog sink: cannot read tls.${key} ${file}`, {
      cause: err,
    });
  }
}

export function resolveSyslogSettings(cfg: SyslogSinkConfig): SyslogSettings {
  const useTls = cfg.transport === 'tls';
  const port = cfg.port ?? (useTls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT);
  let tlsOptions: ConnectionOptions | undefined;
  if (useTls) {
    const t = cfg.tls;
    const serverName = t.serverName ?? cfg.host;
    // Verification stays on (Node's default, never overridden). An extra CA joins the bundled roots: `ca`
    // alone would replace them. SNI only with a name: RFC 6066 forbids an IP address there.
    tlsOptions = {
      ...(t.caFile !== undefined ? { ca: [...rootCertificates, readPem(t.caFile, 'caFile')] } : {}),
      ...(t.certFile !== undefined && t.keyFile !== undefined
        ? { cert: readPem(t.certFile, 'certFile'), key: readPem(t.keyFile, 'keyFile') }
        : {}),
      ...(isIP(serverName) === 0 ? { servername: serverName } : {}),
      // The certificate must name `serverName` (an IP address too), not whatever Node derives from host/SNI.
      checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
    };
  } else if (
    cfg.tls.caFile !== undefined ||
    cfg.tls.certFile !== undefined ||
    cfg.tls.serverName !== undefined
  ) {
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, 'syslog sink: tls settings need `transport: tls`');
  }
  const encode: SyslogEncodeOptions = Object.freeze({
    facility: cfg.facility,
    hostname: cfg.hostname ?? headerField(osHostname(), MAX_HOSTNAME),
    appName: cfg.appName,
    severityRules: Object.freeze(cfg.severity.rules.map((r) => Object.freeze({ ...r }))),
    defaultSeverity: cfg.severity.default,
    bom: cfg.bom,
  });
  return Object.freeze({
    host: cfg.host,
    port,
    confirm: cfg.confirm,
    tls: tlsOptions === undefined ? undefined : Object.freeze(tlsOptions),
    clientCertificate: useTls && cfg.tls.certFile !== undefined,
    encode,
    maxMessageBytes: cfg.maxMessageBytes,
    limits: Object.freeze({
      maxRequestBytes: SYSLOG_MAX_REQUEST_BYTES,
      maxEvents: SYSLOG_MAX_EVENTS,
      maxEventBytes: cfg.maxMessageBytes,
    }),
    timeoutMs: cfg.timeoutMs,
    target: `${useTls ? 'tls' : 'tcp'}://${isIP(cfg.host) === 6 ? `[${cfg.host}]` : cfg.host}:${port}`,
  });
}
