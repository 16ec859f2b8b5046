// A loopback fake of Splunk's HTTP Event Collector (node:http on 127.0.0.1, port 0), faithful to the
// published protocol: event envelopes concatenated in one body (gzip allowed), `Authorization: Splunk
// <token>`, the request channel and per-channel ackIds of indexer acknowledgement, the ack query, and the
// JSON answers {"text","code"} with the statuses of the reference's error-code table:
//   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector
//   https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector
//   https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/about-http-event-collector-indexer-acknowledgment
// Not modelled: Basic or query-string auth, /raw, metrics events, health endpoints.
// Where the reference is silent the fake takes the case harder for a client: a request with an invalid
// event at n has its events before n indexed (as Splunk is observed to do), and an ackId reported `true`
// once is forgotten (a later query for it answers false), as Splunk does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { splitConcatenatedJson } from '../../../src/tools/mock-sink/index.js';
import { writeAnswer, type ScriptedAnswer } from './answer.js';

export interface FakeHecEvent {
  readonly channel?: string;
  readonly tenant: string;
  readonly eventId: string;
  /** The envelope as HEC parsed it. */
  readonly envelope: unknown;
}

export type { ScriptedAnswer } from './answer.js';

export interface FakeHec {
  readonly url: string;
  /** Every envelope HEC read from accepted requests (and those before an invalid event), in order. */
  readonly received: readonly FakeHecEvent[];
  /** Envelopes indexed: at once without ack; with ack once their ackId has become true (never if lost). */
  readonly indexed: readonly FakeHecEvent[];
  /** With ack, an accepted request's ackId becomes true only this long after it was accepted. */
  ackDelayMs: number;
  /** Requests accepted while set are lost: their ackId never becomes true and nothing of them is indexed. */
  loseAcks: boolean;
  /** While set, event POSTs answer 503 {"text":"Server is busy","code":9}. */
  busy: boolean;
  /** While set, the token is disabled: 403 code 1. */
  tokenDisabled: boolean;
  readonly eventRequests: number;
  readonly ackRequests: number;
  /** The next `n` event POSTs get this answer (nothing of them is read). */
  failNext(n: number, answer: ScriptedAnswer): void;
  /** The next accepted-looking event POST answers 400 code 6 naming event `index` of its body. */
  invalidEventAt(index: number): void;
  /** Copies beyond the first, by event id, in `indexed` (default) or `received`. */
  duplicates(of?: 'indexed' | 'received'): number;
  close(): Promise<void>;
}

