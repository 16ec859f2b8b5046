// The admin API's /v1/ routes (JSON): status, tenants, dead letters (list, replay, purge). Who may call them
// is decided in server.ts before a handler runs; handlers log every mutating call once, without credentials.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, isLogdriverError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Admission } from './auth.js';
import type { AdminSource, TenantView } from './source.js';

export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

/** Code-unit order of tenant names: a tie-breaker that stays cheap with a million tenants (no locale rules). */
const byName = (a: TenantView, b: TenantView): number =>
  a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0;

export const SORTS: Record<string, (a: TenantView, b: TenantView) => number> = {
  // Largest backlog first; ties by name so pages are stable.
  backlog: (a, b) => b.events - a.events || b.bytes - a.bytes || byName(a, b),
  // Oldest waiting event first; tenants with nothing stored last.
  age: (a, b) => (b.oldestAgeMs ?? -1) - (a.oldestAgeMs ?? -1) || byName(a, b),
  // Most recent error first.
  errors: (a, b) => (b.lastError?.at ?? 0) - (a.lastError?.at ?? 0) || byName(a, b),
  deadLetters: (a, b) => b.deadLetters - a.deadLetters || byName(a, b),
  tenant: byName,
};

/**
 * The first `n` of `list` in `compare` order, without sorting all of it: a heap of the `n` best so far
 * (O(length · log n)). The status page and /v1/tenants show one page of up to a million tenants; a full sort of
 * them per request took most of a second. Leaves `list` as it was.
 */
export function firstSorted<T>(list: readonly T[], compare: (a: T, b: T) => number, n: number): T[] {
  if (n <= 0) return [];
  if (n >= list.length) return [...list].sort(compare);
  // A max-heap on `compare`: its root is the worst of those kept, the one a better element replaces.
  const heap: T[] = [];
  const worse = (i: number, j: number): boolean => compare(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number): void => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  for (const x of list) {
    if (heap.length < n) {
      heap.push(x);
      for (let i = heap.length - 1; i > 0 && worse(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
      continue;
    }
    if (compare(x, heap[0]!) >= 0) continue;
    heap[0] = x;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < n && worse(l, top)) top = l;
      if (r < n && worse(r, top)) top = r;
      if (top === i) break;
      swap(i, top);
      i = top;
    }
  }
  return heap.sort(compare);
}

class BadRequest extends Error {}

/** A mutating call's JSON body as an object (none: empty); anything else is a 400. */
function objectBody(raw: unknown): Record<string, unknown> {
  const body = raw ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function int(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** A time as ms since the epoch or an ISO 8601 date. */
function time(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isFinite(n)) return n;
  }
  throw new BadRequest(`${name} must be milliseconds since the epoch or an ISO 8601 date`);
}

function optionalTenant(value: unknown, name = 'tenant'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new BadRequest(`${name} must be a non-empty string`);
  return value;
}

/** The caller of a mutating call as its log line names it. */
export interface Caller {
  readonly peer: string | undefined;
  readonly via: Admission;
}

export function callerOf(req: FastifyRequest): Caller {
  return { peer: req.socket.remoteAddress, via: (req as { adminVia?: Admission }).adminVia ?? 'open' };
}

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof BadRequest) return reply.code(400).send({ error: 'bad_request', message: err.message });
  if (isLogdriverError(err, ErrorCodes.BUFFER_CLOSED))
    return reply.code(503).send({ error: 'unavailable', message: 'the service is stopping' });
  if (isLogdriverError(err, ErrorCodes.BUFFER_FULL))
    return reply.code(503).send({ error: 'buffer_full', message: err.message });
  throw err;
}

