// Service-account OAuth 2.0 for Cloud Logging: the key file, an RS256 JWT assertion, and a token source that
// exchanges it for short-lived access tokens (one refresh at a time, cached until shortly before expiry).
//
// References:
// - Google's server-to-server flow (JWT header/claims, iss/scope/aud/exp/iat, exp at most 1 hour after iat,
//   token response {access_token, expires_in, token_type}):
//   https://developers.google.com/identity/protocols/oauth2/service-account
// - JWT bearer grant, urn:ietf:params:oauth:grant-type:jwt-bearer: https://www.rfc-editor.org/rfc/rfc7523
// - Token endpoint errors (400 invalid_grant …): https://www.rfc-editor.org/rfc/rfc6749#section-5.2
// - Service account key file fields: https://cloud.google.com/iam/docs/keys-create-delete
// - Behaviour modelled on google-auth-library (jwtclient, gtoken: 5-minute eager refresh):
//   https://github.com/googleapis/google-auth-library-nodejs
//
// Secrets: the private key, each assertion and each access token must never reach a message, a log line,
// util.inspect or JSON.stringify. Errors name fields, never values.
import { createPrivateKey, createSign } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ErrorCodes, LogdriverError } from '../../errors.js';
import { SinkAuthError } from '../transport/batch-sink.js';
import { sanitizeReason, type HttpResponseInfo } from '../transport/response.js';

/** The stable code of token-source failures (to join ErrorCodes as SINK_AUTH). */
export const SINK_AUTH_ERROR_CODE = ErrorCodes.SINK_AUTH;
export const LOGGING_WRITE_SCOPE = 'https://www.googleapis.com/auth/logging.write';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_ASSERTION_LIFETIME_S = 3600;

export interface ServiceAccountKey {
  readonly clientEmail: string;
  /** PEM. */
  readonly privateKey: string;
  readonly privateKeyId?: string;
  readonly tokenUri: string;
  readonly projectId?: string;
}

const keySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(3).includes('@'),
  private_key: z.string().includes('-----BEGIN'),
  private_key_id: z.string().min(1).optional(),
  token_uri: z.url({ protocol: /^https?$/ }).optional(),
  project_id: z.string().min(1).optional(),
});

function configError(message: string): LogdriverError {
  // No cause: JSON.parse and zod errors can quote the input, and the input holds the private key.
  return new LogdriverError(ErrorCodes.SINK_CONFIG, `gcp_logging service account key: ${message}`);
}

/**
 * Parses a service account key file (the JSON the console downloads). The result is frozen and prints
 * without its private key (util.inspect, JSON.stringify); errors name the offending fields only.
 */
