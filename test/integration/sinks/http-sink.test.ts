// HTTP sink conformance suite against real node:http / node:https fake servers on 127.0.0.1 (port 0).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import type { HttpSinkConfig } from '../../../src/sinks/index.js';
import { decodeLines } from '../../../src/buffer/lines.js';
import { batchOf, encodeJsonArray } from '../../../src/sinks/envelope.js';
import { HttpSink } from '../../../src/sinks/http/sink.js';
import type { SinkBatch, SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
import { startFakeNdjson, type FakeNdjson } from '../../support/fakes/http-ndjson.js';
import { runSinkConformance } from './conformance.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The body as decoded by the server (gunzipped when Content-Encoding: gzip). */
  body: Buffer;
}

type Handler = (req: Received, res: ServerResponse) => void;

interface FakeServer {
  url: string;
  received: Received[];
  connections: () => number;
  close: () => Promise<void>;
}

const servers: FakeServer[] = [];
const sinks: HttpSink[] = [];

async function listen(server: Server, handler: Handler, scheme: 'http' | 'https'): Promise<FakeServer> {
  const received: Received[] = [];
  let connections = 0;
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', () => connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `${scheme}://127.0.0.1:${port}/ingest?src=test`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

function fakeServer(handler: Handler): Promise<FakeServer> {
  return listen(createHttpServer(), handler, 'http');
}

function reply(status: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

function sinkFor(url: string, extra: Record<string, unknown> = {}): HttpSink {
  const cfg = sinkSchema.parse({ type: 'http', url, ...extra }) as HttpSinkConfig;
  const sink = new HttpSink(cfg);
  sinks.push(sink);
  return sink;
}

function events(n: number, tenant = 'acme'): SinkEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `evt-${i}`,
    tenant,
    receivedAt: 1764000000000 + i,
    payload: Buffer.from(
      i % 2 === 0
        ? JSON.stringify({ tenantId: tenant, iclFields: { event: 'DATA_DECRYPT', objectId: `doc-${i}` } })
        : JSON.stringify({ tenantId: tenant, n: i, text: 'line\nbreak "quoted"' }, null, 2),
    ),
  }));
}

function batch(n: number, tenant = 'acme'): SinkBatch {
  return batchOf(events(n, tenant));
}

/**
 * A batch shaped like a buffer lease: the lines are given, events are decoded from them on first use, and
 * `decoded` counts how often that happened (an NDJSON body must never need it).
 */
function leaseLike(n: number): SinkBatch & { decoded: number } {
  const lines = batch(n).ndjson();
  let decoded: SinkEvent[] | undefined;
  return {
    tenant: 'acme',
    count: n,
    decoded: 0,
    ndjson: () => lines,
    events() {
      if (!decoded) {
        this.decoded++;
        decoded = decodeLines(lines);
      }
      return decoded;
    },
  };
}

function expectedEnvelopes(b: SinkBatch): unknown[] {
  return b.events().map((e) => ({
    id: e.id,
    tenantId: e.tenant,
    receivedAt: e.receivedAt,
    event: JSON.parse(e.payload.toString()) as unknown,
  }));
}