/** Registers the /v1/ routes; `mutating: true` in a route's config makes server.ts guard it. */
export function registerApi(app: FastifyInstance, source: AdminSource, log: Logger | undefined): void {
  const audit = (req: FastifyRequest, fields: Record<string, unknown>, msg: string): void => {
    const { peer, via } = callerOf(req);
    log?.info({ admin: { peer, auth: via, ...fields } }, msg);
  };

  app.get('/v1/status', () => source.status());

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/tenants', async (req, reply) => {
    try {
      const q = req.query;
      const limit = int(q.limit, 'limit', 1, MAX_PAGE, DEFAULT_PAGE);
      // `cursor` is the offset the previous page handed out; `offset` may be given directly.
      const offset = int(q.cursor ?? q.offset, q.cursor !== undefined ? 'cursor' : 'offset', 0, 2 ** 31, 0);
      const sortName = q.sort ?? 'backlog';
      const sort = Object.hasOwn(SORTS, sortName) ? SORTS[sortName] : undefined;
      if (!sort) throw new BadRequest(`sort must be one of ${Object.keys(SORTS).join(', ')}`);
      const all = await source.tenants();
      const page = firstSorted(all, sort, offset + limit).slice(offset);
      const next = offset + page.length;
      return {
        total: all.length,
        offset,
        limit,
        sort: sortName,
        tenants: page,
        nextCursor: next < all.length ? String(next) : null,
      };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.get<{ Params: { tenant: string } }>('/v1/tenants/:tenant', async (req, reply) => {
    const t = await source.tenant(req.params.tenant);
    if (!t)
      return reply
        .code(404)
        .send({ error: 'not_found', message: 'nothing stored, no lane and no dead letters for this tenant' });
    return t;
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/dead-letters', async (req, reply) => {
    try {
      const q = req.query;
      const limit = int(q.limit, 'limit', 1, MAX_PAGE, DEFAULT_PAGE);
      const afterSeq = int(q.cursor, 'cursor', 0, Number.MAX_SAFE_INTEGER, 0);
      const letters = await source.deadLetters({
        tenant: optionalTenant(q.tenant),
        since: time(q.since, 'since'),
        until: time(q.until, 'until'),
        afterSeq,
        limit,
      });
      // A full page may have more after it; the cursor is the last seq shown (letters are listed by seq).
      const nextCursor = letters.length === limit ? String(letters.at(-1)!.seq) : null;
      return { deadLetters: letters, nextCursor };
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post<{ Body: unknown }>(
    '/v1/dead-letters/replay',
    { config: { mutating: true } },
    async (req, reply) => {
      try {
        const body = objectBody(req.body);
        const tenant = optionalTenant(body.tenant);
        const result = await source.replay(tenant);
        audit(
          req,
          {
            action: 'replay',
            tenant: tenant ?? '*',
            replayed: result.replayed,
            unreadable: result.unreadable,
          },
          'admin: dead letters replayed',
        );
        return reply.code(200).send(result);
      } catch (err) {
        return fail(reply, err);
      }
    },
  );

  app.post<{ Body: unknown }>(
    '/v1/dead-letters/purge',
    { config: { mutating: true } },
    async (req, reply) => {
      try {
        const body = objectBody(req.body);
        const tenant = optionalTenant(body.tenant);
        const all = body.all === true;
        // Purging is irreversible and these are security events: a body naming nothing deletes nothing.
        if ((tenant === undefined) === !all)
          throw new BadRequest('name what to purge: {"tenant": "<id>"} for one tenant, or {"all": true}');
        const purged = await source.purge(tenant);
        audit(req, { action: 'purge', tenant: tenant ?? '*', purged }, 'admin: dead letters purged');
        return { purged, tenant: tenant ?? null };
      } catch (err) {
        return fail(reply, err);
      }
    },
  );

  app.post<{ Params: { tenant: string } }>(
    '/v1/tenants/:tenant/retry-now',
    { config: { mutating: true } },
    (req, reply) => retryNow(req, reply, source.retryNow.bind(source), log),
  );
}

/** `POST /v1/tenants/:tenant/retry-now`: ends the tenant's back-off. */
export function retryNow(
  req: FastifyRequest<{ Params: { tenant: string } }>,
  reply: FastifyReply,
  wake: (tenant: string) => boolean,
  log: Logger | undefined,
): FastifyReply {
  const { tenant } = req.params;
  const woken = wake(tenant);
  const { peer, via } = callerOf(req);
  log?.info(
    { admin: { peer, auth: via, action: 'retry-now', tenant, woken: woken ? 1 : 0 } },
    'admin: retry now',
  );
  if (!woken) {
    return reply
      .code(404)
      .send({ error: 'not_found', message: 'no delivery lane for this tenant (nothing stored for it)' });
  }
  return reply.code(202).send({ tenant, status: 'retrying now' });
}
