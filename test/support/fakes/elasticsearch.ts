// A loopback fake of Elasticsearch's `_bulk` API (node:http on 127.0.0.1, port 0), following the published
// protocol: an NDJSON body that must end in "\n" (gzip allowed), `index`/`create` actions with their
// source line, `create` answering item 409 version_conflict_engine_exception for an _id already in the
// index, per-item errors with `errors: true`, invalid index names refused per item, the `pipeline` query
// parameter, Basic and ApiKey authentication (401 security_exception when missing or wrong), and error
// bodies `{"error":{"root_cause","type","reason"},"status"}`:
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html
//   https://www.elastic.co/docs/api/doc/elasticsearch/authentication
// Not modelled: mappings (any JSON object is accepted), data streams and rollover, update/delete actions,
// refresh, routing, filter_path, duplicate-key detection.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { indexNameProblem } from '../../../src/sinks/elasticsearch/index-name.js';
import { writeAnswer, type ScriptedAnswer } from './answer.js';

export type { ScriptedAnswer } from './answer.js';

export interface FakeEsDoc {
  readonly index: string;
  readonly id: string;
  readonly source: Record<string, unknown>;
}

export interface FakeEsRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingMessage['headers'];
  /** The body as received (still compressed when gzip). */
  readonly raw: Buffer;
}

export interface ItemFailure {
  readonly status: number;
  readonly type: string;
  readonly reason: string;
}

export type FakeEsAuth =
  | { readonly basic: { readonly username: string; readonly password: string } }
  | { readonly apiKey: { readonly id: string; readonly key: string } };

export interface FakeEs {
  readonly url: string;
  /** Documents indexed, in arrival order (a refused item is not here). */
  readonly stored: readonly FakeEsDoc[];
  /** Every bulk request that reached the handler (scripted ones too). */
  readonly requests: readonly FakeEsRequest[];
  /** The next `n` bulk requests get this answer (nothing of them is indexed). */
  answerNext(n: number, answer: ScriptedAnswer): void;
  /** The next bulk request fails these items (by position in its body); the others are indexed. */
  failItemsNext(failures: Readonly<Record<number, ItemFailure>>): void;
  close(): Promise<void>;
}

const ACTIONS = new Set(['index', 'create', 'update', 'delete']);

