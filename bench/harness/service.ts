// The service under test as a child process: its config on free loopback ports, readiness from the
// "logdriver started" log line, counters from /metrics, and a SIGTERM stop that reports how long it took.
// Figures the service decides (defaults such as buffer.walMaxBytes) come from its own config loader, so the
// harness never restates them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, loadConfig, type Config } from '../../src/config/index.js';
import type { Child, ChildSet, ExitInfo } from './children.js';
import { fetchCounters, type ServiceCounters } from './metrics.js';
import { freePorts, LOOPBACK } from './ports.js';

export interface Endpoints {
  zmq: string;
  http: { host: string; port: number };
  admin: { host: string; port: number };
}

type Json = Record<string, unknown>;

/** The service's defaults: its config with nothing set. */
export const SERVICE_DEFAULTS: Config = configSchema.parse({});

/** Merges plain objects recursively; arrays and scalars in `b` replace those in `a`. */
export function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const bothObjects =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof prev === 'object' &&
      prev !== null &&
      !Array.isArray(prev);
    out[k] = bothObjects ? deepMerge(prev as Json, v as Json) : v;
  }
  return out;
}

export interface BaseConfigInput {
  dataDir: string;
  statsFile: string;
  ports: { zmq: number; http: number; admin: number };
  sinkUrl: string;
}

/** The bench's service config: loopback ports, the mock sink as default sink, stats every second. */
export function baseServiceConfig(i: BaseConfigInput): Json {
  return {
    dataDir: i.dataDir,
    ingest: {
      zmq: { endpoint: `tcp://${LOOPBACK}:${i.ports.zmq}` },
      http: { listen: `${LOOPBACK}:${i.ports.http}` },
    },
    admin: { listen: `${LOOPBACK}:${i.ports.admin}` },
    defaultSink: { type: 'http', url: i.sinkUrl },
    delivery: { shutdownGraceMs: 5000 },
    stats: { file: i.statsFile, intervalMs: 1000 },
    log: { level: 'info' },
  };
}

/** The endpoints of a "logdriver started" JSON log line, or undefined for any other line. */
export function parseStartedLine(line: string): Endpoints | undefined {
  if (!line.includes('logdriver started')) return undefined;
  try {
    const rec = JSON.parse(line) as { msg?: string; endpoints?: Partial<Endpoints> };
    const e = rec.endpoints;
    if (rec.msg !== 'logdriver started' || !e?.zmq || !e.http || !e.admin) return undefined;
    return { zmq: e.zmq, http: e.http, admin: e.admin };
  } catch {
    return undefined;
  }
}

export interface ServiceStart {
  /** Names the child in errors and the log file. */
  name: string;
  /** Where the config and log are written. */
  dir: string;
  dataDir: string;
  statsFile: string;
  sinkUrl: string;
  overrides?: Json;
  /** Replaces the default sink (the mock sink over http) as a whole, e.g. with another sink type. */
  defaultSink?: Json;
}

export interface ServiceHandle {
  readonly child: Child<Endpoints>;
  /** The config the service runs with: the file the harness wrote, resolved by the service's own loader. */
  readonly config: Config;
  readonly endpoints: Endpoints;
  readonly adminUrl: string;
  readonly httpUrl: string;
  readonly zmqEndpoint: string;
  readonly statsFile: string;
  /** Date.now() at spawn and when the started line arrived. */
  readonly spawnedAt: number;
  readonly readyAt: number;
  counters(): Promise<ServiceCounters>;
  /** SIGTERM, wait for the exit (the stats file is complete afterwards). */
  stop(): Promise<{ exit: ExitInfo; ms: number }>;
}

export async function startServiceProcess(children: ChildSet, s: ServiceStart): Promise<ServiceHandle> {
  const [zmq, http, admin] = await freePorts(3);
  const config = deepMerge(
    baseServiceConfig({
      dataDir: s.dataDir,
      statsFile: s.statsFile,
      ports: { zmq: zmq!, http: http!, admin: admin! },
      sinkUrl: s.sinkUrl,
    }),
    s.overrides ?? {},
  );
  if (s.defaultSink !== undefined) config.defaultSink = s.defaultSink;
  const configFile = join(s.dir, `${s.name}.config.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  // The child inherits this environment, so its LOGDRIVER_* overrides apply here too; a bad config fails now.
  const resolved = loadConfig({ file: configFile });
  const child = children.spawn<Endpoints>(s.name, ['run', '--config', configFile], {
    logFile: join(s.dir, `${s.name}.log`),
    ready: (line, stream) => (stream === 'stderr' ? parseStartedLine(line) : undefined),
    readyTimeoutMs: 60_000,
  });
  const endpoints = await child.ready;
  const readyAt = Date.now();
  const adminUrl = `http://${endpoints.admin.host}:${endpoints.admin.port}`;
  return {
    child,
    config: resolved,
    endpoints,
    adminUrl,
    httpUrl: `http://${endpoints.http.host}:${endpoints.http.port}`,
    zmqEndpoint: endpoints.zmq,
    statsFile: s.statsFile,
    spawnedAt: child.startedAt,
    readyAt,
    counters: async () => {
      try {
        return await fetchCounters(adminUrl);
      } catch (err) {
        const exit = child.exitInfo();
        if (!exit) throw err;
        // The real cause is in the service's own output, not in the refused connection.
        throw new Error(
          `${s.name} exited (code ${exit.code}, signal ${exit.signal})\n${child.stderrTail()}`,
          {
            cause: err,
          },
        );
      }
    },
    stop: async () => {
      const t0 = performance.now();
      const exit = await child.stop('SIGTERM', 60_000);
      return { exit, ms: performance.now() - t0 };
    },
  };
}
