// The HTTP sink: POSTs one encoded batch through an undici Pool and classifies the answer; never throws.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { inspect } from 'node:util';
import { Pool } from 'undici';
import type { HttpSinkConfig } from '../../config/schema.js';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { Sink, SinkBatch, SinkOutcome } from '../types.js';
import { classifyResponse, sanitizeReason } from './classify.js';
import { renderHeaders, resolveHttpSettings, secretValues, type HttpSinkSettings } from './config.js';
import { encodeBody } from './encode.js';

/** A 207 body is read whole up to this size (one entry per failed event of a large batch). */
const MAX_MULTI_STATUS_BYTES = 16 * 1024 * 1024;
/** Of any other response only this much is kept, for the reason; the rest is discarded. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

type ResponseBody = AsyncIterable<Buffer> & { dump(opts?: { limit: number }): Promise<void> };

/** Reads at most `limit` bytes; stopping early destroys the body (undici then drops that connection). */
async function readLimited(body: ResponseBody, limit: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      if (total + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - total));
        return { body: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  } catch {
    // A body cut off mid-way (reset, bodyTimeout): what arrived is still worth a reason.
    return { body: Buffer.concat(chunks), truncated: true };
  }
  return { body: Buffer.concat(chunks), truncated: false };
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // Node's happy-eyeballs connect reports an AggregateError of per-address failures.
    const inner = e instanceof AggregateError ? (e.errors[0] as unknown) : undefined;
    e = inner ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const TLS_CODE = /CERT|^ERR_TLS_|^ERR_SSL_|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|SIGNATURE/;

/** A short reason for a transport failure: the stable code first, the message only as detail. */
function transportReason(err: unknown): string {
  const code = errorCode(err);
  const message = sanitizeReason(err instanceof Error ? err.message : String(err));
  if (code === 'ECONNREFUSED') return `connection refused (ECONNREFUSED)`;
  const detail = code ? `${message} (${code})` : message;
  if (code && TLS_CODE.test(code)) return `TLS: ${detail}`;
  return `transport error: ${detail}`;
}

export class HttpSink implements Sink {
  readonly type = 'http';
  /** Frozen settings; secret header values inside print as "[redacted]". */
  readonly settings: HttpSinkSettings;
  readonly #pool: Pool;
  #closing: Promise<void> | undefined;

  constructor(cfg: HttpSinkConfig) {
    this.settings = resolveHttpSettings(cfg);
    const { caFile, timeoutMs } = this.settings;
    let ca: string | undefined;
    if (caFile !== undefined) {
      try {
        ca = readFileSync(caFile, 'utf8');
      } catch (err) {
        throw new LogdriverError(ErrorCodes.SINK_CONFIG, `http sink: cannot read tls.caFile ${caFile}`, {
          cause: err,
        });
      }
    }
    this.#pool = new Pool(this.settings.origin, {
      connections: this.settings.maxConnections,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // TLS verification stays on (undici's default). The extra CA is added to Node's bundled roots:
      // `ca` alone would replace them and break every publicly signed endpoint.
      connect:
        ca === undefined ? { timeout: timeoutMs } : { timeout: timeoutMs, ca: [...rootCertificates, ca] },
    });
  }

  async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    if (this.#closing) return { kind: 'retry', reason: 'sink closed' };
    if (batch.count === 0) return { kind: 'delivered' };
    if (signal.aborted) return { kind: 'retry', reason: 'aborted before sending' };
    const { timeoutMs } = this.settings;
    // headersTimeout/bodyTimeout bound each wait; this bounds the whole exchange, connect to last byte.
    // A private controller rather than AbortSignal.any/timeout: the listener on the caller's (possibly
    // long-lived) signal and the timer are both released in `finally`, so nothing accumulates per send.
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, timeoutMs);
    const onAbort = (): void => request.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // The body may be the buffer's own bytes (a lease's lines, no copy): undici and gzip only read it, and
      // the lease, held until this send settles, keeps them unchanged.
      const body = await encodeBody(batch, this.settings);
      const res = await this.#pool.request({
        path: this.settings.path,
        method: 'POST',
        headers: renderHeaders(this.settings),
        body,
        signal: request.signal,
      });
      const status = res.statusCode;
      const responseBody = res.body as unknown as ResponseBody;
      if (status >= 200 && status <= 299 && status !== 207) {
        // Always consume the body so the connection goes back to the pool; its content does not matter.
        await responseBody.dump().catch(() => undefined);
        return { kind: 'delivered' };
      }
      const read = await readLimited(
        responseBody,
        status === 207 ? MAX_MULTI_STATUS_BYTES : MAX_ERROR_BODY_BYTES,
      );
      return classifyResponse(
        { status, headers: res.headers, body: read.body, bodyTruncated: read.truncated },
        // Ids only for a 207, the one answer that names events: decoding the batch costs a pass over it.
        { batchIds: () => batch.events().map((e) => e.id), secrets: secretValues(this.settings) },
      );
    } catch (err) {
      if (signal.aborted) return { kind: 'retry', reason: 'aborted by caller' };
      if (timedOut) return { kind: 'retry', reason: `timed out after ${timeoutMs} ms` };
      const code = errorCode(err);
      if (
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT' ||
        code === 'UND_ERR_CONNECT_TIMEOUT'
      ) {
        return { kind: 'retry', reason: `timed out after ${timeoutMs} ms (${code})` };
      }
      return { kind: 'retry', reason: transportReason(err) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Waits for requests in flight (delivery aborts them first on shutdown), then closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.close().catch(() => undefined);
    return this.#closing;
  }

  toJSON(): { type: string; url: string } {
    return { type: this.type, url: this.settings.url };
  }

  [inspect.custom](): string {
    return `HttpSink { url: ${JSON.stringify(this.settings.url)} }`;
  }
}
