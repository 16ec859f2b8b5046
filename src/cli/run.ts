// `logdriver run`: the service. Loads config, starts, stops cleanly on SIGTERM/SIGINT.
import { Command } from 'commander';
import { startService } from '../app.js';
import { describeConfigError, loadConfigDetailed } from '../config/index.js';
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
      let service;
      try {
        service = await startService(config, { log, configFile: loaded.file });
      } catch (err) {
        if (isLogdriverError(err, ErrorCodes.SINK_CONFIG)) {
          process.stderr.write(`logdriver: invalid configuration: ${err.message}\n`);
          process.exitCode = 2;
        } else {
          log.fatal({ err }, 'logdriver failed to start');
          process.exitCode = 1;
        }
        return;
      }
      const failed = await new Promise<boolean>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          log.info({ signal }, 'signal received');
          resolve(false);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        // Fail fast when the buffer cannot store any more: a supervisor restarts us, and the start recovers.
        void service.fatal.then(() => resolve(true));
      });
      await service.stop();
      if (failed) process.exitCode = 1;
    });
}