function parseNdjson(body: Buffer): unknown[] {
  const text = body.toString();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

const noAbort = (): AbortSignal => new AbortController().signal;

function retryReason(o: SinkOutcome): string {
  expect(o.kind).toBe('retry');
  return o.kind === 'retry' ? o.reason : '';
}

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('HttpSink conformance: success and wire format', () => {
  it('200 => delivered; the server received exactly the envelopes as NDJSON', async () => {
    const server = await fakeServer(reply(200, 'ok'));
    const sent = batch(5);
    await expect(sinkFor(server.url).send(sent, noAbort())).resolves.toEqual({ kind: 'delivered' });
    expect(server.received).toHaveLength(1);
    const req = server.received[0] as Received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/ingest?src=test');
    expect(req.headers['content-type']).toBe('application/x-ndjson');
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(parseNdjson(req.body)).toEqual(expectedEnvelopes(sent));
    // The body is the batch's lines, byte for byte.
    expect(req.body.equals(sent.ndjson())).toBe(true);
  });

  it('json_array format => one JSON array of envelopes', async () => {
    const server = await fakeServer(reply(204));
    const sent = batch(4);
    await expect(sinkFor(server.url, { format: 'json_array' }).send(sent, noAbort())).resolves.toEqual({
      kind: 'delivered',
    });
    const req = server.received[0] as Received;
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body.toString())).toEqual(expectedEnvelopes(sent));
    expect(req.body.equals(encodeJsonArray(sent.events()))).toBe(true);
  });

  it('gzip => Content-Encoding: gzip and the server gunzips the same envelopes', async () => {
    const server = await fakeServer(reply(200));
    const sent = batch(50);
    await expect(sinkFor(server.url, { gzip: true }).send(sent, noAbort())).resolves.toEqual({
      kind: 'delivered',
    });
    const req = server.received[0] as Received;
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(parseNdjson(req.body)).toEqual(expectedEnvelopes(sent));
    expect(req.body.equals(sent.ndjson())).toBe(true);
  });

  it('bearer and basic credentials and custom headers arrive', async () => {
    const server = await fakeServer(reply(200));
    await sinkFor(server.url, { auth: { bearer: 'tok-123' }, headers: { 'X-Channel': 'c1' } }).send(
      batch(1),
      noAbort(),
    );
    await sinkFor(server.url, { auth: { basic: { username: 'ingest', password: 'p@ss:word' } } }).send(
      batch(1),
      noAbort(),
    );
    expect(server.received[0]?.headers.authorization).toBe('Bearer tok-123');
    expect(server.received[0]?.headers['x-channel']).toBe('c1');
    expect(server.received[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('ingest:p@ss:word').toString('base64')}`,
    );
  });

  it('uses at most maxConnections sockets and reuses them once response bodies are consumed', async () => {
    const server = await fakeServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('x'.repeat(10_000));
      }, 20);
    });
    const sink = sinkFor(server.url, { maxConnections: 2 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => sink.send(batch(2), noAbort())));
    expect(outcomes.every((o) => o.kind === 'rejected')).toBe(true);
    expect(server.received).toHaveLength(8);
    expect(server.connections()).toBeLessThanOrEqual(2);
  });
});

describe('HttpSink conformance: batches from stored lines', () => {
  it('sends the lines of a lease-like batch in either format without decoding its events', async () => {
    const server = await fakeServer(reply(200));
    const nd = leaseLike(6);
    const arr = leaseLike(6);
    await expect(sinkFor(server.url).send(nd, noAbort())).resolves.toEqual({ kind: 'delivered' });
    await expect(sinkFor(server.url, { format: 'json_array' }).send(arr, noAbort())).resolves.toEqual({
      kind: 'delivered',
    });
    expect(server.received[0]?.body.equals(nd.ndjson())).toBe(true);
    expect(JSON.parse(server.received[1]?.body.toString() ?? '')).toEqual(parseNdjson(arr.ndjson()));
    expect([nd.decoded, arr.decoded]).toEqual([0, 0]);
  });

  it.each([400, 429, 500])('a %i answer does not decode the batch either', async (status) => {
    const server = await fakeServer(reply(status, 'no'));
    const b = leaseLike(3);
    expect((await sinkFor(server.url).send(b, noAbort())).kind).not.toBe('delivered');
    expect(b.decoded).toBe(0);
  });

  it('a 207 decodes the batch once, to check the ids it names', async () => {
    const server = await fakeServer(
      reply(207, JSON.stringify({ errors: [{ id: 'evt-2', status: 400, reason: 'bad' }] })),
    );
    const b = leaseLike(4);
    await expect(sinkFor(server.url).send(b, noAbort())).resolves.toEqual({
      kind: 'partial',
      retry: [],
      rejected: [{ id: 'evt-2', status: 400, reason: 'bad' }],
    });
    expect(b.decoded).toBe(1);
  });
});

describe('HttpSink conformance: failures', () => {
  it('500 => retry with the status', async () => {
    const server = await fakeServer(reply(500, 'internal error'));
    await expect(sinkFor(server.url).send(batch(2), noAbort())).resolves.toMatchObject({
      kind: 'retry',
      status: 500,
    });
  });

  it('503 + Retry-After: 7 => retry with retryAfterMs 7000', async () => {
    const server = await fakeServer(reply(503, '', { 'retry-after': '7' }));
    await expect(sinkFor(server.url).send(batch(2), noAbort())).resolves.toMatchObject({
      kind: 'retry',
      status: 503,
      retryAfterMs: 7000,
    });
  });

  it('429 => retry', async () => {
    const server = await fakeServer(reply(429, 'slow down'));
    await expect(sinkFor(server.url).send(batch(2), noAbort())).resolves.toMatchObject({
      kind: 'retry',
      status: 429,
    });
  });

  it('400 with a garbage body => rejected with status 400 and a short reason', async () => {
    const garbage = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x1b]), Buffer.alloc(200_000, 0x41)]);
    const server = await fakeServer((_req, res) => {
      res.writeHead(400);
      res.end(garbage);
    });
    const sink = sinkFor(server.url, { maxConnections: 1 });
    const o = await sink.send(batch(2), noAbort());
    expect(o).toMatchObject({ kind: 'rejected', status: 400 });
    expect(o.kind === 'rejected' && o.reason.length).toBeLessThan(300);
    // The sink stays usable after a large error body.
    await expect(sink.send(batch(1), noAbort())).resolves.toMatchObject({ kind: 'rejected', status: 400 });
  });

  it('207 => partial: listed retryable ids retry, other listed ids are rejected', async () => {
    const server = await fakeServer(
      reply(
        207,
        JSON.stringify({
          errors: [
            { id: 'evt-1', status: 400, reason: 'bad field' },
            { id: 'evt-3', status: 503, reason: 'shard unavailable' },
          ],
        }),
        { 'content-type': 'application/json' },
      ),
    );
    await expect(sinkFor(server.url).send(batch(5), noAbort())).resolves.toEqual({
      kind: 'partial',
      retry: ['evt-3'],
      rejected: [{ id: 'evt-1', status: 400, reason: 'bad field' }],
    });
  });

  it('207 with a malformed body => retry the whole batch', async () => {
    const server = await fakeServer(reply(207, '<html>multi</html>'));
    await expect(sinkFor(server.url).send(batch(3), noAbort())).resolves.toMatchObject({
      kind: 'retry',
      status: 207,
    });
  });

  it('connection refused => retry', async () => {
    const probe = createHttpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const reason = retryReason(await sinkFor(`http://127.0.0.1:${port}/`).send(batch(2), noAbort()));
    expect(reason).toContain('ECONNREFUSED');
  });

  it('a response slower than timeoutMs => retry', async () => {
    const server = await fakeServer((_req, res) => {
      const t = setTimeout(() => res.end('late'), 5000);
      res.on('close', () => clearTimeout(t));
    });
    const reason = retryReason(await sinkFor(server.url, { timeoutMs: 200 }).send(batch(2), noAbort()));
    expect(reason).toMatch(/timed out after 200 ms/);
  });

  it('abort via the caller signal => retry', async () => {
    const server = await fakeServer(() => {
      // Never answers; the caller gives up.
    });
    const ac = new AbortController();
    const pending = sinkFor(server.url).send(batch(2), ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect(retryReason(await pending)).toBe('aborted by caller');
  });

  it('leaves no listener behind on a long-lived caller signal', async () => {
    const server = await fakeServer(reply(200));
    const sink = sinkFor(server.url);
    const shutdown = new AbortController().signal;
    for (let i = 0; i < 3; i++) await sink.send(batch(1), shutdown);
    expect(getEventListeners(shutdown, 'abort')).toHaveLength(0);
  });

  it('after close => retry, never a throw', async () => {
    const server = await fakeServer(reply(200));
    const sink = sinkFor(server.url);
    await sink.close();
    expect(retryReason(await sink.send(batch(1), noAbort()))).toBe('sink closed');
  });
});

describe('HttpSink conformance: TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';
  let caFile = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'logdriver-tls-'));
    const keyFile = join(dir, 'key.pem');
    caFile = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-days',
          '1',
          '-keyout',
          keyFile,
          '-out',
          caFile,
        ],
        { stdio: 'pipe' },
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(
          'the TLS tests need `openssl` on PATH to create a self-signed certificate; install it',
        );
      }
      throw err;
    }
    key = readFileSync(keyFile, 'utf8');
    cert = readFileSync(caFile, 'utf8');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a self-signed server is refused without caFile (retry with a TLS reason) and nothing is received', async () => {
    const server = await listen(createHttpsServer({ key, cert }), reply(200), 'https');
    const reason = retryReason(await sinkFor(server.url).send(batch(2), noAbort()));
    expect(reason).toMatch(/^TLS: .*(SELF_SIGNED|CERT)/);
    expect(server.received).toHaveLength(0);
  });

  it('the same server is accepted with tls.caFile, and the envelopes arrive', async () => {
    const server = await listen(createHttpsServer({ key, cert }), reply(200), 'https');
    const sent = batch(3);
    await expect(sinkFor(server.url, { tls: { caFile } }).send(sent, noAbort())).resolves.toEqual({
      kind: 'delivered',
    });
    expect(parseNdjson((server.received[0] as Received).body)).toEqual(expectedEnvelopes(sent));
  });
});

