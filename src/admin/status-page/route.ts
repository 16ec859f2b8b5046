// `GET /` on the admin listener: the status page. Reads what the /v1/ API reads (the same AdminSource and
// sorts). With admin.token set it needs the token like /v1/ reads do, as `Authorization: Bearer <token>` or,
// so a browser's own login prompt can open it, HTTP Basic with the token as the password (any user name).
// The token never appears in the page: its refresh re-fetches the page itself with the browser's credentials.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Secret } from '../../config/secret.js';
import { MAX_PAGE, SORTS, firstSorted } from '../api.js';
import { basicMatches, bearerMatches } from '../auth.js';
import type { AdminSource } from '../source.js';
import { FRAGMENT_HEADER } from './assets.js';
import { PAGE_SORTS, renderLive, renderPage, type PageSort } from './render.js';

/** Rows shown unless `?limit=` says otherwise (up to MAX_PAGE): enough to see, bounded to render. */
export const DEFAULT_ROWS = 200;

function pageSort(value: string | undefined): PageSort {
  return (PAGE_SORTS as readonly string[]).includes(value ?? '') ? (value as PageSort) : 'backlog';
}

function rows(value: string | undefined): number {
  const n = value !== undefined && /^\d{1,7}$/.test(value) ? Number(value) : DEFAULT_ROWS;
  return Math.min(MAX_PAGE, Math.max(1, n));
}

export function registerStatusPage(
  app: FastifyInstance,
  source: AdminSource,
  token: Secret | undefined,
): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const auth = req.headers.authorization;
    if (token && !bearerMatches(token, auth) && !basicMatches(token, auth)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="logdriver-admin", charset="UTF-8"')
        .type('text/plain; charset=utf-8')
        .send(
          auth === undefined
            ? 'the admin token is required (Authorization: Bearer <token>, or Basic with the token as password)\n'
            : 'the admin token was refused\n',
        );
    }
    // An unknown sort falls back to backlog, an odd limit to the default: a page, not an API contract.
    const sort = pageSort(req.query.sort);
    const limit = rows(req.query.limit);
    const all = await source.tenants();
    const model = {
      status: source.status(),
      tenants: firstSorted(all, SORTS[sort]!, limit),
      total: all.length,
      sort,
      series: source.series?.(),
      now: Date.now(),
    };
    reply.header('vary', FRAGMENT_HEADER);
    if (req.headers[FRAGMENT_HEADER] === 'fragment')
      return reply
        .type('text/html; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(renderLive(model));
    const nonce = randomBytes(16).toString('base64');
    const html = renderPage(model, nonce);
    return reply
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; ` +
          "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      )
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html);
  });
}
