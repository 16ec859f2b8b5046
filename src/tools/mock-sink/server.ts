// The mock HTTP sink: a loopback node:http server that acknowledges, delays, fails or hangs batches on demand.
//
// Any POST outside the control paths (/_report, /_received, /_control, /_reset) is an ingest request,
// answered as exchange.ts decides after waiting `latencyMs`. A batch is recorded only in the tick its
// 2xx is written, and only if the client is still connected, so "delivered" means exactly "the client
// could have seen a 2xx". Three random draws are taken per request whatever the options, so a seed
// yields the same decisions for the same request order. With another protocol than http, ingest is that
// protocol's path only (others get 404): HEC's (plus its ack query; a request on a channel is recorded when
// its ackId is first reported true), Cloud Logging's entries:write (plus the OAuth token endpoint), _bulk,
// Datadog's /api/v2/logs or OTLP's /v1/logs (protocols.ts). With protocol syslog, ingest is a second,
// TCP listener (syslogPort; syslog.ts) and the HTTP port serves the control API only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CONTROL_BODY_LIMIT, decide, readBody, sendAnswer } from './exchange.js';
import { Ledger, type Envelope } from './ledger.js';
import {
  DEFAULT_OPTIONS,
  MockSinkError,
  loopbackAddress,
  redactOptions,
  resolveOptions,
  type MockSinkOptions,
} from './options.js';
import {
  DATADOG_LOGS_PATH,
  ES_BULK_PATH,
  OTLP_LOGS_PATH,
  GCP_TOKEN_PATH,
  GCP_WRITE_PATH,
  GcpTokens,
  HEC_ACK_PATH,
  HEC_EVENT_PATHS,
  HecAcks,
  errorBody,
  hecAuthProblem,
  hecChannel,
  parseAckQuery,
} from './protocols.js';
import { seededRandom } from './random.js';
import { OctetCountedFrames } from './syslog.js';
import type { MockSink, MockSinkReport } from './types.js';

export type { MockSink, MockSinkReport } from './types.js';

