// Who may call the admin listener: the admin token (compared in constant time), or loopback peers when no
// token is configured. Nothing here ever logs, returns or echoes a presented or configured token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';

/** How a caller was let in, for the log line of a mutating call. */
export type Admission = 'token' | 'loopback' | 'open';

export type Verdict =
  | { readonly ok: true; readonly via: Admission }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when the Authorization header carries `Bearer <expected>`. Both sides are hashed first, so the
 * comparison is over equal-length digests and takes the same time whatever the presented value.
 */
export function bearerMatches(expected: Secret, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) return false;
  return timingSafeEqual(digest(m[1]!), digest(expected.reveal()));
}

/**
 * True when the Authorization header carries HTTP Basic credentials whose password is `expected` (any user
 * name). Only the status page takes this form, so a browser's own login prompt can open it; compared as
 * bearerMatches does.
 */
export function basicMatches(expected: Secret, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return timingSafeEqual(digest(decoded.slice(colon + 1)), digest(expected.reveal()));
}

/**
 * Whether a Host header names this machine by a loopback name (localhost, 127.x.x.x, [::1], any port). A
 * browser tricked by DNS rebinding sends the attacker's host name here while its peer address is loopback.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * The rule for one request. `guarded`: a mutating call (or /metrics with metricsRequireToken). With a
 * token, every checked route needs it; without one, guarded calls are taken from loopback peers only and
 * reads are open.
 */
export function admit(
  token: Secret | undefined,
  guarded: boolean,
  header: string | string[] | undefined,
  peer: string | undefined,
  host?: string,
): Verdict {
  if (token) {
    if (bearerMatches(token, header)) return { ok: true, via: 'token' };
    return {
      ok: false,
      status: 401,
      message: header === undefined ? 'the admin token is required' : 'the admin token was refused',
    };
  }
  if (!guarded) return { ok: true, via: 'open' };
  // The peer alone is not enough: a web page the operator opens could reach 127.0.0.1 through DNS rebinding,
  // but its requests then name the attacker's host, not a loopback one.
  if (isLoopback(peer) && isLoopbackHost(host)) return { ok: true, via: 'loopback' };
  return {
    ok: false,
    status: 403,
    message:
      'without admin.token this call is accepted from loopback peers only (Host: localhost or 127.0.0.1)',
  };
}