describe('HttpSink conformance: payload limits and re-sends (the shared request loop)', () => {
  const limited = (maxEvents: number, extra: Record<string, unknown> = {}) => ({
    limits: { maxEvents, ...(extra.limits as object | undefined) },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'limits')),
  });
  const ids = (r: Received) => parseNdjson(r.body).map((e) => (e as { id: string }).id);

  it('splits a batch past maxEvents into requests in order; all answered 200 => delivered', async () => {
    const server = await fakeServer(reply(200));
    const outcome = await sinkFor(server.url, limited(2)).send(batch(5), noAbort());
    expect(outcome).toEqual({ kind: 'delivered' });
    expect(server.received.map(ids)).toEqual([['evt-0', 'evt-1'], ['evt-2', 'evt-3'], ['evt-4']]);
  });

  it('a failing request stops the rest: earlier ones delivered, that one and later ones retried', async () => {
    let n = 0;
    const server = await fakeServer((_req, res) => {
      res.writeHead(n++ === 1 ? 503 : 200, { 'retry-after': '3' });
      res.end();
    });
    const outcome = await sinkFor(server.url, limited(2)).send(batch(5), noAbort());
    expect(outcome).toEqual({
      kind: 'partial',
      retry: ['evt-2', 'evt-3', 'evt-4'],
      rejected: [],
      retryAfterMs: 3000,
    });
    expect(server.received).toHaveLength(2);
  });

  it('an event larger than maxEventBytes is dead-lettered with that reason; the rest are sent', async () => {
    const server = await fakeServer(reply(200));
    const evts = events(3);
    const big = {
      ...evts[1]!,
      payload: Buffer.from(JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(5000) })),
    };
    const outcome = await sinkFor(server.url, { limits: { maxEventBytes: 2048 } }).send(
      batchOf([evts[0]!, big, evts[2]!]),
      noAbort(),
    );
    expect(outcome).toMatchObject({ kind: 'partial', retry: [] });
    const rejected = outcome.kind === 'partial' ? outcome.rejected : [];
    expect(rejected.map((r) => r.id)).toEqual(['evt-1']);
    expect(rejected[0]!.reason).toMatch(/exceeds the http sink's limit of 2048 bytes/);
    expect(server.received.flatMap(ids)).toEqual(['evt-0', 'evt-2']);
  });

  it('401 on the first request => auth_failed, and nothing after it is sent', async () => {
    const server = await fakeServer(reply(401, '{"error":"token expired"}'));
    const outcome = await sinkFor(server.url, limited(2)).send(batch(5), noAbort());
    expect(outcome).toMatchObject({ kind: 'auth_failed', status: 401 });
    expect(server.received).toHaveLength(1);
  });

  it('302 => retry marked misconfigured (the lane holds the tenant); the redirect is never followed', async () => {
    const server = await fakeServer(reply(302, '', { location: '/elsewhere' }));
    const outcome = await sinkFor(server.url).send(batch(2), noAbort());
    expect(outcome).toMatchObject({ kind: 'retry', status: 302, misconfigured: true });
    expect(server.received.map((r) => r.url)).not.toContain('/elsewhere');
    expect(server.received).toHaveLength(1);
  });

  it('a retry of the same batch re-sends the encoded (gzipped) request without encoding again', async () => {
    let n = 0;
    const server = await fakeServer((_req, res) => {
      res.writeHead(n++ === 0 ? 503 : 200);
      res.end();
    });
    const sink = sinkFor(server.url, { gzip: true, format: 'json_array' });
    const b = leaseLike(4);
    let lines = 0;
    const counted: SinkBatch = { ...b, ndjson: () => (lines++, b.ndjson()), events: () => b.events() };
    expect((await sink.send(counted, noAbort())).kind).toBe('retry');
    expect((await sink.send(counted, noAbort())).kind).toBe('delivered');
    expect(lines).toBe(1);
    expect(server.received).toHaveLength(2);
    expect(server.received[0]!.body.equals(server.received[1]!.body)).toBe(true);
    expect(JSON.parse(server.received[1]!.body.toString())).toEqual(expectedEnvelopes(b));
  });
});

