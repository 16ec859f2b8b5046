// The CLI's client of a running service's admin API (`status`, and `inspect`/`dlq` with --url): one request
// helper, and one-line errors (exit code 2) when the service is unreachable or refuses the token.
import type { Command } from 'commander';
import { request } from 'undici';

export const TOKEN_ENV = 'LOGDRIVER_ADMIN_TOKEN';
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9100';

export interface ApiFlags {
  url?: string;
  token?: string;
}

/** --url and --token. The token's default comes from the environment and is never shown in --help. */
export function addApiFlags(cmd: Command, urlHelp: string, defaultUrl?: string): Command {
  return cmd
    .option('-u, --url <url>', urlHelp, defaultUrl)
    .option('--token <token>', `admin token (admin.token; default: env ${TOKEN_ENV})`);
}

/** A failure the CLI reports as one line. */
export class ApiError extends Error {}

export class AdminClient {
  readonly base: string;
  readonly #token: string | undefined;

  constructor(flags: ApiFlags) {
    const url = flags.url ?? DEFAULT_ADMIN_URL;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ApiError(`--url ${url} is not a URL (expected e.g. ${DEFAULT_ADMIN_URL})`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new ApiError(`--url ${url} must be an http:// or https:// URL`);
    this.base = parsed.origin + parsed.pathname.replace(/\/+$/, '');
    const token = flags.token ?? process.env[TOKEN_ENV];
    this.#token = token === '' ? undefined : token;
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await request(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why =
        code === 'ECONNREFUSED'
          ? 'connection refused (is the service running, and is admin.listen this address?)'
          : code
            ? `${code}: ${(err as Error).message}`
            : (err as Error).message;
      throw new ApiError(`cannot reach the admin API at ${this.base}: ${why}`);
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (json === undefined)
        throw new ApiError(`the admin API at ${this.base} answered ${path} with no JSON`);
      return json as T;
    }
    const message = (json as { message?: unknown } | undefined)?.message;
    const said = typeof message === 'string' ? message : text.slice(0, 200);
    if (res.statusCode === 401) {
      throw new ApiError(
        this.#token === undefined
          ? `the admin API at ${this.base} requires a token (401): pass --token or set ${TOKEN_ENV}`
          : `the admin API at ${this.base} refused the token (401): check --token or ${TOKEN_ENV} against admin.token`,
      );
    }
    if (res.statusCode === 404 && path.startsWith('/v1/status'))
      throw new ApiError(
        `${this.base} has no /v1/status: not a logdriver admin listener, or an older version`,
      );
    throw new ApiError(`the admin API at ${this.base} answered ${res.statusCode}: ${said}`);
  }
}

/** Runs a command against the API; an ApiError becomes one line on stderr and exit code 2. */
export async function withApi(command: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    process.stderr.write(`logdriver ${command}: ${err.message}\n`);
    process.exitCode = 2;
  }
}

/** 1536 -> "1.5 KiB". */
/**
 * Text from producers and sinks (tenant ids, error reasons) made safe for a terminal: control characters
 * (C0, DEL, C1: escape sequences among them) become "?", so a hostile tenant id cannot drive the terminal.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** 192000 -> "3m12s". */
export function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
