// Zod field types shared by the service schema and every sink's own schema (sizes, secrets, counts).
import { z } from 'zod';
import { Secret } from './secret.js';
import { parseByteSize, parseListen, type ListenAddress } from './units.js';

export const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a byte size (use a number or e.g. "512KiB", "10GiB")` });
    return z.NEVER;
  }
  return n;
});

export const listen = z.string().transform((v, ctx): ListenAddress => {
  const a = parseListen(v);
  if (!a) {
    ctx.addIssue({
      code: 'custom',
      message: `not a listen address (expected host:port, e.g. 127.0.0.1:9000)`,
    });
    return z.NEVER;
  }
  return a;
});

/** A non-empty string kept wrapped so it prints as "[redacted]" everywhere. */
export const secret = z
  .string()
  .min(1)
  .transform((v) => new Secret(v));
/** Counts and milliseconds. Capped at 2^31-1: Node turns a longer timer into 1 ms. */
export const positiveInt = z
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);
export const nonNegativeInt = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31 - 1);

/** A request or event size a sink takes: at least 1 KiB, so no setting can make every envelope too large. */
export const payloadBytes = byteSize.refine((n) => n >= 1024, 'must be at least 1KiB');

/** `onAuthFailure`, shared by every sink that authenticates: hold and retry (default) or dead-letter. */
export const onAuthFailure = z.enum(['retry', 'dead_letter']).default('retry');

/** TLS settings of an outgoing connection: verification is always on; an extra CA may be trusted. */
export const clientTls = z.strictObject({ caFile: z.string().min(1).optional() }).prefault({});

/**
 * TLS of one of logdriver's own listeners: PEM files, re-read when they change. With `clientCaFile`, clients
 * must present a certificate that CA signed (mutual TLS).
 */
export const serverTls = z
  .strictObject({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    clientCaFile: z.string().min(1).optional(),
  })
  .optional();
