// Opens the data directory named by --data-dir or the config, for the offline commands (inspect, dlq).
import type { Command } from 'commander';
import { DataDirectory } from '../buffer/index.js';
import { lockOwner } from '../buffer/sqlite/index.js';
import { ConfigError, describeConfigError, loadConfig, loadEncryptionKeys } from '../config/index.js';
import { ErrorCodes, isLogdriverError } from '../errors.js';

export interface DataDirFlags {
  config?: string;
  dataDir?: string;
}

export function addDataDirFlags(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <file>',
      'config file whose dataDir to use (env LOGDRIVER_CONFIG)',
      process.env.LOGDRIVER_CONFIG,
    )
    .option('-d, --data-dir <dir>', 'data directory (overrides the config)');
}

/**
 * One line on why the directory could not be opened. A directory held by another process is almost always a
 * running service, and saying "configuration error" there sent users looking in the wrong place.
 */
export function describeOpenError(err: unknown, dataDir: string | undefined): string {
  if (err instanceof ConfigError) return describeConfigError(err);
  if (!isLogdriverError(err)) return String(err);
  if (err.code === ErrorCodes.BUFFER_LOCKED && dataDir !== undefined) {
    const pid = lockOwner(dataDir);
    if (pid !== undefined) {
      return (
        `the service is running: data directory ${dataDir} is locked by a running logdriver (process ${pid}). ` +
        'inspect, dlq and rekey open the data directory of a stopped service: stop it first (SIGTERM), or ask ' +
        'the running one through its admin API: `logdriver status`, or inspect/dlq with --url http://<admin.listen>'
      );
    }
  }
  return err.message;
}

/** Runs `fn` on the opened directory; reports errors (bad config, directory in use) and sets the exit code. */
export function withDataDir(flags: DataDirFlags, fn: (dir: DataDirectory) => void): void {
  let dir: DataDirectory | undefined;
  let dataDir = flags.dataDir;
  try {
    const config = loadConfig({ file: flags.config });
    dataDir ??= config.dataDir;
    dir = new DataDirectory({
      dataDir,
      synchronous: config.buffer.synchronous,
      autoVacuum: config.buffer.autoVacuum,
      // The service's keys: encrypted dead letters are read, and `rekey` rewrites with the first key.
      keys: loadEncryptionKeys(config.buffer.encryption),
      // No checkpoint in the middle of these short sessions; close() checkpoints once.
      walMaxBytes: Number.MAX_SAFE_INTEGER,
    });
    fn(dir);
  } catch (err) {
    process.stderr.write(`logdriver: ${describeOpenError(err, dataDir)}\n`);
    process.exitCode = 2;
  } finally {
    dir?.close();
  }
}
