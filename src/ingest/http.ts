// HTTP ingest: POST /v1/events takes one object, an array or NDJSON; 2xx only once every event is committed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import rateLimit from '@fastify/rate-limit';
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { EventBuffer, IncomingEvent } from '../buffer/types.js';
import type { Secret } from '../config/secret.js';
import { ErrorCodes, isLogdriverError } from '../errors.js';
import { LogThrottle, type Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { ListenerTls, type ListenerTlsConfig } from '../tls/index.js';
import { parseBody } from './body.js';

export const EVENTS_PATH = '/v1/events';

export interface HttpIngestOptions {
  readonly listen: { readonly host: string; readonly port: number };
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: Secret;
  /** Cap on the request body as received and, for gzip, after decompression. */
  readonly maxBodyBytes: number;
  readonly maxEventBytes: number;
  /** Most events in one request (413 above it); unset means no cap. The service passes its config's value. */
  readonly maxEventsPerRequest?: number;
  /**
   * Requests get 503 + Retry-After while admission() is not `open`: HTTP can push back, so it never drops
   * (whenFull: drop_newest applies to ZeroMQ only).
   */
  readonly buffer: Pick<EventBuffer, 'append' | 'admission'>;
  readonly telemetry: Telemetry;
  readonly log?: Logger;
  /** A request (headers and body) must arrive within this time; guards against slow clients. */
  readonly requestTimeoutMs?: number;
  /** HTTPS (and with `clientCaFile`, client certificates) instead of plain HTTP. */
  readonly tls?: ListenerTlsConfig;
  /** Most requests per second from one client address (429 beyond); 0 or unset: no limit. */
  readonly rateLimitPerClient?: number;
}

export interface HttpIngest {
  /** Listens; resolves with the bound address (useful with port 0). */
  start(): Promise<{ host: string; port: number }>;
  /** Stop accepting: new requests get 503; requests already past the gate still finish. */
  pause(): void;
  /** Pauses, then closes the server once in-flight requests have been answered. Idempotent. */
  close(): Promise<void>;
  readonly accepting: boolean;
  /** Re-reads the TLS files now if they changed (SIGHUP); true when a new certificate is in use. */
  reloadTls(): boolean;
  /** The fastify instance, for `inject()` in tests. */
  readonly app: FastifyInstance;
}

const gunzipAsync = promisify(gunzip);
const EMPTY = Buffer.alloc(0);
const RETRY_AFTER = { 'retry-after': '1' };
/** The code of the limiter's error, told apart from other 4xx in the error handler. */
const RATE_LIMITED = 'LOGDRIVER_RATE_LIMITED';
/** How much of an oversized body is read and thrown away so that its client gets to read the 413. */
const MIN_DISCARD_BYTES = 64 * 1024 * 1024;

type Encoding = 'identity' | 'gzip';

function encodingOf(header: string | undefined): Encoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  return undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Reads what is left of a request body and drops it; resolves true once the body ended within `maxBytes`,
 * false when it goes on past them (or the connection closes). Bounded in time by the server's
 * requestTimeout, which covers the whole body.
 */
function discardRest(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => finish(req.complete);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.resume();
  });
}

