// The HTTP transport every HTTP-based sink shares: one undici pool per origin (or the proxy named by
// HTTPS_PROXY/HTTP_PROXY), TLS verification always on with an optional extra CA, a timeout over the whole
// exchange, bounded body reads, and transport failures turned into a `retry` with a stable code.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import type { SinkOutcome } from '../types.js';
import { sanitizeReason, type HttpResponseInfo } from './response.js';

export interface HttpTransportOptions {
  /** The endpoint's URL; only its origin is used for the pool. */
  readonly url: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Extra CA bundle (PEM file) trusted on top of Node's roots. */
  readonly caFile?: string | undefined;
  /** Names the sink in error messages ("splunk_hec sink: …"). */
  readonly sinkType: string;
  /** Environment for proxy settings (process.env by default). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface HttpRequest {
  readonly method: 'POST' | 'GET';
  /** Path and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** The answer, or why there is none (as the `retry` outcome delivery should apply). */
export type HttpExchange =
  | { readonly ok: true; readonly response: HttpResponseInfo }
  | { readonly ok: false; readonly outcome: Extract<SinkOutcome, { kind: 'retry' }> };

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

/** The first string `code` along an error's cause chain (undici's UND_ERR_*, Node's ECONNREFUSED…). */
export function errorCode(err: unknown): string | undefined {
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
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** A short reason for a transport failure: the stable code first, the message only as detail. */
export function transportReason(err: unknown, secrets: readonly string[] = []): string {
  const code = errorCode(err);
  const message = sanitizeReason(err instanceof Error ? err.message : String(err), secrets);
  if (code === 'ECONNREFUSED') return `connection refused (ECONNREFUSED)`;
  const detail = code ? `${message} (${code})` : message;
  if (code && TLS_CODE.test(code)) return `TLS: ${detail}`;
  return `transport error: ${detail}`;
}

/** The proxy settings of an environment, as undici's EnvHttpProxyAgent reads them (either case). */
function proxySettings(env: NodeJS.ProcessEnv): {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
} {
  const read = (name: string): string | undefined => env[name.toLowerCase()] ?? env[name] ?? undefined;
  const out: { httpProxy?: string; httpsProxy?: string; noProxy?: string } = {};
  const http = read('HTTP_PROXY');
  const https = read('HTTPS_PROXY');
  const no = read('NO_PROXY');
  if (http) out.httpProxy = http;
  if (https) out.httpsProxy = https;
  if (no !== undefined) out.noProxy = no;
  return out;
}

export class HttpTransport {
  readonly origin: string;
  readonly timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  #closing: Promise<void> | undefined;

  /** Throws LogdriverError(SINK_CONFIG) when the CA file cannot be read. */
  constructor(opts: HttpTransportOptions) {
    const url = new URL(opts.url);
    this.origin = url.origin;
    this.timeoutMs = opts.timeoutMs;
    let ca: string | undefined;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile, 'utf8');
      } catch (err) {
        throw new LogdriverError(
          ErrorCodes.SINK_CONFIG,
          `${opts.sinkType} sink: cannot read tls.caFile ${opts.caFile}`,
          { cause: err },
        );
      }
    }
    // TLS verification stays on (undici's default). The extra CA is added to Node's bundled roots: `ca`
    // alone would replace them and break every publicly signed endpoint.
    const connect =
      ca === undefined
        ? { timeout: opts.timeoutMs }
        : { timeout: opts.timeoutMs, ca: [...rootCertificates, ca] };
    const timeouts = { headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs };
    const proxy = proxySettings(opts.env ?? process.env);
    const proxied = url.protocol === 'https:' ? proxy.httpsProxy : proxy.httpProxy;
    // A proxy only when the environment names one for this scheme; NO_PROXY is honoured by undici's
    // EnvHttpProxyAgent, which gets the settings explicitly (not from process.env behind our back).
    // Through a proxy the TLS connection to the endpoint is made from `requestTls`, not `connect`: the extra
    // CA and the connect timeout must go there too.
    this.#dispatcher = proxied
      ? new EnvHttpProxyAgent({
          ...timeouts,
          ...proxy,
          connections: opts.maxConnections,
          connect,
          requestTls: connect,
        })
      : new Pool(this.origin, { ...timeouts, connections: opts.maxConnections, connect });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * One request, one answer. The whole exchange, connect to last byte, is bounded by `timeoutMs`; the body
   * is read up to `readLimit(status)` bytes (0: discarded unread). Never throws.
   */
  async exchange(
    req: HttpRequest,
    signal: AbortSignal,
    readLimit: (status: number) => number,
    secrets: readonly string[] = [],
  ): Promise<HttpExchange> {
    if (this.#closing) return { ok: false, outcome: { kind: 'retry', reason: 'sink closed' } };
    if (signal.aborted) return { ok: false, outcome: { kind: 'retry', reason: 'aborted before sending' } };
    // A private controller rather than AbortSignal.any/timeout: the listener on the caller's (possibly
    // long-lived) signal and the timer are both released in `finally`, so nothing accumulates per request.
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.timeoutMs);
    const onAbort = (): void => request.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.#dispatcher.request({
        origin: this.origin,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal: request.signal,
      });
      const status = res.statusCode;
      const body = res.body as unknown as ResponseBody;
      const limit = readLimit(status);
      if (limit <= 0) {
        // Consumed so the connection goes back to the pool; its content does not matter.
        await body.dump().catch(() => undefined);
        return { ok: true, response: { status, headers: res.headers, body: Buffer.alloc(0) } };
      }
      const read = await readLimited(body, limit);
      return {
        ok: true,
        response: { status, headers: res.headers, body: read.body, bodyTruncated: read.truncated },
      };
    } catch (err) {
      return { ok: false, outcome: { kind: 'retry', reason: this.#failure(err, signal, timedOut, secrets) } };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #failure(err: unknown, signal: AbortSignal, timedOut: boolean, secrets: readonly string[]): string {
    if (signal.aborted) return 'aborted by caller';
    if (timedOut) return `timed out after ${this.timeoutMs} ms`;
    const code = errorCode(err);
    if (code && TIMEOUT_CODES.has(code)) return `timed out after ${this.timeoutMs} ms (${code})`;
    return transportReason(err, secrets);
  }

  /** Waits for requests in flight (delivery aborts them first on shutdown), then closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.#dispatcher.close().catch(() => undefined);
    return this.#closing;
  }
}
