// The default sink: each batch's NDJSON lines written as they are to a stream (process.stdout by default).
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { defineSink, UNBOUNDED_LIMITS } from './descriptor.js';
import type { PayloadLimits, Sink, SinkBatch, SinkOutcome } from './types.js';

export interface StdoutSinkOptions {
  /** Where the lines go; the sink never ends or destroys it (it does not own it). */
  readonly stream?: Writable;
}

/**
 * Per-stream state shared by every sink writing to it (many tenants may share process.stdout), so that
 * listeners stay one per stream however many sinks or in-flight batches there are.
 */
interface StreamState {
  /** The first 'error' the stream emitted (EPIPE when the reader of stdout went away). */
  error: Error | undefined;
  /** Settles on the next 'drain' (or 'close'/'error'); undefined when nobody is waiting. */
  drain: Promise<void> | undefined;
}

const streams = new WeakMap<Writable, StreamState>();

function stateOf(stream: Writable): StreamState {
  let st = streams.get(stream);
  if (!st) {
    const created: StreamState = { error: undefined, drain: undefined };
    // Without an 'error' listener an EPIPE would crash the process; it is reported as a `retry` instead.
    stream.on('error', (err: Error) => {
      created.error ??= err;
    });
    streams.set(stream, created);
    st = created;
  }
  return st;
}

function drained(stream: Writable, st: StreamState): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  st.drain ??= new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      st.drain = undefined;
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
  return st.drain;
}

/** Rejects when `signal` aborts first; the one listener is removed either way. */
function abortable<T>(p: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error(`aborted while ${what}`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export class StdoutSink implements Sink {
  readonly type = 'stdout';
  readonly limits: PayloadLimits = UNBOUNDED_LIMITS;
  /** A stream has no credentials to refuse. */
  readonly onAuthFailure = 'retry' as const;
  readonly #stream: Writable;
  readonly #state: StreamState;
  #closed = false;

  constructor(opts: StdoutSinkOptions = {}) {
    this.#stream = opts.stream ?? process.stdout;
    this.#state = stateOf(this.#stream);
  }

  async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    if (this.#closed) return { kind: 'retry', reason: 'sink closed' };
    if (batch.count === 0) return { kind: 'delivered' };
    if (signal.aborted) return { kind: 'retry', reason: 'aborted before write' };
    const unusable = this.#unusable();
    if (unusable) return { kind: 'retry', reason: unusable };
    // The stored lines themselves, not a copy. The stream may keep a reference until it flushes, even past an
    // abort that ends this send early; that is safe because the buffer never modifies or transfers a lines
    // Buffer it handed out (chunks get new Buffers instead), an invariant of buffer/ this sink relies on.
    const body = batch.ndjson();
    try {
      await this.#write(body, signal);
    } catch (err) {
      return { kind: 'retry', reason: `stream write failed: ${describe(err)}` };
    }
    const late = this.#state.error;
    if (late) return { kind: 'retry', reason: `stream error: ${describe(late)}` };
    return { kind: 'delivered' };
  }

  /** Stops accepting batches. The stream is left open: the sink does not own it. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #unusable(): string | undefined {
    const s = this.#stream;
    if (this.#state.error) return `stream error: ${describe(this.#state.error)}`;
    if (s.destroyed) return 'stream destroyed';
    if (s.writableEnded) return 'stream ended';
    return undefined;
  }

  /**
   * One write for the whole batch. Resolves once the stream took the chunk (its write callback, which a
   * Writable always calls, with an error if it is destroyed first) and, when write() reported a full
   * buffer, once it drained: the caller's next batch is not piled on top. A stream may never drain (a
   * stuck reader); the abort signal from delivery is what bounds the wait.
   */
  async #write(body: Buffer, signal: AbortSignal): Promise<void> {
    const s = this.#stream;
    let ok = true;
    const written = new Promise<void>((resolve, reject) => {
      ok = s.write(body, (err) => (err ? reject(err) : resolve()));
    });
    // Observed at once so a rejection after an abort is not reported as unhandled.
    written.catch(() => undefined);
    await abortable(written, signal, 'waiting for the stream to take the batch');
    if (!ok) await abortable(drained(s, this.#state), signal, 'waiting for the stream to drain');
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

export const stdoutSinkSchema = z.strictObject({ type: z.literal('stdout') });

export const stdoutSink = defineSink({
  type: 'stdout',
  schema: stdoutSinkSchema,
  limits: UNBOUNDED_LIMITS,
  create: (_config, context) => new StdoutSink(context.stdout ? { stream: context.stdout } : {}),
});
