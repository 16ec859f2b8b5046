// Wires the parts: open buffer -> build sinks -> start dispatcher -> start ingest -> admin. Stops in reverse.
import type { Writable } from 'node:stream';
import { createAdminServer, serviceSource, type AdminServer } from './admin/index.js';
import { SqliteBuffer } from './buffer/index.js';
import { loadEncryptionKeys, type Config } from './config/index.js';
import { Dispatcher, Router } from './delivery/index.js';
import { createHttpIngest, ZmqIngest, type HttpIngest } from './ingest/index.js';
import { createSink } from './sinks/index.js';
import { ConfigWatcher } from './config-watcher.js';
import type { Logger } from './telemetry/logger.js';
import { registerBacklogMetrics } from './telemetry/backlog-metrics.js';
import { StatsSampler } from './telemetry/stats.js';
import { Telemetry } from './telemetry/telemetry.js';
import { VERSION } from './version.js';

export interface ServiceOptions {
  readonly log: Logger;
  /** Where stdout sinks write (tests capture it). */
  readonly stdout?: Writable;
  /** The config file, re-read for tenants when configRefreshIntervalMs > 0 and on reload(). */
  readonly configFile?: string;
}

export interface Endpoints {
  zmq?: string;
  http?: { host: string; port: number };
  admin?: { host: string; port: number };
}

export interface Service {
  readonly config: Config;
  readonly buffer: SqliteBuffer;
  readonly telemetry: Telemetry;
  readonly endpoints: Endpoints;
  /** Stops ingest, commits what was received, waits (bounded) for deliveries, closes the database. */
  stop(): Promise<void>;
  /** Settles if the service can no longer work (its buffer worker died): the caller stops and exits non-zero. */
  readonly fatal: Promise<Error>;
  /** Re-reads the config file's tenants and fetches the broker's now (SIGHUP); logs what it did; never throws. */
  reload(): void;
}

export async function startService(config: Config, opts: ServiceOptions): Promise<Service> {
  const telemetry = new Telemetry(opts.log);
  // Sinks first: a sink that cannot be built (unreadable CA file…) fails the start before anything is open.
  const router = new Router(
    config,
    (c) => createSink(c, { stdout: opts.stdout }),
    (err, sink) =>
      telemetry.log.error({ err, sink: sink.type }, 'sink failed to start; its sends will retry'),
  );
  let buffer: SqliteBuffer;
  let onFatal: (err: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  try {
    buffer = new SqliteBuffer({
      ...config.buffer,
      dataDir: config.dataDir,
      keys: loadEncryptionKeys(config.buffer.encryption),
      maxPendingEvents: config.ingest.channelCapacity,
      // A chunk then fits one delivery batch, so a lease is whole chunks and an ack deletes whole rows.
      chunkMaxEvents: config.delivery.batchSize,
      chunkMaxBytes: Math.min(config.buffer.chunkMaxBytes, config.delivery.maxBatchBytes),
      telemetry,
      onFatal: (err) => onFatal(err),
    });
  } catch (err) {
    await router.close();
    throw err;
  }
  const stored = buffer;
  registerBacklogMetrics(telemetry.registry, (oldest) => stored.backlog({ oldest }));
  const d = config.delivery;
  const dispatcher = new Dispatcher({
    buffer,
    router,
    telemetry,
    maxInFlight: d.maxInFlight,
    pollIntervalMs: config.buffer.pollIntervalMs,
    lane: {
      batchSize: d.batchSize,
      maxBatchAgeMs: d.maxBatchAgeMs,
      maxBatchBytes: d.maxBatchBytes,
      maxInFlightPerTenant: d.maxInFlightPerTenant,
      retry: d.retry,
      sendTimeoutMs: d.sendTimeoutMs,
      poison: d.poison,
    },
  });
  registerGauges(telemetry, buffer, dispatcher);

  const endpoints: Endpoints = {};
  let zmq: ZmqIngest | undefined;
  let http: HttpIngest | undefined;
  let admin: AdminServer | undefined;
  let watcher: ConfigWatcher | undefined;
  let accepting = false;
  try {
    // With a file or a broker there is a watcher (reload() uses it); it polls only if configRefreshIntervalMs > 0.
    // The broker's first answer (or its cached copy) is put in force before delivery starts.
    watcher =
      opts.configFile !== undefined || config.tenantSource.url !== undefined
        ? new ConfigWatcher({ config, file: opts.configFile, router, log: opts.log, telemetry })
        : undefined;
    const routed = (await watcher?.load()) ?? true;
    // Sinks start in the background: a token endpoint that is down must not hold ingest back. A send that
    // needs what start prepares waits for it inside the sink.
    void router.start();
    if (routed) await dispatcher.start();
    else
      watcher?.onRouted(() => {
        dispatcher.start().catch((err: unknown) => opts.log.error({ err }, 'delivery failed to start'));
      });
    if (config.ingest.zmq.enabled) {
      zmq = new ZmqIngest({
        ...config.ingest.zmq,
        maxEventBytes: config.ingest.maxEventBytes,
        whenFull: config.buffer.whenFull,
        buffer,
        telemetry,
      });
      endpoints.zmq = await zmq.start();
    }
    if (config.ingest.http.enabled) {
      http = createHttpIngest({
        ...config.ingest.http,
        // A request larger than the commit channel would hold every other producer off while it commits.
        maxEventsPerRequest: Math.min(config.ingest.http.maxEventsPerRequest, config.ingest.channelCapacity),
        maxEventBytes: config.ingest.maxEventBytes,
        buffer,
        telemetry,
        log: opts.log,
      });
      endpoints.http = await http.start();
    }
    accepting = true;
    if (config.admin.enabled) {
      const readiness = () => [
        ...(buffer.healthy ? [] : ['the buffer is not working (its worker died)']),
        ...(buffer.diskFull
          ? ['disk full: the data directory has no space left; events are refused until it returns']
          : []),
        ...(accepting ? [] : ['ingest is not accepting events']),
      ];
      admin = createAdminServer({
        listen: config.admin.listen,
        registry: telemetry.registry,
        readiness,
        token: config.admin.token,
        metricsRequireToken: config.admin.metricsRequireToken,
        tls: config.admin.tls,
        rateLimitPerClient: config.admin.rateLimitPerClient,
        log: opts.log,
        source: serviceSource({
          version: VERSION,
          buffer,
          dispatcher,
          router,
          totals: telemetry.totals,
          maxBytes: config.buffer.maxBytes,
          readiness,
        }),
      });
      endpoints.admin = await admin.start();
    }
  } catch (err) {
    await watcher?.close();
    await Promise.allSettled([zmq?.close(), http?.close(), admin?.close()]);
    await dispatcher.close(0);
    await router.close();
    await buffer.close();
    throw err;
  }
  const stats = config.stats.file
    ? new StatsSampler({
        file: config.stats.file,
        intervalMs: config.stats.intervalMs,
        telemetry,
        buffer,
        dispatcher,
      })
    : undefined;
  stats?.start();
  watcher?.start();
  opts.log.info(
    { endpoints, dataDir: config.dataDir, bufferId: buffer.bufferId, stored: buffer.stats().events },
    'logdriver started',
  );

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    accepting = false;
    await watcher?.close();
    opts.log.info('stopping: ingest closed, committing what was received');
    http?.pause();
    await Promise.allSettled([zmq?.close(), http?.close()]);
    await dispatcher.close(d.shutdownGraceMs);
    await router.close();
    await stats?.close();
    const left = buffer.stats().events;
    await buffer.close();
    await admin?.close();
    opts.log.info({ stored: left }, 'logdriver stopped; stored events will be delivered on the next start');
  };
  return {
    config,
    buffer,
    telemetry,
    endpoints,
    fatal,
    stop: () => (stopping ??= stop()),
    reload: () => {
      // Certificates are re-read on their own when their files change; a reload makes that happen now.
      http?.reloadTls();
      admin?.reloadTls();
      if (watcher) watcher.reload();
      else opts.log.info('config reload asked: no config file was given, nothing to reload');
    },
  };
}

