// Extra request headers from a sink's config (`headers:`), checked the same way for every sink that takes them:
// valid names, none the transport owns, values that cannot smuggle a header line, no name given twice.
import type { Secret } from '../../config/secret.js';

/** Headers the transport itself owns; setting them in config would corrupt the request. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'content-encoding',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value must not smuggle a new header line; messages never quote the (possibly secret) value. */
export const FORBIDDEN_IN_HEADER_VALUE = /[\r\n\0]/;

/**
 * The configured headers by lower-cased name, or `fail(message)` thrown for the first one that is not
 * acceptable. `sinkOwned` names further headers the sink sets itself (e.g. its content type).
 */
export function resolveExtraHeaders(
  configured: Readonly<Record<string, Secret>>,
  fail: (message: string) => Error,
  sinkOwned: readonly string[] = [],
): Map<string, { name: string; value: Secret }> {
  const headers = new Map<string, { name: string; value: Secret }>();
  for (const [raw, value] of Object.entries(configured)) {
    const name = raw.toLowerCase();
    if (!TOKEN.test(name)) throw fail(`headers: "${raw}" is not a valid header name`);
    if (TRANSPORT_HEADERS.has(name) || sinkOwned.includes(name))
      throw fail(`headers: "${raw}" is set by the sink and cannot be configured`);
    if (FORBIDDEN_IN_HEADER_VALUE.test(value.reveal()))
      throw fail(`headers: the value of "${raw}" contains CR, LF or NUL`);
    if (headers.has(name)) throw fail(`headers: "${raw}" is given twice`);
    headers.set(name, { name, value });
  }
  return headers;
}
