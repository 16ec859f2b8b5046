// The mock HTTP sink: a loopback node:http server that acknowledges, delays, fails or hangs batches on demand.
//
// Any POST outside the control paths is an ingest request. Per request, in this order: 401 (auth), 413
// (size), 503 (outage window), the mode (down 503 / reject 400 / throttle 429), a hang (timeoutRate), a
// failure (failRate), 400/415 (bad body), then 200. Every answer waits `latencyMs` first. A batch is
// recorded only at the moment its 2xx is written, and only if the client is still connected, so
// "delivered" means exactly "the client could have seen a 2xx". Three random draws are taken per
// request regardless of options, so a given seed yields the same decisions for the same request order.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeBody, parseEnvelopes } from './body.js';
import { Ledger, type Envelope, type LedgerTotals } from './ledger.js';
import {
  DEFAULT_OPTIONS,
  MockSinkError,
  loopbackAddress,
  redactOptions,
  resolveOptions,
  type MockSinkOptions,
} from './options.js';
import { seededRandom } from './random.js';

export interface MockSinkReport extends LedgerTotals {
  /** Ingest requests received (control API calls excluded). */
  requests: number;
  /** Ingest answers by status code, plus `timeout` (held, never answered) and `aborted` (client left first). */
  statusCounts: Record<string, number>;
  /** Bodies refused as unreadable: not NDJSON/JSON of envelopes, bad gzip, too large, unknown encoding. */
  badRequests: number;
  /** When the server started listening (outage windows are relative to it). */
  startedAt: number;
}

export interface MockSink {
  readonly url: string;
  readonly port: number;
  report(): MockSinkReport;
  /** Clears every count and recorded id, and reseeds the random decisions; options and the outage clock stay. */
  reset(): void;
  /** Changes options at runtime (host and port excepted); throws MOCK_SINK_BAD_OPTIONS. */
  set(opts: Partial<MockSinkOptions>): void;
  /** Resolves with the first report satisfying `pred`; rejects with MOCK_SINK_WAIT_TIMEOUT after `timeoutMs`. */
  waitFor(pred: (r: MockSinkReport) => boolean, timeoutMs: number): Promise<MockSinkReport>;
  /** Acknowledged envelopes of a tenant in arrival order, duplicates included; only with `keepEvents`. */
  received(tenant: string): { id: string; event: unknown }[];
  /** Current options, credentials masked. */
  options(): Record<string, unknown>;
  close(): Promise<void>;
}

interface Waiter {
  pred: (r: MockSinkReport) => boolean;
  resolve: (r: MockSinkReport) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Envelopes to record when (and only if) this 2xx reaches a connected client. */
  record?: Envelope[];
}

const CONTROL_BODY_LIMIT = 1024 * 1024;