export function createHttpIngest(opts: HttpIngestOptions): HttpIngest {
  const { buffer, telemetry, maxBodyBytes, maxEventBytes } = opts;
  const maxEvents = opts.maxEventsPerRequest ?? Infinity;
  const discardBytes = Math.max(MIN_DISCARD_BYTES, maxBodyBytes);
  const log = opts.log ?? telemetry.log;
  const errorThrottle = new LogThrottle();
  // Digests have equal length whatever the client sends, so timingSafeEqual leaks neither value nor length.
  const expectedToken = opts.token ? sha256(opts.token.reveal()) : undefined;
  let paused = false;
  let blocked = false;
  let closing: Promise<void> | undefined;

  // Read (and checked) before anything listens: unusable certificate files fail the start with their name.
  const tls = opts.tls ? new ListenerTls('ingest.http', opts.tls, log) : undefined;
  const app = fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    requestTimeout: opts.requestTimeoutMs ?? 60_000,
    // The same fastify app over HTTP or HTTPS; the https server's secure context is swapped on rotation.
    serverFactory: (handler) => {
      if (!tls) return createHttpServer(handler);
      const server = createHttpsServer(tls.serverOptions(), handler);
      tls.watch(server);
      return server;
    },
  });

  // Every content type, JSON included, arrives as raw bytes: parseBody decides the shape, and NDJSON
  // sent as application/json must not be refused by fastify's own JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  function refuse(
    reply: FastifyReply,
    status: number,
    reason: string,
    message: string,
    events = 1,
    headers: Record<string, string> = {},
  ): FastifyReply {
    telemetry.eventRejected('http', reason, message, events);
    return reply.code(status).headers(headers).send({ error: reason, message });
  }

  function setBlocked(now: boolean): void {
    if (now === blocked) return;
    blocked = now;
    telemetry.ingestBlocked('http', now);
  }

  /**
   * Why new events cannot be taken right now, if they cannot. Only `full` counts as blocked: `busy` (too
   * many events waiting for a commit) is brief and normal under load.
   */
  function unavailable(): { reason: string; message: string } | undefined {
    if (paused) return { reason: 'shutting_down', message: 'the service is shutting down; retry later' };
    const admission = buffer.admission();
    if (admission === 'full') {
      setBlocked(true);
      return { reason: 'buffer_full', message: 'the buffer is full; retry later' };
    }
    if (admission === 'busy') {
      return {
        reason: 'buffer_busy',
        message: 'the buffer is busy committing earlier events; retry shortly',
      };
    }
    return undefined;
  }

  function authorized(header: string | undefined): boolean {
    if (expectedToken === undefined) return true;
    if (header === undefined) return false;
    const space = header.indexOf(' ');
    if (space === -1 || header.slice(0, space).toLowerCase() !== 'bearer') return false;
    return timingSafeEqual(sha256(header.slice(space + 1).trim()), expectedToken);
  }

  // Runs before the body is read, so refused requests cost no body buffering.
  async function gate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!authorized(req.headers.authorization)) {
      const msg = 'a valid bearer token is required';
      await refuse(reply, 401, 'unauthorized', msg, 1, { 'www-authenticate': 'Bearer' });
      return;
    }
    const encoding = req.headers['content-encoding'];
    if (encodingOf(encoding) === undefined) {
      const msg = `content-encoding ${JSON.stringify(encoding)} is not supported (use gzip or none)`;
      await refuse(reply, 415, 'unsupported_encoding', msg);
      return;
    }
    const busy = unavailable();
    if (busy) await refuse(reply, 503, busy.reason, busy.message, 1, RETRY_AFTER);
  }

  async function ingest(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    let body = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    if (encodingOf(req.headers['content-encoding']) === 'gzip' && body.length > 0) {
      try {
        // The cap bounds memory against a gzip bomb: decompression stops past maxBodyBytes.
        body = await gunzipAsync(body, { maxOutputLength: maxBodyBytes });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          const msg = `decompressed body exceeds the limit of ${maxBodyBytes} bytes`;
          return refuse(reply, 413, 'too_large', msg);
        }
        return refuse(reply, 400, 'malformed_gzip', `body is not valid gzip: ${(err as Error).message}`);
      }
    }
    const parsed = parseBody(body, maxEventBytes, maxEvents);
    if (!parsed.ok) return refuse(reply, parsed.status, parsed.reason, parsed.detail);
    const n = parsed.events.length;
    if (n === 0) return reply.code(200).send({ accepted: 0 });
    // Checked again: reading a large body takes time, and the buffer may have filled meanwhile.
    const busy = unavailable();
    if (busy) return refuse(reply, 503, busy.reason, busy.message, n, RETRY_AFTER);

    const receivedAt = Date.now();
    const events: IncomingEvent[] = parsed.events.map((e) => ({
      tenant: e.tenant,
      payload: e.payload,
      receivedAt,
    }));
    telemetry.eventsReceived('http', n);
    try {
      // Resolves only after the commit is durable; this is what makes the 200 a promise to the producer.
      await buffer.append(events);
    } catch (err) {
      let reason = 'buffer_error';
      if (isLogdriverError(err, ErrorCodes.BUFFER_FULL)) {
        reason = 'buffer_full';
        setBlocked(true);
      } else if (isLogdriverError(err, ErrorCodes.BUFFER_CLOSED)) {
        reason = 'shutting_down';
      } else {
        const { log: now, suppressed } = errorThrottle.admit('append');
        if (now) log.error({ err, events: n, suppressed }, 'http ingest: buffer append failed');
      }
      return refuse(reply, 503, reason, 'events were not stored; retry later', n, RETRY_AFTER);
    }
    setBlocked(false);
    return reply.code(200).send({ accepted: n });
  }

  const perClient = opts.rateLimitPerClient ?? 0;
  if (perClient > 0) {
    // The limiter applies to the routes of its own scope (registered before them), i.e. to POSTs of events.
    app.register(async (scope) => {
      await scope.register(rateLimit, {
        max: perClient,
        timeWindow: 1000,
        errorResponseBuilder: (_req, ctx) => ({
          statusCode: 429,
          code: RATE_LIMITED,
          message: `more than ${ctx.max} requests per second from this client (ingest.http.rateLimitPerClient); retry in ${ctx.after}`,
        }),
      });
      scope.route({ method: 'POST', url: EVENTS_PATH, onRequest: gate, handler: ingest });
    });
  } else {
    app.route({ method: 'POST', url: EVENTS_PATH, onRequest: gate, handler: ingest });
  }
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: EVENTS_PATH,
    handler: (req, reply) =>
      reply
        .code(405)
        .header('allow', 'POST')
        .send({ error: 'method_not_allowed', message: `${req.method} is not allowed; use POST` }),
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no such endpoint; POST events to ${EVENTS_PATH}` }),
  );
  app.setErrorHandler(async (err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // fastify stops reading and asks for `Connection: close`; Node then closes the socket as soon as the
      // answer is written, and the kernel resets a connection the client is still writing to: a client that
      // sends its whole body before reading (Node's http, most SDKs) sees EPIPE, never the 413. So the rest of
      // the body is read and thrown away first (it costs no memory), up to a bound; a body that ends within
      // it keeps its connection, a larger one is cut after the answer as before.
      if (await discardRest(req.raw, discardBytes)) reply.removeHeader('connection');
      return refuse(reply, 413, 'too_large', `request body exceeds the limit of ${maxBodyBytes} bytes`);
    }
    const status = err.statusCode ?? 500;
    // Nothing of the request was read: its events are not counted (the producer sends them again).
    if (err.code === RATE_LIMITED) return refuse(reply, 429, 'rate_limited', err.message, 0);
    if (status >= 400 && status < 500) return refuse(reply, status, 'bad_request', err.message);
    const { log: now, suppressed } = errorThrottle.admit('internal');
    if (now) log.error({ err, suppressed }, 'http ingest: request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; the events were not stored' });
  });

  return {
    app,
    get accepting() {
      return !paused;
    },
    async start() {
      await app.listen({ host: opts.listen.host, port: opts.listen.port });
      const addr = app.server.address() as AddressInfo;
      return { host: addr.address, port: addr.port };
    },
    pause() {
      paused = true;
    },
    reloadTls() {
      return tls?.reload() ?? false;
    },
    close() {
      paused = true;
      tls?.close();
      closing ??= app.close();
      return closing;
    },
  };
}