interface Waiter {
  pred: (r: MockSinkReport) => boolean;
  resolve: (r: MockSinkReport) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

class MockSinkServer implements MockSink {
  url = '';
  port = 0;
  private opts: MockSinkOptions;
  private random: () => number;
  private readonly ledger = new Ledger();
  private readonly acks = new HecAcks();
  private readonly tokens = new GcpTokens();
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) sendAnswer(res, { status: 500, body: { error: String(err) } });
    });
  });
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<Waiter>();
  private statusCounts = new Map<string, number>();
  private requests = 0;
  private badRequests = 0;
  private startedAt = 0;
  private closing: Promise<void> | undefined;
  /** protocol syslog: the TCP receiver and its open connections. */
  private syslogServer: Server | undefined;
  private readonly syslogSockets = new Set<Socket>();
  syslogPort: number | undefined;

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
    if (this.opts.protocol === 'syslog') {
      const tcp = createTcpServer({ allowHalfOpen: true }, (socket) => this.syslogConnection(socket));
      this.syslogServer = tcp;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.opts.syslogPort, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.syslogPort = (tcp.address() as AddressInfo).port;
    }
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
      protocol: this.opts.protocol,
      ackQueries: this.acks.queries,
      pendingAcks: this.acks.pending,
      tokensIssued: this.tokens.issued,
      syslogPort: this.syslogPort ?? null,
      cpuSeconds: cpuSecondsSoFar(),
    };
  }

  reset(): void {
    this.ledger.reset();
    this.acks.reset();
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
      const tcp = this.syslogServer;
      let open = tcp ? 2 : 1;
      const done = (): void => {
        if (--open === 0) resolve();
      };
      this.server.close(done);
      // Held (hanging) and keep-alive sockets would otherwise keep close() pending.
      this.server.closeAllConnections();
      if (tcp) {
        tcp.close(done);
        for (const socket of this.syslogSockets) socket.destroy();
      }
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const method = req.method ?? 'GET';
    if (path === '/_report' && method === 'GET') return sendAnswer(res, { status: 200, body: this.report() });
    if (path === '/_received' && method === 'GET') {
      const tenant = new URLSearchParams(query).get('tenant') ?? '';
      return sendAnswer(res, { status: 200, body: this.received(tenant) });
    }
    if (path === '/_reset' && method === 'POST') {
      this.reset();
      return sendAnswer(res, { status: 204 });
    }
    if (path === '/_control' && method === 'POST') return this.control(req, res);
    if (method !== 'POST') return sendAnswer(res, { status: 405, headers: { allow: 'POST' } });
    const protocol = this.opts.protocol;
    if (protocol === 'splunk_hec') {
      const p = path.replace(/\/+$/, '');
      if (p === HEC_ACK_PATH) return this.hecAck(req, res);
      if (!HEC_EVENT_PATHS.has(p)) return this.notFound(req, res);
    } else if (protocol === 'gcp_logging') {
      if (path === GCP_TOKEN_PATH) return this.gcpToken(req, res);
      if (path !== GCP_WRITE_PATH) return this.notFound(req, res);
    } else if (
      protocol === 'syslog' ||
      (protocol === 'elasticsearch' && !ES_BULK_PATH.test(path)) ||
      (protocol === 'datadog' && path.replace(/\/+$/, '') !== DATADOG_LOGS_PATH) ||
      (protocol === 'otlp' && path !== OTLP_LOGS_PATH)
    ) {
      return this.notFound(req, res);
    }
    return this.ingest(req, res, path);
  }

  private async notFound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((await readBody(req, CONTROL_BODY_LIMIT)) === null) return;
    const body = errorBody(
      this.opts.protocol,
      404,
      `no ${this.opts.protocol} endpoint at ${req.url ?? '/'}`,
      404,
    );
    sendAnswer(res, { status: 404, body });
  }

  /** POST /services/collector/ack: which ackIds of the channel are indexed (recording their events). */
  private async hecAck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (read === null) return;
    const refused = hecAuthProblem(req.headers.authorization, this.opts.token);
    if (refused) return sendAnswer(res, refused);
    const channel = hecChannel(req.headers);
    if (channel === undefined) {
      return sendAnswer(res, { status: 400, body: { text: 'Data channel is missing', code: 10 } });
    }
    const ids = read.tooLarge ? undefined : parseAckQuery(read.body);
    if (ids === undefined)
      return sendAnswer(res, { status: 400, body: { text: 'Invalid data format', code: 6 } });
    const now = Date.now();
    const acks = this.acks.query(channel, ids, this.opts.ackDelayMs, now, (envelopes) =>
      this.ledger.recordBatch(envelopes, now, this.opts.keepEvents),
    );
    sendAnswer(res, { status: 200, body: { acks } });
    this.notify();
  }

  /** POST /token: an access token for a JWT bearer grant (signature not verified; see protocols.ts). */
  private async gcpToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (read === null) return;
    if (read.tooLarge) return sendAnswer(res, { status: 413, body: { error: 'invalid_request' } });
    sendAnswer(res, this.tokens.grant(read.body.toString('utf8'), Date.now()));
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (read === null) return;
    if (read.tooLarge) return sendAnswer(res, { status: 413, body: { error: 'control body too large' } });
    try {
      const patch: unknown = read.body.length === 0 ? {} : JSON.parse(read.body.toString('utf8'));
      this.set(patch as Partial<MockSinkOptions>);
      sendAnswer(res, { status: 200, body: { options: this.options() } });
    } catch (err) {
      sendAnswer(res, { status: 400, body: { error: (err as Error).message } });
    }
  }

  private async ingest(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
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
    const answer = await decide(
      o,
      {
        headers: req.headers,
        raw: read.body,
        tooLarge: read.tooLarge,
        sinceStartMs: Date.now() - this.startedAt,
        timeoutRoll,
        failRoll,
        path,
      },
      this.tokens,
    );
    if (answer === 'hang') return this.hang(req);
    if (answer.bad) this.badRequests++;
    const l = o.latencyMs;
    await this.sleep(typeof l === 'number' ? l : l.min + latencyRoll * (l.max - l.min));
    if (res.destroyed || req.socket.destroyed) {
      this.count('aborted');
    } else {
      // Record and answer in the same tick: nothing can interleave between the two. A HEC request on a
      // channel gets an ackId instead; its events are recorded when the ack query first reports it true.
      if (answer.record && answer.ackChannel !== undefined) {
        const ackId = this.acks.issue(answer.ackChannel, answer.record, Date.now());
        answer.body = { ...(answer.body as object), ackId };
      } else if (answer.record) {
        const fresh = this.ledger.recordBatch(answer.record, Date.now(), this.opts.keepEvents);
        if (answer.bodyOnRecord) answer.body = answer.bodyOnRecord(fresh);
      }
      this.count(String(answer.status));
      sendAnswer(res, answer);
    }
    this.notify();
  }

  /**
   * One syslog connection (syslog.ts): frames are parsed as they arrive; at the client's half-close the
   * options decide, then every frame is recorded and our side closed in the same tick, or the connection is
   * reset with nothing recorded. Counted like a request; its outcome in statusCounts as `closed`/`reset`.
   */
  private syslogConnection(socket: Socket): void {
    this.syslogSockets.add(socket);
    socket.once('close', () => this.syslogSockets.delete(socket));
    socket.on('error', () => undefined); // a client reset: 'close' follows, nothing to record
    this.requests++;
    const timeoutRoll = this.random();
    const failRoll = this.random();
    const latencyRoll = this.random();
    const frames = new OctetCountedFrames();
    const pending: Envelope[] = [];
    let failed = false;
    const reset = (key: string): void => {
      failed = true;
      this.count(key);
      socket.resetAndDestroy();
      this.notify();
    };
    socket.on('data', (chunk: Buffer) => {
      if (failed) return;
      const got = frames.push(chunk);
      if (typeof got === 'string') {
        this.badRequests++;
        return reset('reset');
      }
      for (const env of got) pending.push(env);
    });
    socket.on('end', () => {
      if (failed) return;
      void (async () => {
        const o = this.opts;
        if (frames.pendingBytes > 0) {
          this.badRequests++;
          return reset('reset');
        }
        const since = Date.now() - this.startedAt;
        const outage = o.outages.some((w) => since >= w.startMs && since < w.endMs);
        if (outage || o.mode !== 'ok' || failRoll < o.failRate) return reset('reset');
        if (timeoutRoll < o.timeoutRate) {
          this.count('timeout');
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            socket.resetAndDestroy();
          }, o.hangMs);
          this.timers.add(timer);
          socket.once('close', () => {
            clearTimeout(timer);
            this.timers.delete(timer);
          });
          return this.notify();
        }
        const l = o.latencyMs;
        await this.sleep(typeof l === 'number' ? l : l.min + latencyRoll * (l.max - l.min));
        if (socket.destroyed) {
          this.count('aborted');
        } else {
          // Record and close in the same tick (the close is what confirms the batch to the sink).
          if (pending.length > 0) this.ledger.recordBatch(pending, Date.now(), o.keepEvents);
          this.count('closed');
          socket.end();
        }
        this.notify();
      })();
    });
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

/** This process's CPU seconds so far, user and system, all threads. */
function cpuSecondsSoFar(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
