// Builds the sink a validated sink config names.
import type { Writable } from 'node:stream';
import type { SinkConfig } from '../config/schema.js';
import { ErrorCodes, LogdriverError } from '../errors.js';
import { HttpSink } from './http/sink.js';
import { StdoutSink } from './stdout.js';
import type { Sink } from './types.js';

export interface SinkDeps {
  /** Where stdout sinks write (process.stdout when absent). */
  readonly stdout?: Writable;
}

/** Throws LogdriverError(SINK_CONFIG) when the config cannot be turned into a sink (bad header, unreadable CA file). */
export function createSink(config: SinkConfig, deps: SinkDeps = {}): Sink {
  switch (config.type) {
    case 'stdout':
      return new StdoutSink(deps.stdout ? { stream: deps.stdout } : {});
    case 'http':
      return new HttpSink(config);
    default: {
      // Unreachable after schema validation; kept so a config built by hand cannot slip through silently.
      const type = (config as { type?: unknown }).type;
      throw new LogdriverError(ErrorCodes.SINK_CONFIG, `unknown sink type ${JSON.stringify(type)}`);
    }
  }
}
