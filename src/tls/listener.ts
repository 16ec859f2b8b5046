// TLS for logdriver's own listeners (HTTP ingest, admin): certificate and key from PEM files, optional client
// certificates checked against a CA, and the files re-read when they change, so a rotated certificate (cert-
// manager, a renewed Let's Encrypt file) is served without a restart and without dropping connections.
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { ErrorCodes, LogdriverError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export interface ListenerTlsConfig {
  /** The server certificate chain (PEM), leaf first. */
  readonly certFile: string;
  /** Its private key (PEM, unencrypted). */
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (PEM); others fail the handshake. */
  readonly clientCaFile?: string;
}

const MIN_TLS_VERSION = 'TLSv1.2';

/** How often the files are checked for changes (a stat each; rotation is rare and not urgent). */
const WATCH_INTERVAL_MS = 2_000;

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new LogdriverError(ErrorCodes.CONFIG_INVALID, `${what} ${file} cannot be read (${reason})`);
  }
}

/** Reads the files and checks they make a usable TLS context (a key matching its certificate, parseable PEM). */
function load(listener: string, cfg: ListenerTlsConfig): SecureContextOptions {
  const options: SecureContextOptions = {
    cert: readPem(`${listener}: tls.certFile`, cfg.certFile),
    key: readPem(`${listener}: tls.keyFile`, cfg.keyFile),
    ...(cfg.clientCaFile ? { ca: readPem(`${listener}: tls.clientCaFile`, cfg.clientCaFile) } : {}),
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new LogdriverError(
      ErrorCodes.CONFIG_INVALID,
      `${listener}: the TLS certificate, key or client CA is unusable (${(err as Error).message})`,
    );
  }
  return options;
}

/**
 * One listener's TLS: `serverOptions()` for creating the server, then `watch(server)` to swap in new files.
 * A new set that does not load (half-written file, key not matching) is refused with a log line and the old
 * certificate stays in use.
 */
export class ListenerTls {
  readonly #cfg: ListenerTlsConfig;
  readonly #listener: string;
  readonly #log: Logger;
  #options: SecureContextOptions;
  #server: TlsServer | undefined;
  readonly #files: string[];
  #stamps: string;
  readonly #onChange = (): void => {
    this.reload();
  };

  /** Throws LogdriverError(CONFIG_INVALID) naming the file when the files cannot be used. */
  constructor(listener: string, cfg: ListenerTlsConfig, log: Logger) {
    this.#listener = listener;
    this.#cfg = cfg;
    this.#log = log;
    this.#files = [cfg.certFile, cfg.keyFile, ...(cfg.clientCaFile ? [cfg.clientCaFile] : [])];
    this.#options = load(listener, cfg);
    this.#stamps = this.#stampOfFiles();
  }

  /** For `https.createServer` (and fastify's `https` option). */
  serverOptions(): HttpsServerOptions {
    const clientAuth = this.#cfg.clientCaFile !== undefined;
    return {
      ...this.#options,
      minVersion: MIN_TLS_VERSION,
      requestCert: clientAuth,
      rejectUnauthorized: clientAuth,
    };
  }

  /** Serves new files on `server` when they change (checked every few seconds), until close(). */
  watch(server: TlsServer): void {
    this.#server = server;
    for (const file of this.#files) {
      watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, this.#onChange);
    }
  }

  /**
   * Re-reads the files now if any changed; true when a new certificate is in use. Called by the watcher and on
   * a config reload (SIGHUP). A cert and key replaced one after the other may be seen half-way: that set fails
   * to load and the next change (the second file) loads the pair.
   */
  reload(): boolean {
    const stamps = this.#stampOfFiles();
    if (stamps === this.#stamps || !this.#server) return false;
    try {
      const options = load(this.#listener, this.#cfg);
      // setSecureContext replaces the server's TLS settings: the floor must be given again, or it is lost.
      this.#server.setSecureContext({ ...options, minVersion: MIN_TLS_VERSION });
      this.#options = options;
      this.#stamps = stamps;
      this.#log.info({ listener: this.#listener }, 'tls: certificate files changed; the new ones are in use');
      return true;
    } catch (err) {
      this.#log.warn(
        { listener: this.#listener, reason: (err as Error).message },
        'tls: certificate files changed but cannot be used; the previous certificate stays in use',
      );
      return false;
    }
  }

  close(): void {
    // With our listener only: another listener may watch the same file.
    for (const file of this.#files) unwatchFile(file, this.#onChange);
    this.#server = undefined;
  }

  #stampOfFiles(): string {
    return this.#files
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }
}