/** Reads the whole body; `tooLarge` once it passes `limit` (the rest is drained, not kept); null if the client left. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean } | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks, tooLarge ? 0 : size), tooLarge }));
    req.on('error', () => resolve(null));
    // A close before 'end' means the client went away mid-body (a second resolve is a no-op).
    req.on('close', () => {
      if (!req.complete) resolve(null);
    });
  });
}

function matchesAuth(header: string | undefined, o: MockSinkOptions): boolean {
  if (o.token === undefined && o.basic === undefined) return true;
  if (header === undefined) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && o.token !== undefined) return value === o.token;
  if (scheme === 'basic' && o.basic !== undefined) {
    return Buffer.from(value, 'base64').toString('utf8') === `${o.basic.username}:${o.basic.password}`;
  }
  return false;
}

class MockSinkServer implements MockSink {
  url = '';
  port = 0;
  private opts: MockSinkOptions;
  private random: () => number;
  private readonly ledger = new Ledger();
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) this.send(res, { status: 500, body: { error: String(err) } });
    });
  });
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<Waiter>();
  private statusCounts = new Map<string, number>();
  private requests = 0;
  private badRequests = 0;
  private startedAt = 0;
  private closing: Promise<void> | undefined;

  constructor(opts: MockSinkOptions) {
    this.opts = opts;
    this.random = seededRandom(opts.seed);
  }

  async listen(): Promise<void> {
    const address = loopbackAddress(this.opts.host);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, address, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://${address.includes(':') ? `[${address}]` : address}:${this.port}`;
    this.startedAt = Date.now();
  }

  report(): MockSinkReport {
    const t = this.ledger.totals();
    return {
      requests: this.requests,
      statusCounts: Object.fromEntries(this.statusCounts),
      events: t.events,
      unique: t.unique,
      duplicates: t.duplicates,
      orderViolations: t.orderViolations,
      badRequests: this.badRequests,
      perTenant: t.perTenant,
      latencyMs: t.latencyMs,
      firstAt: t.firstAt,
      lastAt: t.lastAt,
      startedAt: this.startedAt,
    };
  }

  reset(): void {
    this.ledger.reset();
    this.statusCounts = new Map();
    this.requests = 0;
    this.badRequests = 0;
    this.random = seededRandom(this.opts.seed);
    this.notify();
  }

  set(patch: Partial<MockSinkOptions>): void {
    this.opts = resolveOptions(this.opts, patch, true);
    if ('seed' in patch) this.random = seededRandom(this.opts.seed);
    this.notify();
  }

  options(): Record<string, unknown> {
    return redactOptions(this.opts);
  }

  received(tenant: string): { id: string; event: unknown }[] {
    return this.ledger.received(tenant);
  }

  waitFor(pred: (r: MockSinkReport) => boolean, timeoutMs: number): Promise<MockSinkReport> {
    const now = this.report();
    if (pred(now)) return Promise.resolve(now);
    if (this.closing) return Promise.reject(new MockSinkError('MOCK_SINK_CLOSED', 'mock sink is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const last = JSON.stringify(this.report());
          reject(
            new MockSinkError('MOCK_SINK_WAIT_TIMEOUT', `condition not met within ${timeoutMs} ms; ${last}`),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      for (const w of this.waiters) {
        clearTimeout(w.timer);
        w.reject(new MockSinkError('MOCK_SINK_CLOSED', 'mock sink closed while waiting'));
      }
      this.waiters.clear();
      this.server.close(() => resolve());
      // Held (hanging) and keep-alive sockets would otherwise keep close() pending.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private notify(): void {
    if (this.waiters.size === 0) return;
    const r = this.report();
    for (const w of this.waiters) {
      if (!w.pred(r)) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(r);
    }
  }

  private count(key: string): void {
    this.statusCounts.set(key, (this.statusCounts.get(key) ?? 0) + 1);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private send(res: ServerResponse, a: Answer): void {
    const payload = a.body === undefined ? '' : JSON.stringify(a.body);
    res.writeHead(a.status, {
      ...(payload === '' ? {} : { 'content-type': 'application/json' }),
      'content-length': Buffer.byteLength(payload),
      ...a.headers,
    });
    res.end(payload);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const method = req.method ?? 'GET';
    if (path === '/_report' && method === 'GET') return this.send(res, { status: 200, body: this.report() });
    if (path === '/_received' && method === 'GET') {
      const tenant = new URLSearchParams(query).get('tenant') ?? '';
      return this.send(res, { status: 200, body: this.received(tenant) });
    }
    if (path === '/_reset' && method === 'POST') {
      this.reset();
      return this.send(res, { status: 204 });
    }
    if (path === '/_control' && method === 'POST') return this.control(req, res);
    if (method !== 'POST') return this.send(res, { status: 405, headers: { allow: 'POST' } });
    return this.ingest(req, res);
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (read === null) return;
    if (read.tooLarge) return this.send(res, { status: 413, body: { error: 'control body too large' } });
    try {
      const patch: unknown = read.body.length === 0 ? {} : JSON.parse(read.body.toString('utf8'));
      this.set(patch as Partial<MockSinkOptions>);
      this.send(res, { status: 200, body: { options: this.options() } });
    } catch (err) {
      this.send(res, { status: 400, body: { error: (err as Error).message } });
    }
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const o = this.opts;
    const timeoutRoll = this.random();
    const failRoll = this.random();
    const latencyRoll = this.random();
    const read = await readBody(req, o.maxBodyBytes);
    if (read === null) {
      this.count('aborted');
      return this.notify();
    }
    const answer = await this.decide(req, read.body, read.tooLarge, timeoutRoll, failRoll);
    if (answer === 'hang') return this.hang(req);
    const l = o.latencyMs;
    await this.sleep(typeof l === 'number' ? l : l.min + latencyRoll * (l.max - l.min));
    if (res.destroyed || req.socket.destroyed) {
      this.count('aborted');
    } else {
      // Record and answer in the same tick: nothing can interleave between the two.
      if (answer.record) this.ledger.recordBatch(answer.record, Date.now(), this.opts.keepEvents);
      this.count(String(answer.status));
      this.send(res, answer);
    }
    this.notify();
  }

  private async decide(
    req: IncomingMessage,
    raw: Buffer,
    tooLarge: boolean,
    timeoutRoll: number,
    failRoll: number,
  ): Promise<Answer | 'hang'> {
    const o = this.opts;
    if (!matchesAuth(req.headers.authorization, o)) {
      const challenge = o.token !== undefined ? 'Bearer' : 'Basic realm="mock-sink"';
      return { status: 401, body: { error: 'unauthorized' }, headers: { 'www-authenticate': challenge } };
    }
    if (tooLarge) {
      this.badRequests++;
      return { status: 413, body: { error: `body exceeds ${o.maxBodyBytes} bytes` } };
    }
    const sinceStart = Date.now() - this.startedAt;
    const outage = o.outages.find((w) => sinceStart >= w.startMs && sinceStart < w.endMs);
    if (outage) {
      const headers =
        outage.retryAfterSec === undefined ? undefined : { 'retry-after': String(outage.retryAfterSec) };
      return { status: 503, body: { error: 'outage' }, ...(headers ? { headers } : {}) };
    }
    if (o.mode === 'down') return { status: 503, body: { error: 'down' } };
    if (o.mode === 'reject') return { status: 400, body: { error: 'rejected by mock sink (mode reject)' } };
    if (o.mode === 'throttle') {
      return {
        status: 429,
        body: { error: 'throttled' },
        headers: { 'retry-after': String(o.retryAfterSec) },
      };
    }
    if (timeoutRoll < o.timeoutRate) return 'hang';
    if (failRoll < o.failRate) return { status: o.failStatus, body: { error: 'injected failure' } };
    const decoded = await decodeBody(raw, req.headers['content-encoding'], o.maxBodyBytes);
    const parsed = decoded.ok ? parseEnvelopes(decoded.body, req.headers['content-type']) : decoded;
    if (!parsed.ok) {
      this.badRequests++;
      return { status: parsed.status, body: { error: parsed.message } };
    }
    return { status: 200, body: { accepted: parsed.envelopes.length }, record: parsed.envelopes };
  }

  /** Never answers: the socket is destroyed after hangMs unless the client gives up first. */
  private hang(req: IncomingMessage): void {
    this.count('timeout');
    const socket = req.socket;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      socket.destroy();
    }, this.opts.hangMs);
    this.timers.add(timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
    this.notify();
  }
}

/** Starts a mock sink on loopback (port 0 by default); rejects with MOCK_SINK_NON_LOOPBACK or MOCK_SINK_BAD_OPTIONS. */
export async function startMockSink(opts: Partial<MockSinkOptions> = {}): Promise<MockSink> {
  const resolved = resolveOptions(DEFAULT_OPTIONS, opts);
  loopbackAddress(resolved.host);
  const sink = new MockSinkServer(resolved);
  await sink.listen();
  return sink;
}
