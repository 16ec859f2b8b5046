// Mock sink options: their schema, defaults and validation, shared by startMockSink, set(), POST /_control and the CLI.
import { isIP } from 'node:net';
import { z } from 'zod';

export type MockSinkErrorCode =
  'MOCK_SINK_NON_LOOPBACK' | 'MOCK_SINK_BAD_OPTIONS' | 'MOCK_SINK_WAIT_TIMEOUT' | 'MOCK_SINK_CLOSED';

/** Errors of the mock sink, classified by `code`. */
export class MockSinkError extends Error {
  readonly code: MockSinkErrorCode;
  constructor(code: MockSinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MockSinkError';
    this.code = code;
  }
}

export type SinkMode = 'ok' | 'down' | 'reject' | 'throttle';
/**
 * The wire protocol the mock answers: logdriver's envelopes, Splunk HEC, Cloud Logging entries:write,
 * Elasticsearch _bulk, Datadog logs intake v2, OTLP/HTTP JSON logs, or RFC 5424 syslog over TCP.
 */
export type SinkProtocol =
  'http' | 'splunk_hec' | 'gcp_logging' | 'elasticsearch' | 'datadog' | 'otlp' | 'syslog';
export const SINK_PROTOCOLS: readonly SinkProtocol[] = [
  'http',
  'splunk_hec',
  'gcp_logging',
  'elasticsearch',
  'datadog',
  'otlp',
  'syslog',
];
/** A fixed delay, or one drawn uniformly from [min, max] per request. */
export type Latency = number | { min: number; max: number };
/** A window, in ms since the server started, during which every ingest request gets 503. */
export interface Outage {
  startMs: number;
  endMs: number;
  /** Sent as `Retry-After` on the outage's 503s when set. */
  retryAfterSec?: number | undefined;
}

export interface MockSinkOptions {
  /** Loopback only: 127.0.0.0/8, ::1 or localhost. Fixed at start. */
  host: string;
  /** 0 lets the OS choose. Fixed at start. */
  port: number;
  /** Which protocol ingest speaks (see protocols.ts). Fixed at start. */
  protocol: SinkProtocol;
  /**
   * protocol syslog: the TCP port of the syslog receiver (0 lets the OS choose; the control API stays on
   * `port`). Fixed at start; ignored by the other protocols.
   */
  syslogPort: number;
  /** splunk_hec with a request channel: an ackId turns true this long after its request was answered. */
  ackDelayMs: number;
  latencyMs: Latency;
  /** Probability of answering `failStatus` without recording the batch. */
  failRate: number;
  failStatus: 500 | 503;
  /** Probability of never answering: the socket is held, then destroyed after `hangMs`. */
  timeoutRate: number;
  hangMs: number;
  outages: Outage[];
  mode: SinkMode;
  /** Retry-After sent with `throttle` (429) answers. */
  retryAfterSec: number;
  /**
   * When set, ingest requires `Authorization: Bearer <token>` (or the basic credentials, if also set); with
   * protocol splunk_hec, `Authorization: Splunk <token>`; elasticsearch, `Authorization: ApiKey <token>` (or
   * the basic credentials); datadog, `DD-API-KEY: <token>`; otlp, the bearer token as for http. gcp_logging
   * ignores it (it checks tokens of /token), and so does syslog (no credentials over plain TCP).
   */
  token: string | undefined;
  basic: { username: string; password: string } | undefined;
  /** Seed of the random decisions (fail, timeout, latency); reset() reseeds. */
  seed: number;
  /** Retain every acknowledged envelope for received(tenant); for small tests only. */
  keepEvents: boolean;
  /** Larger (decoded or raw) bodies get 413. */
  maxBodyBytes: number;
}

