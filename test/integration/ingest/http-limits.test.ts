// Integration tests for the HTTP ingest's request limits over real sockets: the per-request event cap, an
// oversized body answered with a 413 that real clients get to read, and tenant ids counted in code points.
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import type { IncomingEvent } from '../../../src/buffer/types.js';
import { createHttpIngest, type HttpIngest } from '../../../src/ingest/http.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

const open: HttpIngest[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function start(
  over: { maxBodyBytes?: number; maxEventsPerRequest?: number; rateLimitPerClient?: number } = {},
) {
  const appended: IncomingEvent[][] = [];
  const ingest = createHttpIngest({
    listen: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: over.maxBodyBytes ?? 16 * 1024 * 1024,
    maxEventBytes: 1024 * 1024,
    ...(over.maxEventsPerRequest !== undefined && { maxEventsPerRequest: over.maxEventsPerRequest }),
    ...(over.rateLimitPerClient !== undefined && { rateLimitPerClient: over.rateLimitPerClient }),
    buffer: {
      append: (events: readonly IncomingEvent[]) => {
        appended.push([...events]);
        return Promise.resolve();
      },
      admission: () => 'open',
    },
    telemetry: new Telemetry(silentLogger(), { defaultMetrics: false }),
  });
  open.push(ingest);
  const { port } = await ingest.start();
  return { url: `http://127.0.0.1:${port}/v1/events`, port, appended };
}

const ev = (tenant: string, i = 0): string => JSON.stringify({ tenantId: tenant, i });

describe('HTTP ingest: events per request', () => {
  it('refuses a JSON array above maxEventsPerRequest with 413 too_many_events and stores none of it', async () => {
    const { url, appended } = await start({ maxEventsPerRequest: 10_000 });
    const body = `[${Array.from({ length: 20_000 }, (_, i) => ev('acme', i)).join(',')}]`;
    const res = await request(url, { method: 'POST', body });
    expect(res.statusCode).toBe(413);
    const answer = (await res.body.json()) as { error: string; message: string };
    expect(answer.error).toBe('too_many_events');
    expect(answer.message).toMatch(/more than 10000 events \(ingest\.http\.maxEventsPerRequest\)/);
    expect(appended).toHaveLength(0);
  });

  it('takes exactly maxEventsPerRequest events, as an array or NDJSON', async () => {
    const { url, appended } = await start({ maxEventsPerRequest: 1000 });
    const events = Array.from({ length: 1000 }, (_, i) => ev('acme', i));
    for (const body of [`[${events.join(',')}]`, events.join('\n')]) {
      const res = await request(url, { method: 'POST', body });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ accepted: 1000 });
    }
    const more = await request(url, { method: 'POST', body: [...events, ev('acme')].join('\n') });
    expect(more.statusCode).toBe(413);
    expect(await more.body.json()).toMatchObject({ error: 'too_many_events', message: /^line 1001: / });
    expect(appended.map((a) => a.length)).toEqual([1000, 1000]);
  });
});

describe('HTTP ingest: a body over maxBodyBytes', () => {
  const body = Buffer.alloc(17 * 1024 * 1024, 0x20); // 17 MiB against the default 16 MiB

  it('answers 413 to a client that writes the whole body before reading (node:http), without EPIPE', async () => {
    const { port } = await start();
    for (let round = 0; round < 3; round++) {
      const outcome = await new Promise<{ status?: number; text?: string; error?: string }>((resolve) => {
        let result: { status?: number; text?: string; error?: string } = {};
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => (result = { ...result, status: res.statusCode!, text }));
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => (result = { ...result, error: err.code! }));
        req.on('close', () => setTimeout(() => resolve(result), 50));
        req.end(body);
      });
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.text!)).toMatchObject({ error: 'too_large' });
    }
  });

  it('answers 413 to undici, streamed or with a length, and keeps the connection usable', async () => {
    const { url } = await start();
    const agent = new Agent({ connections: 1 });
    agents.push(agent);
    // A stream with no length: undici sends it chunked.
    const chunks = (): Readable =>
      Readable.from(Array.from({ length: 17 }, (_, i) => body.subarray(i << 20, (i + 1) << 20)));
    for (const payload of [body, chunks()]) {
      const res = await request(url, { method: 'POST', body: payload, dispatcher: agent });
      expect(res.statusCode).toBe(413);
      expect(res.headers.connection).not.toBe('close');
      expect(await res.body.json()).toMatchObject({ error: 'too_large' });
    }
    const ok = await request(url, { method: 'POST', body: ev('acme'), dispatcher: agent });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });

  it('still cuts a body far beyond the limit after answering, instead of reading it all', async () => {
    const { url } = await start({ maxBodyBytes: 1024 });
    const huge = Buffer.alloc(80 * 1024 * 1024, 0x20); // over the 64 MiB discarded at most
    const outcome = await request(url, { method: 'POST', body: huge }).then(
      async (res) => {
        await res.body.dump();
        return res.statusCode;
      },
      (err: Error & { code?: string }) => err.code,
    );
    // Either the client read the answer before the cut, or it saw the cut: never a hang or a 200.
    expect([413, 'UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']).toContain(outcome);
  });
});

describe('HTTP ingest: tenantId length in Unicode code points', () => {
  it('accepts 256 emoji (512 UTF-16 units) and 128 emoji, refuses 257', async () => {
    const { url, appended } = await start();
    for (const n of [128, 256]) {
      const res = await request(url, { method: 'POST', body: ev('\u{1F600}'.repeat(n)) });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    expect(appended.map((a) => [...a[0]!.tenant].length)).toEqual([128, 256]);
    const res = await request(url, { method: 'POST', body: ev('\u{1F600}'.repeat(257)) });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toMatchObject({
      error: 'invalid_tenant',
      message: 'line 1: tenantId is longer than 256 characters (Unicode code points)',
    });
  });
});

describe('HTTP ingest: requests per client', () => {
  it('answers 429 with Retry-After past rateLimitPerClient in a second, storing nothing of that request', async () => {
    const { url, appended } = await start({ rateLimitPerClient: 3 });
    const answers: { status: number; retryAfter: unknown; body: { error?: string; message?: string } }[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(url, { method: 'POST', body: ev('acme', i) });
      answers.push({
        status: res.statusCode,
        retryAfter: res.headers['retry-after'],
        body: (await res.body.json()) as { error?: string },
      });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3]!.retryAfter).toBeDefined();
    expect(answers[3]!.body.error).toBe('rate_limited');
    expect(answers[3]!.body.message).toMatch(/more than 3 requests per second from this client/);
    expect(appended.flat()).toHaveLength(3);
  });

  it('has no limit when rateLimitPerClient is 0 (the default)', async () => {
    const { url, appended } = await start({ rateLimitPerClient: 0 });
    for (let i = 0; i < 20; i++) {
      const res = await request(url, { method: 'POST', body: ev('acme', i) });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    expect(appended.flat()).toHaveLength(20);
  });
});
