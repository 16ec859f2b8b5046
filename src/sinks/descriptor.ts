// What a sink folder exports: its type name, its config schema, its payload limits and its factory. The
// catalog assembles the config schema and the registry from these; adding a sink touches no central switch.
import type { Writable } from 'node:stream';
import type { z } from 'zod';
import type { PayloadLimits, Sink } from './types.js';

/** What the service hands every sink it builds. */
export interface SinkContext {
  /** Where stdout sinks write (process.stdout when absent). */
  readonly stdout?: Writable;
}

/** The schema of one sink type: a strict object whose `type` is the sink's literal name. */
export type SinkSchema<T extends string> = z.ZodObject<{ type: z.ZodLiteral<T> } & z.ZodRawShape>;

export interface SinkDescriptor<T extends string, S extends SinkSchema<T>> {
  /** The `type` written in config. */
  readonly type: T;
  readonly schema: S;
  /** What the vendor accepts per request; a config may lower these, never raise them past the vendor. */
  readonly limits: PayloadLimits;
  /**
   * Builds the sink. Throws LogdriverError(SINK_CONFIG) for what the schema cannot check (an unreadable
   * key file, a malformed header); never does I/O that can wait (that belongs to `Sink.start`).
   */
  create(config: z.output<S>, context: SinkContext): Sink;
}

/** Declares a descriptor with its types inferred (the identity function, for inference only). */
export function defineSink<T extends string, S extends SinkSchema<T>>(
  descriptor: SinkDescriptor<T, S>,
): SinkDescriptor<T, S> {
  return Object.freeze(descriptor);
}

/** Limits for sinks that take anything (stdout) or whose server sets no documented bound. */
export const UNBOUNDED_LIMITS: PayloadLimits = Object.freeze({
  maxRequestBytes: Number.MAX_SAFE_INTEGER,
  maxEvents: Number.MAX_SAFE_INTEGER,
  maxEventBytes: Number.MAX_SAFE_INTEGER,
});