export const DEFAULT_OPTIONS: Readonly<MockSinkOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  protocol: 'http',
  syslogPort: 0,
  ackDelayMs: 0,
  latencyMs: 0,
  failRate: 0,
  failStatus: 503,
  timeoutRate: 0,
  hangMs: 60_000,
  outages: [],
  mode: 'ok',
  retryAfterSec: 1,
  token: undefined,
  basic: undefined,
  seed: 1,
  keepEvents: false,
  maxBodyBytes: 64 * 1024 * 1024,
});

const nonNegative = z.number().finite().nonnegative();
const probability = z.number().min(0).max(1);
const latency = z.union([
  nonNegative,
  z
    .strictObject({ min: nonNegative, max: nonNegative })
    .refine((l) => l.min <= l.max, { message: 'min must not exceed max' }),
]);
const outage = z
  .strictObject({ startMs: nonNegative, endMs: nonNegative, retryAfterSec: nonNegative.int().optional() })
  .refine((o) => o.startMs < o.endMs, { message: 'startMs must be before endMs' });

const runtimeShape = {
  latencyMs: latency,
  ackDelayMs: nonNegative,
  failRate: probability,
  failStatus: z.union([z.literal(500), z.literal(503)]),
  timeoutRate: probability,
  hangMs: nonNegative,
  outages: z.array(outage),
  mode: z.enum(['ok', 'down', 'reject', 'throttle']),
  retryAfterSec: nonNegative.int(),
  token: z.string().min(1).optional(),
  basic: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
  seed: z.number().int(),
  keepEvents: z.boolean(),
  maxBodyBytes: z.number().int().positive(),
};
const runtimePatch = z.strictObject(runtimeShape).partial();
const startPatch = z
  .strictObject({
    ...runtimeShape,
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    protocol: z.enum(SINK_PROTOCOLS as [SinkProtocol, ...SinkProtocol[]]),
    syslogPort: z.number().int().min(0).max(65535),
  })
  .partial();

function describe(err: z.ZodError): string {
  return err.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(options)'}: ${i.message}`)
    .join('; ');
}

/**
 * Validates `patch` and merges it over `base`. With `runtime`, host, port, protocol and syslogPort are refused (they are
 * fixed once the server listens). Keys explicitly set to undefined (token, basic) clear the value.
 */
export function resolveOptions(
  base: Readonly<MockSinkOptions>,
  patch: unknown,
  runtime = false,
): MockSinkOptions {
  const parsed = (runtime ? runtimePatch : startPatch).safeParse(patch ?? {});
  if (!parsed.success) {
    throw new MockSinkError('MOCK_SINK_BAD_OPTIONS', `invalid mock sink options: ${describe(parsed.error)}`);
  }
  const merged: MockSinkOptions = { ...base, outages: [...base.outages] };
  for (const [key, value] of Object.entries(parsed.data)) {
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  if (patch !== null && typeof patch === 'object') {
    // zod drops keys whose value is undefined; honour them as "clear this setting".
    for (const key of ['token', 'basic'] as const) {
      if (key in patch && (patch as Record<string, unknown>)[key] === undefined) merged[key] = undefined;
    }
  }
  return merged;
}

/** Throws MOCK_SINK_NON_LOOPBACK unless `host` is a loopback address; returns the address to bind. */
export function loopbackAddress(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (
    (family === 4 && bare.startsWith('127.')) ||
    (family === 6 && (bare === '::1' || bare === '0:0:0:0:0:0:0:1'))
  ) {
    return bare;
  }
  throw new MockSinkError(
    'MOCK_SINK_NON_LOOPBACK',
    `mock sink binds to loopback only (127.0.0.0/8, ::1 or localhost), not ${JSON.stringify(host)}`,
  );
}

/** Options as shown to users and the control API: credentials are masked. */
export function redactOptions(o: Readonly<MockSinkOptions>): Record<string, unknown> {
  return {
    ...o,
    token: o.token === undefined ? undefined : '***',
    basic: o.basic === undefined ? undefined : { username: o.basic.username, password: '***' },
  };
}