function registerGauges(t: Telemetry, buffer: SqliteBuffer, dispatcher: Dispatcher): void {
  t.gauge('logdriver_buffer_events', 'Events stored and not yet acknowledged.', () => buffer.stats().events);
  t.gauge(
    'logdriver_buffer_bytes',
    'Bytes stored events count against buffer.maxBytes.',
    () => buffer.stats().bytes,
  );
  t.gauge(
    'logdriver_buffer_file_bytes',
    'Size of the database file.',
    () => buffer.stats().backend.fileBytes ?? 0,
  );
  t.gauge(
    'logdriver_buffer_wal_bytes',
    'Size of the write-ahead log.',
    () => buffer.stats().backend.walBytes ?? 0,
  );
  t.gauge(
    'logdriver_buffer_cache_bytes',
    'Bytes of stored chunks held in memory for delivery.',
    () => buffer.stats().backend.cacheBytes ?? 0,
  );
  t.gauge(
    'logdriver_buffer_pending_events',
    'Events received and not yet committed.',
    () => buffer.stats().pendingEvents,
  );
  t.gauge(
    'logdriver_buffer_dead_letters',
    'Events in the dead-letter table.',
    () => buffer.stats().deadLetters,
  );
  t.gauge('logdriver_buffer_full', '1 while the buffer is at buffer.maxBytes.', () =>
    buffer.admission() === 'full' ? 1 : 0,
  );
  t.gauge('logdriver_delivery_lanes', 'Tenants with a delivery lane.', () => dispatcher.lanes);
  t.gauge(
    'logdriver_delivery_queued_tenants',
    'Tenants with stored events waiting for a delivery lane (more tenants than active lanes).',
    () => dispatcher.queuedTenants,
  );
  t.gauge(
    'logdriver_delivery_parked_tenants',
    'Tenants backing off after a failed send, without a lane until their wait ends.',
    () => dispatcher.parkedTenants,
  );
  t.gauge('logdriver_delivery_sending_batches', 'Batches being sent now.', () => dispatcher.sending);
}
