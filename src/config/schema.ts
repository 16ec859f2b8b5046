// The config schema: every key, its default and its rule in one place. Parsing yields a frozen `Config`.
import { z } from 'zod';
import { sinkSchema } from '../sinks/catalog.js';
import { byteSize, listen, nonNegativeInt, positiveInt, secret } from './fields.js';

const tenantId = z.string().min(1).max(256);

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
            /** Receive high-water mark: how many messages ZeroMQ queues before the producer blocks. */
            highWaterMark: positiveInt.default(10_000),
          })
          .prefault({}),
        http: z
          .strictObject({
            enabled: z.boolean().default(true),
            listen: listen.prefault('127.0.0.1:9000'),
            token: secret.optional(),
            maxBodyBytes: byteSize.prefault('16MiB'),
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
        /** How often idle lanes re-select undelivered rows (LOGDRIVER_BUFFER_POLL_INTERVAL). */
        pollIntervalMs: positiveInt.default(1000),
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
      })
      .prefault({}),
    defaultSink: sinkSchema.prefault({ type: 'stdout' }),
    tenants: z.record(tenantId, z.strictObject({ sink: sinkSchema })).default({}),
    /** Re-read the config file's `tenants` this often; 0 disables (LOGDRIVER_CONFIG_REFRESH_INTERVAL). */
    configRefreshIntervalMs: nonNegativeInt.default(0),
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
  });

export type Config = z.output<typeof configSchema>;
export { sinkSchema };
export type SinkConfig = z.output<typeof sinkSchema>;
