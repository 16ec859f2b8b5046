// Integration: the HTTP sender against a real node:http server on loopback (retries, auth, batching, failures).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents, readNdjson, sendEvents, writeNdjson } from '../../../../src/tools/load/index.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  lines: string[];
}

type Reply = (req: Seen, n: number, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Starts a server on 127.0.0.1:0 that records every request and answers with `reply`. */
async function fakeIngest(reply: Reply): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const s: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        lines: body.split('\n').filter((l) => l.length > 0),
      };
      seen.push(s);
      reply(s, seen.length, res);
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

const ok: Reply = (_s, _n, res) => res.writeHead(200).end('{"accepted":true}');

describe('HTTP sender', () => {
  it('retries a 503 with Retry-After: 0 and delivers every event', async () => {
    const { url, seen } = await fakeIngest((s, n, res) => {
      if (n === 1) res.writeHead(503, { 'retry-after': '0' }).end('buffer full');
      else ok(s, n, res);
    });
    const events = [...generateEvents({ count: 1234, seed: 4 })].map(String);
    const stats = await sendEvents(
      events.map((e) => Buffer.from(e)),
      { kind: 'http', url, batchSize: 100, concurrency: 3 },
    );
    expect(stats).toMatchObject({ sent: 1234, failed: 0, retries: 1 });
    expect(seen).toHaveLength(13 + 1); // 13 batches + the one retried
    const delivered = seen.slice(0).flatMap((s, i) => (i === 0 ? [] : s.lines));
    expect(delivered.slice().sort()).toEqual(events.slice().sort());
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(s.path).toBe('/v1/events');
      expect(s.headers['content-type']).toBe('application/x-ndjson');
      expect(s.headers.authorization).toBeUndefined();
    }
  });

  it('keeps order with concurrency 1 and sends the bearer token', async () => {
    const { url, seen } = await fakeIngest(ok);
    const events = [...generateEvents({ count: 250 })];
    const stats = await sendEvents(events, {
      kind: 'http',
      url,
      token: 's3cret',
      batchSize: 40,
      concurrency: 1,
    });
    expect(stats.sent).toBe(250);
    expect(seen.map((s) => s.lines.length)).toEqual([40, 40, 40, 40, 40, 40, 10]);
    expect(seen.flatMap((s) => s.lines)).toEqual(events.map(String));
    expect(seen.every((s) => s.headers.authorization === 'Bearer s3cret')).toBe(true);
  });

  it('cuts batches at maxBatchBytes', async () => {
    const { url, seen } = await fakeIngest(ok);
    const events = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"tenantId":"t","i":${i}}`.padEnd(99)));
    await sendEvents(events, { kind: 'http', url, batchSize: 100, maxBatchBytes: 350 });
    expect(seen.every((s) => s.lines.length <= 3)).toBe(true);
    expect(seen.reduce((n, s) => n + s.lines.length, 0)).toBe(10);
  });

  it('counts a refused batch as failed without retrying it', async () => {
    const { url, seen } = await fakeIngest((s, n, res) => {
      if (n === 2) res.writeHead(400).end('line 3: tenantId is missing');
      else ok(s, n, res);
    });
    const stats = await sendEvents(generateEvents({ count: 30 }), {
      kind: 'http',
      url,
      batchSize: 10,
      concurrency: 1,
    });
    expect(stats).toMatchObject({ sent: 20, failed: 10, retries: 0 });
    expect(stats.error).toMatch(/HTTP 400 .*tenantId is missing/);
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxRetries when the server stays unavailable', async () => {
    const { url, seen } = await fakeIngest((_s, _n, res) => res.writeHead(503, { 'retry-after': '0' }).end());
    const stats = await sendEvents(generateEvents({ count: 5 }), { kind: 'http', url, maxRetries: 2 });
    expect(stats).toMatchObject({ sent: 0, failed: 5, retries: 2 });
    expect(stats.error).toMatch(/HTTP 503.*gave up after 2 retries/);
    expect(seen).toHaveLength(3);
  });

  it('reports a refused connection as failed events', async () => {
    const { url } = await fakeIngest(ok);
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    const stats = await sendEvents(generateEvents({ count: 3 }), { kind: 'http', url, maxRetries: 0 });
    expect(stats).toMatchObject({ sent: 0, failed: 3 });
    expect(stats.error).toContain(url);
  });

  it('sends the requested count in fixed-rate mode', async () => {
    const { url, seen } = await fakeIngest(ok);
    const stats = await sendEvents(
      generateEvents({ count: 600 }),
      { kind: 'http', url, batchSize: 50 },
      { ratePerSec: 6000 },
    );
    expect(stats.sent).toBe(600);
    expect(seen.reduce((n, s) => n + s.lines.length, 0)).toBe(600);
  });

  it('sends an NDJSON file line by line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logdriver-send-'));
    try {
      const path = join(dir, 'events.ndjson');
      const events = [...generateEvents({ count: 321 })];
      const out = createWriteStream(path);
      await writeNdjson(events, out);
      out.end();
      await finished(out);
      const { url, seen } = await fakeIngest(ok);
      const stats = await sendEvents(readNdjson(path), { kind: 'http', url, batchSize: 100, concurrency: 1 });
      expect(stats.sent).toBe(321);
      expect(seen.flatMap((s) => s.lines)).toEqual(events.map(String));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