export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw configError('not valid JSON');
  }
  const parsed = keySchema.safeParse(doc);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
    throw configError(`invalid or missing field(s): ${fields.join(', ')}`);
  }
  const k = parsed.data;
  try {
    const pk = createPrivateKey(k.private_key);
    if (pk.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw configError('private_key is not an RSA private key in PEM');
  }
  const key = {
    clientEmail: k.client_email,
    tokenUri: k.token_uri ?? DEFAULT_TOKEN_URI,
    ...(k.private_key_id !== undefined ? { privateKeyId: k.private_key_id } : {}),
    ...(k.project_id !== undefined ? { projectId: k.project_id } : {}),
  };
  const redacted = (): Record<string, unknown> => ({ ...key, privateKey: '[redacted]' });
  Object.defineProperties(key, {
    privateKey: { value: k.private_key, enumerable: false },
    toJSON: { value: redacted, enumerable: false },
    [inspect.custom]: { value: () => redacted(), enumerable: false },
  });
  return Object.freeze(key) as unknown as ServiceAccountKey;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An RS256-signed JWT asserting the service account's identity to `audience` (the token URI by default). */
export function signJwtAssertion(
  key: ServiceAccountKey,
  opts: { scope: string; audience?: string; nowMs: number; lifetimeS?: number },
): string {
  const lifetime = Math.min(Math.max(Math.floor(opts.lifetimeS ?? 3600), 1), MAX_ASSERTION_LIFETIME_S);
  const iat = Math.floor(opts.nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = {
    iss: key.clientEmail,
    scope: opts.scope,
    aud: opts.audience ?? key.tokenUri,
    iat,
    exp: iat + lifetime,
  };
  const input = `${b64url(header)}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** Posts a form to the token endpoint; a transport failure throws. */
export type TokenPost = (url: string, form: string, signal: AbortSignal) => Promise<HttpResponseInfo>;

export { SinkAuthError };

export function isSinkAuthError(err: unknown): err is SinkAuthError {
  return err instanceof SinkAuthError;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAt: number;
  readonly expiresAt: number;
}

interface Inflight {
  readonly promise: Promise<CachedToken>;
  readonly controller: AbortController;
  waiters: number;
}

export interface TokenSourceOptions {
  readonly post: TokenPost;
  /** Default LOGGING_WRITE_SCOPE. */
  readonly scope?: string;
  readonly now?: () => number;
  /** Refresh this long before expiry; default 5 minutes, clamped to half the token's lifetime. */
  readonly refreshMarginMs?: number;
}

/**
 * Access tokens for one service account. Callers share one cached token; a refresh happens when it is within
 * the margin of expiry, and concurrent callers share that one request. A failed refresh while the old token
 * is still unexpired returns the old token (the API, not the token endpoint, then has the last word).
 */
export class ServiceAccountTokenSource {
  readonly #key: ServiceAccountKey;
  readonly #post: TokenPost;
  readonly #scope: string;
  readonly #now: () => number;
  readonly #marginMs: number;
  #cached: CachedToken | undefined;
  #inflight: Inflight | undefined;

  constructor(key: ServiceAccountKey, opts: TokenSourceOptions) {
    this.#key = key;
    this.#post = opts.post;
    this.#scope = opts.scope ?? LOGGING_WRITE_SCOPE;
    this.#now = opts.now ?? Date.now;
    this.#marginMs = Math.max(0, opts.refreshMarginMs ?? 5 * 60_000);
  }

  async token(signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const now = this.#now();
    const cached = this.#cached;
    if (cached && now < cached.refreshAt) return cached.token;
    try {
      return (await this.#shared(signal)).token;
    } catch (err) {
      if (!signal.aborted && cached && this.#now() < cached.expiresAt && this.#cached === cached) {
        return cached.token;
      }
      throw err;
    }
  }

  /** Forgets the cached token (after the API refused it); with `token`, only if that is the cached one. */
  invalidate(token?: string): void {
    if (token === undefined || this.#cached?.token === token) this.#cached = undefined;
  }

  /** Joins (or starts) the one refresh; the refresh is aborted only when every caller waiting on it gave up. */
  #shared(signal: AbortSignal): Promise<CachedToken> {
    let flight = this.#inflight;
    if (!flight) {
      const controller = new AbortController();
      const promise = this.#fetch(controller.signal).finally(() => {
        if (this.#inflight === flight) this.#inflight = undefined;
      });
      flight = { promise, controller, waiters: 0 };
      this.#inflight = flight;
    }
    const f = flight;
    f.waiters++;
    return new Promise<CachedToken>((resolve, reject) => {
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        f.waiters--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        if (f.waiters === 0) {
          // Nobody waits any more: stop the request, and let the next caller start a fresh one.
          if (this.#inflight === f) this.#inflight = undefined;
          f.controller.abort(signal.reason);
        }
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (t) => {
          leave();
          resolve(t);
        },
        (err: Error) => {
          leave();
          reject(err);
        },
      );
    });
  }

  async #fetch(signal: AbortSignal): Promise<CachedToken> {
    const assertion = signJwtAssertion(this.#key, { scope: this.#scope, nowMs: this.#now() });
    // The whole assertion, its signature, its unsigned header.claims part (an echo of it alone still names the
    // key and account), and the key.
    const signedPart = assertion.slice(0, assertion.lastIndexOf('.'));
    const secrets = [
      assertion,
      signedPart,
      assertion.slice(assertion.lastIndexOf('.') + 1),
      this.#key.privateKey,
    ];
    const form = new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString();
    const started = this.#now(); // expiry counts from before the request: never later than the server's
    let res: HttpResponseInfo;
    try {
      res = await this.#post(this.#key.tokenUri, form, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const code = (err as { code?: unknown }).code;
      const msg = sanitizeReason(err instanceof Error ? err.message : String(err), secrets);
      throw new SinkAuthError(
        `token request failed: ${msg}${typeof code === 'string' ? ` (${code})` : ''}`,
        false,
      );
    }
    let doc: Record<string, unknown> = {};
    try {
      const v: unknown = JSON.parse(res.body.toString('utf8'));
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) doc = v as Record<string, unknown>;
    } catch {
      // Not JSON: handled below by status / missing fields.
    }
    if (res.status < 200 || res.status > 299) {
      const what = [doc.error, doc.error_description].filter((x) => typeof x === 'string').join(': ');
      const detail = sanitizeReason(what || res.body.toString('utf8'), secrets);
      // 400 (invalid_grant: bad signature, disabled/deleted key, clock skew), 401, 403: the credentials.
      const rejected = res.status === 400 || res.status === 401 || res.status === 403;
      throw new SinkAuthError(
        `token endpoint answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`,
        rejected,
        res.status,
      );
    }
    const { access_token: token, expires_in: expiresIn, token_type: type } = doc;
    if (
      typeof token !== 'string' ||
      token.length === 0 ||
      typeof expiresIn !== 'number' ||
      !(expiresIn > 0) ||
      (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer'))
    ) {
      throw new SinkAuthError('token endpoint answered without a usable bearer token', false, res.status);
    }
    const lifetimeMs = expiresIn * 1000;
    const margin = Math.min(this.#marginMs, lifetimeMs / 2);
    const cached = { token, expiresAt: started + lifetimeMs, refreshAt: started + lifetimeMs - margin };
    this.#cached = cached;
    return cached;
  }
}