function esError(status: number, type: string, reason: string): ScriptedAnswer {
  return { status, body: { error: { root_cause: [{ type, reason }], type, reason }, status } };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function startFakeElasticsearch(opts: { auth?: FakeEsAuth } = {}): Promise<FakeEs> {
  const stored: FakeEsDoc[] = [];
  const requests: FakeEsRequest[] = [];
  const scripted: ScriptedAnswer[] = [];
  const byIndex = new Map<string, Map<string, number>>();
  let failures: Readonly<Record<number, ItemFailure>> | undefined;
  let seqNo = 0;

  const authProblem = (req: IncomingMessage): ScriptedAnswer | undefined => {
    if (!opts.auth) return undefined;
    const header = req.headers.authorization;
    if (!header) {
      return esError(
        401,
        'security_exception',
        'missing authentication credentials for REST request [/_bulk]',
      );
    }
    if ('basic' in opts.auth) {
      const { username, password } = opts.auth.basic;
      const want = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      if (header !== want) {
        return esError(
          401,
          'security_exception',
          `unable to authenticate user [${username}] for REST request [/_bulk]`,
        );
      }
      return undefined;
    }
    const { id, key } = opts.auth.apiKey;
    if (header !== `ApiKey ${Buffer.from(`${id}:${key}`).toString('base64')}`) {
      return esError(
        401,
        'security_exception',
        'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
      );
    }
    return undefined;
  };

  const bulk = (req: IncomingMessage, raw: Buffer, pathIndex: string): ScriptedAnswer => {
    const script = scripted.shift();
    if (script) return script;
    const refused = authProblem(req);
    if (refused) return refused;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/x-ndjson' && type !== 'application/json') {
      return { status: 406, body: { error: `Content-Type header [${type}] is not supported`, status: 406 } };
    }
    let text: string;
    try {
      text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      return esError(400, 'parse_exception', 'request body is not valid gzip');
    }
    if (text.length === 0)
      return esError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    if (!text.endsWith('\n')) {
      return esError(
        400,
        'illegal_argument_exception',
        'The bulk request must be terminated by a newline [\\n]',
      );
    }
    const lines = text.slice(0, -1).split('\n');
    const items: unknown[] = [];
    const fail = failures;
    failures = undefined;
    for (let i = 0, n = 0; i < lines.length; n++) {
      const action = parseObject(lines[i]!);
      const keys = action ? Object.keys(action) : [];
      const name = keys[0];
      if (!action || keys.length !== 1 || !name || !ACTIONS.has(name)) {
        return esError(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}]`);
      }
      if (name !== 'index' && name !== 'create') {
        return esError(400, 'illegal_argument_exception', `action [${name}] is not modelled by the fake`);
      }
      const meta = (action[name] ?? {}) as Record<string, unknown>;
      const index = typeof meta._index === 'string' ? meta._index : pathIndex;
      const id = typeof meta._id === 'string' ? meta._id : `auto-${seqNo}`;
      if (i + 1 >= lines.length) {
        return esError(
          400,
          'illegal_argument_exception',
          `The bulk request must be terminated by a newline [\\n]`,
        );
      }
      const sourceLine = lines[i + 1]!;
      i += 2;
      const itemError = (status: number, errType: string, reason: string): void => {
        items.push({ [name]: { _index: index, _id: id, status, error: { type: errType, reason, index } } });
      };
      const scriptedFailure = fail?.[n];
      if (scriptedFailure) {
        itemError(scriptedFailure.status, scriptedFailure.type, scriptedFailure.reason);
        continue;
      }
      const bad = index === '' ? 'is empty' : indexNameProblem(index);
      if (bad !== undefined) {
        itemError(400, 'invalid_index_name_exception', `Invalid index name [${index}], ${bad}`);
        continue;
      }
      const source = parseObject(sourceLine);
      if (!source) {
        itemError(400, 'document_parsing_exception', `[1:1] failed to parse: document with id '${id}'`);
        continue;
      }
      let docs = byIndex.get(index);
      if (!docs) byIndex.set(index, (docs = new Map<string, number>()));
      const existing = docs.get(id);
      if (existing !== undefined && name === 'create') {
        itemError(
          409,
          'version_conflict_engine_exception',
          `[${id}]: version conflict, document already exists (current version [1])`,
        );
        continue;
      }
      if (existing !== undefined) stored[existing] = { index, id, source };
      else {
        docs.set(id, stored.length);
        stored.push({ index, id, source });
      }
      items.push({
        [name]: {
          _index: index,
          _id: id,
          _version: 1,
          result: 'created',
          _shards: { total: 2, successful: 1, failed: 0 },
          _seq_no: seqNo++,
          _primary_term: 1,
          status: 201,
        },
      });
    }
    const errors = items.some((it) => {
      const r = Object.values(it as object)[0] as { status: number };
      return r.status >= 300;
    });
    return { status: 200, body: { took: 3, errors, items } };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      res.setHeader('x-elastic-product', 'Elasticsearch');
      const send = (answer: ScriptedAnswer): void =>
        writeAnswer(res, answer, 'application/json; charset=UTF-8');
      if (req.method === 'POST' && /^(\/[^/]+)?\/_bulk\/?$/.test(url.pathname)) {
        requests.push({
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          raw,
        });
        send(bulk(req, raw, decodeURIComponent(/^\/([^/]+)\/_bulk/.exec(url.pathname)?.[1] ?? '')));
      } else {
        send({
          status: 400,
          body: {
            error: `no handler found for uri [${url.pathname}] and method [${req.method}]`,
            status: 400,
          },
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stored,
    requests,
    answerNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    failItemsNext(f) {
      failures = f;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
