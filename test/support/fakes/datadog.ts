// A loopback fake of Datadog's logs intake v2 (node:http on 127.0.0.1, port 0), following the published
// protocol of "Send logs" (https://docs.datadoghq.com/api/latest/logs/send-logs/):
// - POST /api/v2/logs, the key in `DD-API-KEY`: missing → 401, wrong → 403.
// - Content-Encoding gzip, deflate or identity; the body a JSON array of log objects (or one object), each
//   with a string `message` → else 400.
// - Limits: more than 5 MB uncompressed → 413; more than 1000 logs → 413 (the reference names 413 for the
//   size only; the fake takes the stricter reading for the count). A log above 1 MB is accepted and truncated,
//   as the reference says Datadog does: the fake marks it `truncated` so tests can prove none was sent.
// - Success: 202 with `{}`. Errors: `{"errors":[{"status","title","detail"}]}` (the texts are the fake's own;
//   Datadog publishes none).
// The intake has no per-log errors: a request is accepted or refused whole. `refuseEntryAt(i)` models the one
// thing that can single a log out — a log the intake cannot take — as the protocol does it: that log (by its
// event_id) makes every request that carries it a 400, and nothing of such a request is stored.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { writeAnswer, type ScriptedAnswer } from './answer.js';

export type { ScriptedAnswer } from './answer.js';

export const FAKE_DD_MAX_REQUEST_BYTES = 5_000_000;
export const FAKE_DD_MAX_ENTRIES = 1000;
export const FAKE_DD_MAX_ENTRY_BYTES = 1_000_000;

export interface FakeDatadogLog {
  /** The log object as the intake parsed it. */
  readonly entry: Record<string, unknown>;
  /** Its `event_id` attribute ('' when absent). */
  readonly eventId: string;
  /** Larger than 1 MB: Datadog would have truncated it. */
  readonly truncated: boolean;
}

export interface FakeDatadogRequest {
  readonly contentEncoding: string | undefined;
  readonly contentType: string | undefined;
  readonly uncompressedBytes: number;
  readonly entries: number;
  readonly status: number;
}

export interface FakeDatadog {
  /** The intake base URL (the sink's `url`). */
  readonly url: string;
  /** Every log from accepted requests, in arrival order. */
  readonly stored: readonly FakeDatadogLog[];
  /** Every POST /api/v2/logs that was read (scripted answers included, with their status). */
  readonly requests: readonly FakeDatadogRequest[];
  /** The next `n` log POSTs get this answer (their body is not read). */
  failNext(n: number, answer: ScriptedAnswer): void;
  /** The log at `index` of the next POST becomes one the intake refuses: every request with it gets a 400. */
  refuseEntryAt(index: number): void;
  close(): Promise<void>;
}

const PATH = '/api/v2/logs';

const ddError = (status: number, title: string, detail: string): ScriptedAnswer => ({
  status,
  body: { errors: [{ status: String(status), title, detail }] },
});

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decode(body: Buffer, encoding: string | undefined): Buffer | undefined {
  try {
    if (encoding === undefined || encoding === 'identity') return body;
    if (encoding === 'gzip') return gunzipSync(body);
    if (encoding === 'deflate') return inflateSync(body);
  } catch {
    return undefined;
  }
  return undefined;
}

export async function startFakeDatadog(opts: { apiKey: string }): Promise<FakeDatadog> {
  const stored: FakeDatadogLog[] = [];
  const requests: FakeDatadogRequest[] = [];
  const scripted: ScriptedAnswer[] = [];
  let refuseAt: number | undefined;
  const refusedIds = new Set<string>();

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const answer = (a: ScriptedAnswer): void => writeAnswer(res, a, 'application/json');
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'POST' || url.pathname !== PATH) {
      answer(ddError(404, 'Not Found', 'no such endpoint'));
      return;
    }
    const record = (status: number, uncompressedBytes = 0, entries = 0): void => {
      requests.push({
        contentEncoding: req.headers['content-encoding'],
        contentType: req.headers['content-type'],
        uncompressedBytes,
        entries,
        status,
      });
    };
    const next = scripted.shift();
    if (next) {
      record(next.status);
      answer(next);
      return;
    }
    const key = req.headers['dd-api-key'];
    if (key === undefined || key === '') {
      record(401);
      answer(ddError(401, 'Unauthorized', 'API key is missing'));
      return;
    }
    if (key !== opts.apiKey) {
      record(403);
      answer(ddError(403, 'Forbidden', 'API key is invalid'));
      return;
    }
    const body = decode(raw, req.headers['content-encoding']);
    if (body === undefined) {
      record(400);
      answer(ddError(400, 'Bad Request', 'cannot decode the body'));
      return;
    }
    if (body.length > FAKE_DD_MAX_REQUEST_BYTES) {
      record(413, body.length);
      answer(ddError(413, 'Payload Too Large', 'payload above 5MB uncompressed'));
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      record(400, body.length);
      answer(ddError(400, 'Bad Request', 'payload is not JSON'));
      return;
    }
    const logs = Array.isArray(doc) ? doc : [doc];
    if (logs.length > FAKE_DD_MAX_ENTRIES) {
      record(413, body.length, logs.length);
      answer(ddError(413, 'Payload Too Large', 'more than 1000 logs in one array'));
      return;
    }
    const parsed: FakeDatadogLog[] = [];
    for (const log of logs) {
      if (typeof log !== 'object' || log === null || Array.isArray(log)) break;
      const entry = log as Record<string, unknown>;
      if (typeof entry.message !== 'string') break;
      const eventId = typeof entry.event_id === 'string' ? entry.event_id : '';
      const size = Buffer.byteLength(JSON.stringify(entry));
      parsed.push({ entry, eventId, truncated: size > FAKE_DD_MAX_ENTRY_BYTES });
    }
    if (parsed.length !== logs.length) {
      record(400, body.length, logs.length);
      answer(ddError(400, 'Bad Request', 'a log is not an object with a string message'));
      return;
    }
    if (refuseAt !== undefined) {
      const target = parsed[refuseAt];
      refuseAt = undefined;
      if (target) refusedIds.add(target.eventId);
    }
    if (parsed.some((l) => refusedIds.has(l.eventId))) {
      record(400, body.length, logs.length);
      answer(ddError(400, 'Bad Request', 'a log in the payload is malformed'));
      return;
    }
    stored.push(...parsed);
    record(202, body.length, logs.length);
    answer({ status: 202, body: {} });
  }

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => handle(req, res, raw),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stored,
    requests,
    failNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    refuseEntryAt(index) {
      refuseAt = index;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
