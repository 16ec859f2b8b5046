// Every sink type logdriver knows, as descriptors: the config schema and the factory are assembled from
// this one list. Adding a sink is a folder with a descriptor and one line here.
import { z } from 'zod';
import { ErrorCodes, LogdriverError } from '../errors.js';
import { datadogSink } from './datadog/index.js';
import { elasticsearchSink } from './elasticsearch/index.js';
import type { SinkContext } from './descriptor.js';
import { gcpLoggingSink } from './gcp_logging/index.js';
import { httpSink } from './http/index.js';
import { otlpSink } from './otlp/index.js';
import { splunkHecSink } from './splunk_hec/index.js';
import { stdoutSink } from './stdout.js';
import { syslogSink } from './syslog/index.js';
import type { Sink } from './types.js';

const DESCRIPTORS = [
  stdoutSink,
  httpSink,
  splunkHecSink,
  gcpLoggingSink,
  datadogSink,
  otlpSink,
  syslogSink,
  elasticsearchSink,
] as const;

/** A tenant's (or the default) sink config: one of the sink schemas, chosen by `type`. */
export const sinkSchema = z.discriminatedUnion('type', [
  stdoutSink.schema,
  httpSink.schema,
  splunkHecSink.schema,
  gcpLoggingSink.schema,
  datadogSink.schema,
  otlpSink.schema,
  syslogSink.schema,
  elasticsearchSink.schema,
]);
export type SinkConfig = z.output<typeof sinkSchema>;

/** The sink type names, for messages and docs. */
export const SINK_TYPES: readonly string[] = DESCRIPTORS.map((d) => d.type);

type AnyDescriptor = (typeof DESCRIPTORS)[number];
const BY_TYPE = new Map<string, AnyDescriptor>(DESCRIPTORS.map((d) => [d.type, d]));

/** Builds the sink a validated config names. Throws LogdriverError(SINK_CONFIG) when it cannot be built. */
export function createSink(config: SinkConfig, context: SinkContext = {}): Sink {
  const descriptor = BY_TYPE.get(config.type);
  if (!descriptor) {
    // Unreachable after schema validation; kept so a config built by hand cannot slip through silently.
    throw new LogdriverError(ErrorCodes.SINK_CONFIG, `unknown sink type ${JSON.stringify(config.type)}`);
  }
  // The descriptor and the config share their `type`, so this is the config the descriptor's schema made.
  return (descriptor.create as (c: SinkConfig, ctx: SinkContext) => Sink)(config, context);
}
