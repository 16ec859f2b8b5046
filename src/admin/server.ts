// Admin listener: liveness, readiness, the original product's /health, and Prometheus /metrics.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface AdminOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly registry: Registry;
  /** Ready: the buffer is open and ingest accepts events. Returns the reasons it is not, if any. */
  readonly readiness: () => string[];
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