runSinkConformance({
  name: 'http (generic 207 protocol)',
  async start() {
    const f = await startFakeNdjson();
    return Object.assign(f, {
      storedIds: () => f.stored,
    });
  },
  sink: (fake, { timeoutMs, url }) => sinkFor(url ?? (fake as unknown as FakeNdjson).url, { timeoutMs }),
  success: 'delivered',
  documentedErrors: [
    { name: '500 => retry', answer: { status: 500, body: 'internal' }, expect: 'retry' },
    { name: '503 => retry', answer: { status: 503 }, expect: 'retry' },
    { name: '408 => retry', answer: { status: 408 }, expect: 'retry' },
    {
      name: '400 => rejected (dead-lettered)',
      answer: { status: 400, body: { error: 'bad' } },
      expect: 'rejected',
    },
    { name: '413 => rejected', answer: { status: 413 }, expect: 'rejected' },
    { name: '207 with a malformed body => retry', answer: { status: 207, body: 'nope' }, expect: 'retry' },
    {
      name: '302 (redirects are not followed) => retry, held as misconfigured',
      answer: { status: 302, headers: { location: '/x' } },
      expect: 'retry',
    },
  ],
  unauthorized: { status: 401, body: { error: 'token expired' } },
  forbidden: { status: 403, body: { error: 'forbidden' } },
  // The generic protocol reads nothing from a 2xx body.
  reset200: 'delivered',
  garbage200: 'delivered',
});
