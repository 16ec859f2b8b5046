#!/usr/bin/env node
// The `logdriver` binary: parses the command line and dispatches to one subcommand per file.
import { Command } from 'commander';
import { benchCommand } from './bench.js';
import { dlqCommand } from './dlq.js';
import { genCommand } from './gen.js';
import { inspectCommand } from './inspect.js';
import { mockSinkCommand } from './mock-sink.js';
import { rekeyCommand } from './rekey.js';
import { runCommand } from './run.js';
import { sendCommand } from './send.js';
import { statusCommand } from './status.js';
import { topCommand } from './top.js';
import { VERSION } from '../version.js';

const program = new Command('logdriver')
  .description('durable, multi-tenant forwarder of security events')
  .version(VERSION)
  .addCommand(runCommand())
  .addCommand(sendCommand())
  .addCommand(genCommand())
  .addCommand(mockSinkCommand())
  .addCommand(benchCommand())
  .addCommand(inspectCommand())
  .addCommand(statusCommand())
  .addCommand(topCommand())
  .addCommand(dlqCommand())
  .addCommand(rekeyCommand());

await program.parseAsync(process.argv);
