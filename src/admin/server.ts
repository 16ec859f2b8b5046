// Admin listener: liveness, readiness, the original product's /health, Prometheus /metrics, and the /v1/
// admin API (status, tenants, dead letters, retry-now), guarded by admin.token (see auth.ts).
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Secret } from '../config/secret.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { ListenerTls, type ListenerTlsConfig } from '../tls/index.js';
import { registerApi, retryNow } from './api.js';
import { admit, type Admission } from './auth.js';
import type { AdminSource } from './source.js';
import { registerStatusPage } from './status-page/index.js';

export interface AdminOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly registry: Registry;
  /** Ready: the buffer is open and ingest accepts events. Returns the reasons it is not, if any. */
  readonly readiness: () => string[];
  /** The /v1/ API's view of the service; without it only retryNow (if given) is served under /v1/. */
  readonly source?: AdminSource;
  /**
   * `POST /v1/tenants/:tenant/retry-now` when there is no source: ends the tenant's back-off; false when it
   * has no lane (nothing stored).
   */
  readonly retryNow?: (tenant: string) => boolean;
  /** admin.token: every /v1/ route needs it. Unset: reads are open, mutating calls loopback-only. */
  readonly token?: Secret | undefined;
  /** /metrics is guarded too (the token, or loopback without one). */
  readonly metricsRequireToken?: boolean;
  /** Mutating calls are logged here (info), naming the peer and how it was let in; never a token. */
  readonly log?: Logger;
  /** admin.tls: HTTPS (and with clientCaFile, client certificates) instead of plain HTTP. */
  readonly tls?: ListenerTlsConfig | undefined;
  /** Most /v1/ and status page requests per second from one client address (429 beyond); 0: no limit. */
  readonly rateLimitPerClient?: number;
}

export interface AdminServer {
  start(): Promise<{ host: string; port: number }>;
  /** Re-reads the TLS files now if they changed (SIGHUP); true when a new certificate is in use. */
  reloadTls(): boolean;
  close(): Promise<void>;
  readonly app: FastifyInstance;
}

/** Whether the rules apply to this request, and whether it is guarded (mutating, or a protected /metrics). */
function scope(req: FastifyRequest, metricsRequireToken: boolean): { checked: boolean; guarded: boolean } {
  const path = req.url.split('?', 1)[0]!;
  const route = req.routeOptions.url ?? '';
  if (route === '/metrics' || path === '/metrics')
    return { checked: metricsRequireToken, guarded: metricsRequireToken };
  // Unknown paths under /v1 are checked too: without the token a caller learns nothing, not even a 404.
  const v1 = route.startsWith('/v1/') || path === '/v1' || path.startsWith('/v1/');
  const mutating = (req.routeOptions.config as { mutating?: boolean } | undefined)?.mutating === true;
  return { checked: v1, guarded: mutating };
}

export function createAdminServer(opts: AdminOptions): AdminServer {
  // Read (and checked) before anything listens: unusable certificate files fail the start with their name.
  const tls = opts.tls ? new ListenerTls('admin', opts.tls, opts.log ?? silentLogger()) : undefined;
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      if (!tls) return createHttpServer(handler);
      const server = createHttpsServer(tls.serverOptions(), handler);
      tls.watch(server);
      return server;
    },
  });
  const metricsRequireToken = opts.metricsRequireToken ?? false;
  app.addHook('onRequest', async (req, reply) => {
    const { checked, guarded } = scope(req, metricsRequireToken);
    if (!checked) return;
    const verdict = admit(
      opts.token,
      guarded,
      req.headers.authorization,
      req.socket.remoteAddress,
      req.headers.host,
    );
    if (verdict.ok) {
      (req as { adminVia?: Admission }).adminVia = verdict.via;
      return;
    }
    if (verdict.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="logdriver-admin"');
    const error = verdict.status === 401 ? 'unauthorized' : 'forbidden';
    return reply.code(verdict.status).send({ error, message: verdict.message });
  });

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
  if (opts.source) {
    const source = opts.source;
    const perClient = opts.rateLimitPerClient ?? 0;
    // The API and the page (the calls that cost: /v1/tenants sorts every tenant) get the per-client limit, in a
    // scope of their own because the limiter applies to the routes registered after it; the probes and
    // /metrics are never limited.
    app.register(async (scope) => {
      if (perClient > 0) await scope.register(rateLimit, { max: perClient, timeWindow: 1000 });
      registerApi(scope, source, opts.log);
      registerStatusPage(scope, source, opts.token);
    });
  } else if (opts.retryNow) {
    const wake = opts.retryNow;
    app.post<{ Params: { tenant: string } }>(
      '/v1/tenants/:tenant/retry-now',
      { config: { mutating: true } },
      (req, reply) => retryNow(req, reply, wake, opts.log),
    );
  }
  return {
    app,
    async start() {
      await app.listen({ host: opts.listen.host, port: opts.listen.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.listen.port;
      return { host: opts.listen.host, port };
    },
    reloadTls: () => tls?.reload() ?? false,
    close: async () => {
      opts.source?.close();
      tls?.close();
      await app.close();
    },
  };
}
