// Admin listener: liveness, readiness, the original product's /health, Prometheus /metrics, and retry-now.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface AdminOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly registry: Registry;
  /** Ready: the buffer is open and ingest accepts events. Returns the reasons it is not, if any. */
  readonly readiness: () => string[];
  /**
   * `POST /v1/tenants/:tenant/retry-now`: ends the tenant's back-off; false when it has no lane (nothing
   * stored). Without it the route does not exist.
   */
  readonly retryNow?: (tenant: string) => boolean;
}

/**
 * The admin listener has no credentials yet, so its one mutating call is taken from loopback peers only
 * (whatever `admin.listen` binds to); everything else on it is read-only.
 */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

export interface AdminServer {
  start(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
  readonly app: FastifyInstance;
}

export function createAdminServer(opts: AdminOptions): AdminServer {
  const app = Fastify({ logger: false });
  app.get('/live', () => ({ status: 'up' }));
  const ready = (_req: unknown, reply: { code(n: number): unknown }) => {
    const problems = opts.readiness();
    if (problems.length > 0) {
      reply.code(503);
      return { status: 'not ready', problems };
    }
    return { status: 'ready' };
  };
  app.get('/ready', ready);
  // The original product answered 200 when healthy and 500 otherwise; kept for its monitors.
  app.get('/health', (_req, reply) => {
    const problems = opts.readiness();
    if (problems.length > 0) return reply.code(500).send({ status: 'unhealthy', problems });
    return { status: 'healthy' };
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(body);
  });
  const retryNow = opts.retryNow;
  if (retryNow) {
    app.post<{ Params: { tenant: string } }>('/v1/tenants/:tenant/retry-now', (req, reply) => {
      if (!isLoopback(req.socket.remoteAddress)) {
        return reply
          .code(403)
          .send({ error: 'forbidden', message: 'retry-now is accepted from loopback only' });
      }
      const { tenant } = req.params;
      if (!retryNow(tenant)) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: 'no delivery lane for this tenant (nothing stored for it)' });
      }
      return reply.code(202).send({ tenant, status: 'retrying now' });
    });
  }
  return {
    app,
    async start() {
      await app.listen({ host: opts.listen.host, port: opts.listen.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port;
      return { host: opts.listen.host, port };
    },
    close: () => app.close(),
  };
}
