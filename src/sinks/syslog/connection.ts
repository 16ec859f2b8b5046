// The syslog sink's one connection (TCP or TLS): connect with a timeout, reconnect with capped back-off,
// and sends serialised so that frames of concurrent batches (several tenants, one sink) never interleave.
//
// TCP syslog has no acknowledgement. What a successful send proves depends on the mode:
// - `close`: the batch goes on a connection of its own, which we then half-close; the receiver reads up to
//   our end of stream before it closes its side, so its clean close (FIN, no reset, no error, and only after
//   ours) proves it read every byte. A receiver that dies with unread bytes resets the connection instead.
// - `write`: one kept connection; success means the bytes were handed to the kernel (the write callback)
//   and no error, reset or close was seen up to then. Bytes in socket buffers when the receiver goes away
//   are lost without notice: this mode trades that for speed.
import net from 'node:net';
import tls from 'node:tls';

export type SendFailure =
  /** A connect failed recently: no new attempt before the back-off ends. */
  | { readonly kind: 'backoff'; readonly reason: string; readonly retryAfterMs: number }
  /** We refused the server's certificate (unknown CA, wrong name, expired): a configuration problem. */
  | { readonly kind: 'untrusted'; readonly reason: string }
  /** The server refused our client certificate (or wanted one) with a TLS alert. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** Anything else: refused connection, reset, close, timeout, abort. */
  | { readonly kind: 'network'; readonly reason: string };

export type SendResult = { readonly ok: true } | { readonly ok: false; readonly failure: SendFailure };

