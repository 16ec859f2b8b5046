// Opens the data directory named by --data-dir or the config, for the offline commands (inspect, dlq).
import type { Command } from 'commander';
import { DataDirectory } from '../buffer/index.js';
import { describeConfigError, loadConfig } from '../config/index.js';
import { isLogdriverError } from '../errors.js';

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

/** Runs `fn` on the opened directory; reports errors (bad config, directory in use) and sets the exit code. */
export function withDataDir(flags: DataDirFlags, fn: (dir: DataDirectory) => void): void {
  let dir: DataDirectory | undefined;
  try {
    const config = loadConfig({ file: flags.config });
    dir = new DataDirectory({
      dataDir: flags.dataDir ?? config.dataDir,
      synchronous: config.buffer.synchronous,
      autoVacuum: config.buffer.autoVacuum,
      // No checkpoint in the middle of these short sessions; close() checkpoints once.
      walMaxBytes: Number.MAX_SAFE_INTEGER,
    });
    fn(dir);
  } catch (err) {
    process.stderr.write(`logdriver: ${isLogdriverError(err) ? describeConfigError(err) : String(err)}\n`);
    process.exitCode = 2;
  } finally {
    dir?.close();
  }
}
