// The config schema: every key, its default and its rule in one place. Parsing yields a frozen `Config`.
import { z } from 'zod';
import { codePointsAtMost, MAX_TENANT_LENGTH } from '../ingest/scan.js';
import { sinkSchema } from '../sinks/catalog.js';
import { byteSize, listen, nonNegativeInt, positiveInt, secret, serverTls } from './fields.js';
import { encryptionSchema } from './encryption.js';

/** A tenant id as ingest takes it: 1 to 256 Unicode code points (an emoji counts once, as README says). */
const tenantId = z
  .string()
  .min(1)
  .refine((s) => codePointsAtMost(s, MAX_TENANT_LENGTH), {
    message: `must be at most ${MAX_TENANT_LENGTH} characters (Unicode code points)`,
  });

/** `tenants` as the config file and a configuration broker's answer write it. */
export const tenantsSchema = z.record(tenantId, z.strictObject({ sink: sinkSchema }));

/** configRefreshIntervalMs when tenantSource.url is set and the key is not: 600 s, as the original product. */
export const BROKER_REFRESH_DEFAULT_MS = 600_000;

export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1).default('./data'),
    ingest: z
      .strictObject({
        zmq: z
          .strictObject({
            enabled: z.boolean().default(true),
            endpoint: z
              .string()
              .regex(/^(tcp|ipc|inproc):\/\/.+/, 'expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555')
              .default('tcp://127.0.0.1:5555'),
            mode: z.enum(['bind', 'connect']).default('bind'),
            /**
             * Receive high-water mark: how many messages ZeroMQ queues before the producer blocks. 1,000
             * (ZeroMQ's own default) ingests as fast as 10,000 and holds a tenth of the worst case
             * (docs/BENCHMARKS.md).
             */
            highWaterMark: positiveInt.default(1_000),
          })
          .prefault({}),
        http: z
          .strictObject({
            enabled: z.boolean().default(true),
            listen: listen.prefault('127.0.0.1:9000'),
            token: secret.optional(),
            /** HTTPS instead of HTTP; with clientCaFile, clients must present a certificate. */
            tls: serverTls,
            /** Most requests per second from one client address (429 beyond); 0: no limit. */
            rateLimitPerClient: nonNegativeInt.default(0),
            maxBodyBytes: byteSize.prefault('16MiB'),
            /**
             * Most events in one request; above it 413. Keeps one request from holding the whole
             * channelCapacity (every other producer would get 503 until it is committed).
             */
            maxEventsPerRequest: positiveInt.default(10_000),
          })
          .prefault({}),
        maxEventBytes: byteSize.prefault('1MiB'),
        /** Events received but not yet committed; past it ingest waits for the commit (LOGDRIVER_CHANNEL_CAPACITY). */
        channelCapacity: positiveInt.default(50_000),
      })
      .prefault({}),
    admin: z
      .strictObject({
        enabled: z.boolean().default(true),
        listen: listen.prefault('127.0.0.1:9100'),
        /**
         * When set, every /v1/ route needs `Authorization: Bearer <token>`; when not, /v1/ reads are open and
         * its mutating calls are taken from loopback peers only. /live, /ready and /health stay open.
         */
        token: secret.optional(),
        /** /metrics is guarded like a mutating call: the token, or loopback peers when no token is set. */
        metricsRequireToken: z.boolean().default(false),
        /** HTTPS instead of HTTP; with clientCaFile, clients must present a certificate. */
        tls: serverTls,
        /** Most /v1/ and status page requests per second from one client address (429 beyond); 0: no limit. */
        rateLimitPerClient: nonNegativeInt.default(100),
      })
      .prefault({}),
    buffer: z
      .strictObject({
        synchronous: z.enum(['full', 'normal', 'off', 'extra']).default('full'),
        maxBytes: byteSize.prefault('10GiB'),
        whenFull: z.enum(['block', 'drop_newest']).default('block'),
        /** How long a commit gathers changes after the first one (0: the next event-loop turn). */
        commitWindowMs: nonNegativeInt.default(20),
        /** A commit starts before its window closes once this many bytes of events wait... */
        commitMaxBytes: byteSize.prefault('4MiB'),
        /** ...or this many events. */
        commitMaxEvents: positiveInt.default(20_000),
        /** A tenant's chunk is sealed at this size (or at delivery.batchSize events). */
        chunkMaxBytes: byteSize.prefault('1MiB'),
        /** Committed chunks kept in memory for delivery; beyond it they are read back from disk. */
        cacheMaxBytes: byteSize.prefault('32MiB'),
        /** The WAL is checkpointed and reset once it passes this size. */
        walMaxBytes: byteSize.prefault('64MiB'),
        autoVacuum: z.enum(['incremental', 'none']).default('incremental'),
        /** Disk space held back in the data directory and released when the disk fills, so deletes can commit. */
        diskReserveBytes: byteSize.prefault('8MiB'),
        /** How often idle lanes re-select undelivered rows (LOGDRIVER_BUFFER_POLL_INTERVAL). */
        pollIntervalMs: positiveInt.default(1000),
        /** Encryption at rest of chunk lines and dead-letter payloads (off when unset); see encryption.ts. */
        encryption: encryptionSchema,
      })
      .prefault({}),
    delivery: z
      .strictObject({
        batchSize: positiveInt.max(100_000).default(1000),
        maxBatchAgeMs: nonNegativeInt.default(2000),
        maxBatchBytes: byteSize.prefault('8MiB'),
        maxInFlightPerTenant: positiveInt.default(1),
        maxInFlight: positiveInt.default(64),
        retry: z
          .strictObject({
            initialMs: positiveInt.default(500),
            maxMs: positiveInt.default(60_000),
          })
          .prefault({}),
        /** Upper bound on one send, whatever the sink's own timeout (a guard against a stuck sink). */
        sendTimeoutMs: positiveInt.default(120_000),
        /** On SIGTERM, how long to wait for in-flight deliveries before closing. */
        shutdownGraceMs: nonNegativeInt.default(10_000),
        /**
         * Poison events (one the sink cannot take blocks its tenant): after `bisectAfterFailures` failures of a
         * whole batch in a row it is split to find the event(s) that fail alone; such an event is dead-lettered
         * only once it has both `maxAttempts` attempts and `maxAgeMs` of age, so an outage shorter than
         * `maxAgeMs` never dead-letters anything.
         */
        poison: z
          .strictObject({
            bisectAfterFailures: positiveInt.default(3),
            maxAttempts: positiveInt.default(20),
            maxAgeMs: positiveInt.default(24 * 60 * 60 * 1000),
          })
          .prefault({}),
      })
      .prefault({}),
    defaultSink: sinkSchema.prefault({ type: 'stdout' }),
    tenants: tenantsSchema.default({}),
    /**
     * Re-read the config file's `tenants` (and fetch the broker's) this often; 0 disables
     * (LOGDRIVER_CONFIG_REFRESH_INTERVAL). Unset: 0, or BROKER_REFRESH_DEFAULT_MS when tenantSource.url is set.
     */
    configRefreshIntervalMs: nonNegativeInt.optional(),
    /** Tenant sinks from a configuration broker (off while url is unset); see src/tenant-source/. */
    tenantSource: z
      .strictObject({
        url: z
          .url({ protocol: /^https?$/ })
          .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), 'must not contain credentials; use token')
          // The answer routes every tenant's events and may carry sink credentials: plain HTTP only on loopback.
          .refine(
            (u) =>
              /^https:/i.test(u) ||
              /^http:\/\/(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d+)?(\/|$)/i.test(u),
            'must be https (plain http only for a broker on loopback)',
          )
          .optional(),
        token: secret.optional(),
        caFile: z.string().min(1).optional(),
        timeoutMs: positiveInt.default(10_000),
        maxBytes: byteSize.prefault('16MiB'),
        /** Unset: <dataDir>/tenants-cache.json. */
        cacheFile: z.string().min(1).optional(),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
    stats: z
      .strictObject({
        /** Write one CSV row of service stats per interval to this file (off when unset). */
        file: z.string().min(1).optional(),
        intervalMs: positiveInt.default(1000),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.delivery.retry.initialMs > c.delivery.retry.maxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['delivery', 'retry', 'initialMs'],
        message: 'must not exceed delivery.retry.maxMs',
      });
    }
    if (!c.ingest.zmq.enabled && !c.ingest.http.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['ingest'],
        message: 'at least one of ingest.zmq and ingest.http must be enabled',
      });
    }
    const [a, h] = [c.admin.listen, c.ingest.http.listen];
    const anyHost = (host: string) => host === '0.0.0.0' || host === '::';
    if (
      c.admin.enabled &&
      c.ingest.http.enabled &&
      a.port !== 0 &&
      a.port === h.port &&
      (a.host === h.host || anyHost(a.host) || anyHost(h.host))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'listen'],
        message: `must differ from ingest.http.listen (both use port ${a.port})`,
      });
    }
  })
  // The refresh default depends on whether a broker is configured; resolved once here, never at runtime.
  .transform(({ configRefreshIntervalMs, ...rest }) => ({
    ...rest,
    configRefreshIntervalMs:
      configRefreshIntervalMs ?? (rest.tenantSource.url === undefined ? 0 : BROKER_REFRESH_DEFAULT_MS),
  }));

export type Config = z.output<typeof configSchema>;
export { sinkSchema };
export type SinkConfig = z.output<typeof sinkSchema>;
