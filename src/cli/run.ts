// `logdriver run`: the service. Loads config, starts, stops cleanly on SIGTERM/SIGINT, reloads tenants on
// SIGHUP. A failed start prints one line naming the cause and exits 2 (the stack only at log level debug).
import { Command } from 'commander';
import { startService, type Service } from '../app.js';
import { describeConfigError, loadConfigDetailed, type Config } from '../config/index.js';
import { ErrorCodes, isLogdriverError } from '../errors.js';
import { createLogger } from '../telemetry/logger.js';

export function runCommand(): Command {
  return new Command('run')
    .description('run the service (no config file needed: embedded defaults)')
    .option(
      '-c, --config <file>',
      'YAML or JSON config file (env LOGDRIVER_CONFIG)',
      process.env.LOGDRIVER_CONFIG,
    )
    .action(async (opts: { config?: string }) => {
      let loaded;
      try {
        loaded = loadConfigDetailed({ file: opts.config });
      } catch (err) {
        process.stderr.write(
          `logdriver: ${isLogdriverError(err) ? describeConfigError(err) : String(err)}\n`,
        );
        process.exitCode = 2;
        return;
      }
      const { config } = loaded;
      const log = createLogger(config.log.level);
      for (const name of loaded.unknownEnv)
        log.warn({ variable: name }, 'unknown LOGDRIVER_* variable ignored');
      // SIGHUP (also sent when a terminal closes) would end the process by default, losing what ZeroMQ
      // queued. Installed before the start, which takes seconds; a SIGHUP during it reloads once started.
      let service: Service | undefined;
      let reloadPending = false;
      process.on('SIGHUP', () => {
        if (service) service.reload();
        else reloadPending = true;
      });
      // SIGTERM/SIGINT too are taken before the start: one arriving while it runs (or right after the
      // "started" line, before a later listener would exist) must stop the service cleanly, not kill it.
      let stopSignal: NodeJS.Signals | undefined;
      let onStopSignal: (() => void) | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopSignal) return;
        stopSignal = signal;
        log.info({ signal }, 'signal received');
        onStopSignal?.();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        service = await startService(config, { log, configFile: loaded.file });
      } catch (err) {
        log.debug({ err }, 'start failure details');
        process.stderr.write(`logdriver: ${describeStartError(err, config)}\n`);
        process.exitCode = 2;
        return;
      }
      if (reloadPending) service.reload();
      const running = service;
      const failed =
        stopSignal === undefined &&
        (await new Promise<boolean>((resolve) => {
          onStopSignal = () => resolve(false);
          // Fail fast when the buffer cannot store any more: a supervisor restarts us, and the start recovers.
          void running.fatal.then(() => resolve(true));
        }));
      await running.stop();
      if (failed) process.exitCode = 1;
    });
}

/** One line for a failed start: what could not be done and why, in the words of the config. */
export function describeStartError(err: unknown, config: Config): string {
  if (isLogdriverError(err, ErrorCodes.SINK_CONFIG)) return `invalid configuration: ${err.message}`;
  if (isLogdriverError(err)) return `cannot start: ${err.message}`;
  const e = (err ?? {}) as NodeJS.ErrnoException & { address?: unknown; port?: unknown };
  const listener = listenerOf(e, config);
  if (listener) return `cannot start: ${listener} ${socketProblem(e)}`;
  return `cannot start: ${err instanceof Error ? err.message : String(err)}`;
}

/** The config key (and address) of the listener a bind error is about, if it names one. */
function listenerOf(e: { address?: unknown; port?: unknown }, config: Config): string | undefined {
  if (typeof e.address === 'string' && /^(tcp|ipc|inproc):\/\//.test(e.address))
    return `ingest.zmq.endpoint ${e.address}`;
  if (typeof e.port !== 'number') return undefined;
  const listeners = [
    ['ingest.http.listen', config.ingest.http] as const,
    ['admin.listen', config.admin] as const,
  ];
  for (const [key, { enabled, listen }] of listeners) {
    if (!enabled || listen.port !== e.port) continue;
    const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    return `${key} ${host}:${listen.port}`;
  }
  return undefined;
}

function socketProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return 'is already in use (EADDRINUSE: another logdriver or another program listens there)';
    case 'EACCES':
      return 'cannot be bound: permission denied (EACCES: ports below 1024 need privileges)';
    case 'EADDRNOTAVAIL':
      return 'cannot be bound: not an address of this host (EADDRNOTAVAIL)';
    default:
      return `cannot be bound: ${e.message}`;
  }
}