export interface SyslogConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** tls.connect options (verification on); undefined for plain TCP. */
  readonly tls: tls.ConnectionOptions | undefined;
  readonly timeoutMs: number;
  readonly confirm: 'close' | 'write';
  /** Reconnect back-off after failed connects: initialMs doubling up to maxMs. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

export const DEFAULT_RECONNECT_BACKOFF = Object.freeze({ initialMs: 200, maxMs: 30_000 });

/** Node/OpenSSL verification results meaning "the server's certificate is not one we trust". */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** TLS alerts a server sends when it does not accept our certificate (OpenSSL's error codes for them). */
const REFUSED_ALERT =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = codeOf(err);
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Classifies a connection error by its stable code (never by message text). */
export function classifyConnectionError(err: unknown): SendFailure {
  const code = codeOf(err);
  const reason = describeError(err);
  if (code !== undefined && UNTRUSTED_CODES.has(code)) {
    return { kind: 'untrusted', reason: `server certificate not trusted: ${reason}` };
  }
  if (code !== undefined && REFUSED_ALERT.test(code)) {
    return { kind: 'refused', reason: `server refused the client certificate: ${reason}` };
  }
  return { kind: 'network', reason };
}

class FailedError extends Error {}

/** One socket and what has happened to it. */
class Link {
  error: Error | undefined;
  peerEnded = false;
  closed = false;
  readonly closedPromise: Promise<void>;

  constructor(readonly socket: net.Socket) {
    // Always listened to: an unhandled 'error' would crash the process.
    socket.on('error', (err: Error) => {
      this.error ??= err;
    });
    socket.on('end', () => {
      this.peerEnded = true;
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
    // A syslog receiver sends nothing; reading keeps 'end' (the receiver closing) observable.
    socket.resume();
  }

  /** Why this link is no longer usable, or undefined when it is. */
  problem(): string | undefined {
    if (this.error) return describeError(this.error);
    if (this.peerEnded) return 'the receiver closed the connection';
    if (this.closed || this.socket.destroyed) return 'connection closed';
    return undefined;
  }
}

/** Runs `start` and settles when it calls back, `timeoutMs` passes (destroying the socket) or `signal` aborts. */
function guarded(
  link: Link,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
  start: (done: (err?: Error | null) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const fail = (message: string): void => {
      const err = new FailedError(message);
      link.socket.destroy(err);
      finish(err);
    };
    const timer = setTimeout(() => fail(`${what} timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => fail(`aborted while ${what}`);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    start(finish);
  });
}

export class SyslogConnection {
  readonly #opts: SyslogConnectionOptions;
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  #link: Link | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #notBefore = 0;
  #lastConnectError = '';
  #closed = false;

  constructor(opts: SyslogConnectionOptions) {
    this.#opts = opts;
    this.#backoff = opts.backoff ?? DEFAULT_RECONNECT_BACKOFF;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `bytes` (whole frames), after every send started before it has finished. Never throws. */
  send(bytes: Buffer, signal: AbortSignal): Promise<SendResult> {
    const run = this.#tail.then(() => this.#sendNow(bytes, signal));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stops new sends, lets the ones queued finish (each bounded by its timeout), then ends the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    const link = this.#link;
    this.#link = undefined;
    if (!link || link.closed) return;
    link.socket.end();
    const timer = setTimeout(() => link.socket.destroy(), this.#opts.timeoutMs);
    await link.closedPromise;
    clearTimeout(timer);
  }

  async #sendNow(bytes: Buffer, signal: AbortSignal): Promise<SendResult> {
    if (this.#closed) return { ok: false, failure: { kind: 'network', reason: 'sink closed' } };
    if (signal.aborted) return { ok: false, failure: { kind: 'network', reason: 'aborted before sending' } };
    let link = this.#link;
    if (link?.problem() !== undefined) {
      link.socket.destroy();
      link = this.#link = undefined;
    }
    if (!link) {
      const wait = this.#notBefore - Date.now();
      if (wait > 0) {
        return {
          ok: false,
          failure: { kind: 'backoff', reason: `reconnecting: ${this.#lastConnectError}`, retryAfterMs: wait },
        };
      }
      try {
        link = await this.#open(signal);
      } catch (err) {
        const failure = classifyConnectionError(err);
        this.#connectFailed(failure.reason);
        return { ok: false, failure };
      }
      this.#failures = 0;
      if (this.#opts.confirm === 'write') this.#link = link;
    }
    try {
      await this.#transmit(link, bytes, signal);
      return { ok: true };
    } catch (err) {
      // The link may hold part of a frame: it is never written to again.
      link.socket.destroy();
      if (this.#link === link) this.#link = undefined;
      return { ok: false, failure: classifyConnectionError(link.error ?? err) };
    }
  }

  async #transmit(link: Link, bytes: Buffer, signal: AbortSignal): Promise<void> {
    const { timeoutMs } = this.#opts;
    await guarded(link, timeoutMs, signal, 'writing', (done) => {
      link.socket.write(bytes, (err) => done(err));
    });
    if (this.#opts.confirm === 'write') {
      const problem = link.problem();
      if (problem !== undefined) throw link.error ?? new FailedError(problem);
      return;
    }
    // `close`: half-close, then wait for the receiver's clean close after ours.
    if (link.problem() !== undefined) throw link.error ?? new FailedError(link.problem());
    link.socket.end();
    await guarded(link, timeoutMs, signal, 'waiting for the receiver to close', (done) => {
      void link.closedPromise.then(() => done());
    });
    if (link.error) throw link.error;
    if (!link.peerEnded) throw new FailedError('connection closed without the receiver closing its side');
  }

  #connectFailed(reason: string): void {
    this.#failures++;
    const { initialMs, maxMs } = this.#backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.#failures - 1, 30));
    this.#notBefore = Date.now() + delay;
    this.#lastConnectError = reason;
  }

  async #open(signal: AbortSignal): Promise<Link> {
    const { host, port, timeoutMs } = this.#opts;
    const socket = this.#opts.tls
      ? tls.connect({ ...this.#opts.tls, host, port })
      : net.connect({ host, port });
    const link = new Link(socket);
    const ready = this.#opts.tls ? 'secureConnect' : 'connect';
    await guarded(link, timeoutMs, signal, 'connecting', (done) => {
      socket.once(ready, () => done());
      socket.once('error', (err: Error) => done(err));
      socket.once('close', () => done(link.error ?? new FailedError('connection closed while connecting')));
    });
    socket.setNoDelay(true);
    return link;
  }
}