interface PendingAck {
  readonly at: number;
  readonly lost: boolean;
  readonly events: readonly FakeHecEvent[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_PATHS = new Set([
  '/services/collector',
  '/services/collector/event',
  '/services/collector/event/1.0',
]);
const ACK_PATH = '/services/collector/ack';

type Answer = ScriptedAnswer;
const hecError = (status: number, code: number, text: string, extra: object = {}): Answer => ({
  status,
  body: { text, code, ...extra },
});

export { splitConcatenatedJson };

/** Why HEC would refuse one parsed envelope, as [code, text], or undefined when it is fine. */
function envelopeProblem(env: unknown): [number, string] | undefined {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return [6, 'Invalid data format'];
  const o = env as Record<string, unknown>;
  if (!('event' in o)) return [12, 'Event field is required'];
  if (o.event === '' || o.event === null) return [13, 'Event field cannot be blank'];
  if (o.fields !== undefined) {
    if (typeof o.fields !== 'object' || o.fields === null || Array.isArray(o.fields)) {
      return [15, 'Error in handling indexed fields'];
    }
    for (const v of Object.values(o.fields)) {
      const ok = typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
      if (!ok) return [15, 'Error in handling indexed fields'];
    }
  }
  return undefined;
}

function eventOf(env: unknown, channel: string | undefined): FakeHecEvent {
  const fields = ((env as { fields?: unknown }).fields ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    ...(channel === undefined ? {} : { channel }),
    tenant: str(fields.tenant),
    eventId: str(fields.event_id),
    envelope: env,
  };
}

export async function startFakeHec(opts: { token: string; useAck?: boolean }): Promise<FakeHec> {
  const useAck = opts.useAck ?? false;
  const received: FakeHecEvent[] = [];
  const indexed: FakeHecEvent[] = [];
  const scripted: ScriptedAnswer[] = [];
  let invalidAt: number | undefined;
  let eventRequests = 0;
  let ackRequests = 0;
  /** channel → next ackId, and its ackIds still pending (removed once granted and reported). */
  const channels = new Map<string, { next: number; pending: Map<number, PendingAck> }>();
  const granted = new Set<PendingAck>();

  // Acks turn true with the passing of time; anything that looks at acks or `indexed` catches up first.
  const promote = (): void => {
    const now = Date.now();
    for (const ch of channels.values()) {
      for (const p of ch.pending.values()) {
        if (!p.lost && !granted.has(p) && now - p.at >= fake.ackDelayMs) {
          granted.add(p);
          indexed.push(...p.events);
        }
      }
    }
  };

  const authProblem = (req: IncomingMessage): Answer | undefined => {
    const auth = req.headers.authorization;
    if (auth === undefined || auth === '') return hecError(401, 2, 'Token is required');
    const m = /^Splunk (\S+)$/.exec(auth);
    if (!m) return hecError(401, 3, 'Invalid authorization');
    if (m[1] !== opts.token) return hecError(403, 4, 'Invalid token');
    if (fake.tokenDisabled) return hecError(403, 1, 'Token disabled');
    return undefined;
  };

  /** The request channel (header or ?channel=), or the answer refusing it. */
  const channelOf = (req: IncomingMessage, url: URL): string | undefined | Answer => {
    const header = req.headers['x-splunk-request-channel'];
    const channel =
      (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('channel') ?? undefined;
    if (channel === undefined || channel === '')
      return useAck ? hecError(400, 10, 'Data channel is missing') : undefined;
    return GUID.test(channel) ? channel : hecError(400, 11, 'Invalid data channel');
  };

  const handleEvents = (req: IncomingMessage, url: URL, raw: Buffer): Answer => {
    eventRequests++;
    const script = scripted.shift();
    if (script) return script;
    const refused = authProblem(req);
    if (refused) return refused;
    const ch = channelOf(req, url);
    if (typeof ch === 'object') return ch;
    if (fake.busy) return hecError(503, 9, 'Server is busy');
    let text: string;
    try {
      text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      return hecError(400, 6, 'Invalid data format');
    }
    const pieces = splitConcatenatedJson(text);
    if (pieces.length === 0) return hecError(400, 5, 'No data');
    const events: FakeHecEvent[] = [];
    let problem: Answer | undefined;
    for (let n = 0; n < pieces.length; n++) {
      let env: unknown;
      try {
        env = JSON.parse(pieces[n]!);
      } catch {
        env = undefined;
      }
      const why = env === undefined ? ([6, 'Invalid data format'] as const) : envelopeProblem(env);
      if (invalidAt === n) problem = hecError(400, 6, 'Invalid data format', { 'invalid-event-number': n });
      else if (why) problem = hecError(400, why[0], why[1], { 'invalid-event-number': n });
      if (problem) break;
      events.push(eventOf(env, ch));
    }
    if (invalidAt !== undefined && invalidAt >= pieces.length) {
      problem ??= hecError(400, 6, 'Invalid data format', { 'invalid-event-number': invalidAt });
    }
    invalidAt = undefined;
    received.push(...events);
    if (problem) {
      indexed.push(...events); // events before the invalid one are indexed (see the opening comment)
      return problem;
    }
    if (!useAck || ch === undefined) {
      indexed.push(...events);
      return { status: 200, body: { text: 'Success', code: 0 } };
    }
    let state = channels.get(ch);
    if (!state) channels.set(ch, (state = { next: 0, pending: new Map() }));
    const ackId = state.next++;
    state.pending.set(ackId, { at: Date.now(), lost: fake.loseAcks, events });
    return { status: 200, body: { text: 'Success', code: 0, ackId } };
  };

  const handleAck = (req: IncomingMessage, url: URL, raw: Buffer): Answer => {
    ackRequests++;
    const refused = authProblem(req);
    if (refused) return refused;
    if (!useAck) return hecError(400, 14, 'ACK is disabled');
    const channel = channelOf(req, url);
    if (typeof channel === 'object') return channel;
    let ids: unknown;
    try {
      ids = (JSON.parse(raw.toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids) || !ids.every((x) => Number.isSafeInteger(x))) {
      return hecError(400, 6, 'Invalid data format');
    }
    promote();
    const state = channel === undefined ? undefined : channels.get(channel);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const p = state?.pending.get(id);
      const done = p !== undefined && granted.has(p);
      if (done) state!.pending.delete(id); // reported once, then forgotten
      acks[String(id)] = done;
    }
    return { status: 200, body: { acks } };
  };

  const send = (res: ServerResponse, answer: Answer): void =>
    writeAnswer(res, answer, 'application/json; charset=UTF-8');

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = url.pathname.replace(/\/+$/, '');
      if (req.method === 'POST' && EVENT_PATHS.has(path)) send(res, handleEvents(req, url, raw));
      else if (req.method === 'POST' && path === ACK_PATH) send(res, handleAck(req, url, raw));
      else send(res, hecError(404, 404, 'The requested URL was not found on this server.'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeHec = {
    url: `http://127.0.0.1:${port}`,
    received,
    get indexed() {
      promote();
      return indexed;
    },
    ackDelayMs: 0,
    loseAcks: false,
    busy: false,
    tokenDisabled: false,
    get eventRequests() {
      return eventRequests;
    },
    get ackRequests() {
      return ackRequests;
    },
    failNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    invalidEventAt(index) {
      invalidAt = index;
    },
    duplicates(of = 'indexed') {
      const list = of === 'indexed' ? fake.indexed : received;
      return list.length - new Set(list.map((e) => e.eventId)).size;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return fake;
}
