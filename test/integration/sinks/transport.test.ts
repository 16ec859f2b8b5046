// The shared HTTP transport on loopback: proxies from the environment (HTTP_PROXY, NO_PROXY), bounded body
// reads, and configuration errors with their cause.
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { HttpTransport } from '../../../src/sinks/transport/http.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A server answering `status` with `body`, recording each request's target (absolute-form through a proxy). */
async function serve(status: number, body: string): Promise<{ url: string; targets: string[] }> {
  const targets: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    targets.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets };
}

/** A CONNECT proxy (what undici's proxy agent speaks): records each tunnel's host:port and pipes it there. */
async function connectProxy(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

function transport(url: string, env: NodeJS.ProcessEnv = {}): HttpTransport {
  const t = new HttpTransport({ url, timeoutMs: 5000, maxConnections: 2, sinkType: 'test', env });
  closers.push(() => t.close());
  return t;
}

const post = {
  method: 'POST' as const,
  path: '/ingest',
  headers: { 'content-type': 'text/plain' },
  body: 'x',
};
const signal = () => new AbortController().signal;

describe('HttpTransport', () => {
  it('tunnels through HTTP_PROXY when the environment names one', async () => {
    const target = await serve(200, 'from the target');
    const proxy = await connectProxy();
    const t = transport(target.url, { HTTP_PROXY: proxy.url });
    const exchange = await t.exchange(post, signal(), () => 1024);
    expect(exchange.ok && exchange.response.body.toString()).toBe('from the target');
    expect(proxy.tunnels).toEqual([new URL(target.url).host]);
  });

  it('connects directly to a host in NO_PROXY', async () => {
    const target = await serve(200, 'from the target');
    const proxy = await connectProxy();
    const t = transport(target.url, { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    const exchange = await t.exchange(post, signal(), () => 1024);
    expect(exchange.ok && exchange.response.body.toString()).toBe('from the target');
    expect(proxy.tunnels).toEqual([]);
  });

  it('reads an answer only up to its limit, and says it was cut', async () => {
    const server = await serve(500, 'A'.repeat(100_000));
    const exchange = await transport(server.url).exchange(post, signal(), () => 1000);
    expect(exchange.ok && exchange.response.body.length).toBe(1000);
    expect(exchange.ok && exchange.response.bodyTruncated).toBe(true);
  });

  it('an unreadable CA file is a SINK_CONFIG error with its cause', () => {
    let error: unknown;
    try {
      new HttpTransport({
        url: 'https://127.0.0.1:9',
        timeoutMs: 1,
        maxConnections: 1,
        sinkType: 'test',
        caFile: '/nonexistent/ca.pem',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: ErrorCodes.SINK_CONFIG,
      cause: expect.objectContaining({ code: 'ENOENT' }) as object,
    });
  });
});
