// A loopback fake of Google's OAuth 2.0 token endpoint and Cloud Logging entries:write v2 (node:http on
// 127.0.0.1, port 0), faithful to the published protocol:
// - token: JWT bearer grant (RFC 7523), RS256 signature checked against the service account's public key,
//   iss / aud (== token URI) / exp (future, at most 1 h after iat) / iat (not ahead) / scope checked; errors
//   as RFC 6749 §5.2 JSON (`400 {"error":"invalid_grant",…}`).
//   https://developers.google.com/identity/protocols/oauth2/service-account, https://www.rfc-editor.org/rfc/rfc7523
// - entries:write: `Authorization: Bearer` checked on every call (else 401 UNAUTHENTICATED google.rpc.Status),
//   request defaults (logName, resource, labels) copied into entries, partialSuccess honoured: with it the
//   valid entries are written and the answer is the status of a failed entry plus WriteLogEntriesPartialErrors
//   keyed by zero-based index; without it nothing is written and no per-entry errors are given. Content-Encoding
//   gzip accepted. Entries with the same insertId and timestamp are duplicates (Logging dedupes them).
//   https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write
//   https://cloud.google.com/apis/design/errors
import { writeAnswer, type ScriptedAnswer } from './answer.js';
import { randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedEntry {
  readonly logName: string;
  readonly resource: unknown;
  /** The entry as received, request-level labels merged in. */
  readonly entry: Record<string, unknown>;
}

export interface FakeGcp {
  readonly tokenUri: string;
  readonly apiBase: string;
  /** `${apiBase}/v2/entries:write` */
  readonly writeUrl: string;
  /** Entries written, duplicates (same insertId and timestamp) left out. */
  readonly entries: readonly RecordedEntry[];
  /** insertIds of entries written again (Logging would dedupe them), in arrival order. */
  readonly duplicateInsertIds: readonly string[];
  readonly tokenRequests: number;
  readonly writeRequests: number;
  /** Headers of the last entries:write request. */
  readonly lastWriteHeaders: IncomingMessage['headers'] | undefined;
  /** The next `n` entries:write calls (after the token check) answer this. */
  failNext(n: number, answer: ScriptedAnswer): void;
  /** The next entries:write fails the entries at these indexes with a google.rpc.Code. */
  rejectEntriesAt(indexes: readonly number[], code: number, message: string): void;
  /** Every issued token stops working. */
  revokeAll(): void;
  close(): Promise<void>;
}

const CODE_NAMES: Record<number, [string, number]> = {
  3: ['INVALID_ARGUMENT', 400],
  5: ['NOT_FOUND', 404],
  7: ['PERMISSION_DENIED', 403],
  8: ['RESOURCE_EXHAUSTED', 429],
  9: ['FAILED_PRECONDITION', 400],
  13: ['INTERNAL', 500],
  14: ['UNAVAILABLE', 503],
  16: ['UNAUTHENTICATED', 401],
};

function rpcError(code: number, message: string, details?: unknown[]): { status: number; body: unknown } {
  const [name, status] = CODE_NAMES[code] ?? ['UNKNOWN', 500];
  return {
    status,
    body: { error: { code: status, message, status: name, ...(details ? { details } : {}) } },
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=UTF-8',
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function startFakeGcpLogging(opts: {
  publicKeyPem: string;
  clientEmail: string;
  tokenLifetimeS?: number;
}): Promise<FakeGcp> {
  const tokens = new Map<string, number>(); // token -> expiresAt (ms)
  const entries: RecordedEntry[] = [];
  const seen = new Set<string>();
  const duplicateInsertIds: string[] = [];
  const failures: ScriptedAnswer[] = [];
  let rejectNext: { indexes: Set<number>; code: number; message: string } | undefined;
  let tokenRequests = 0;
  let writeRequests = 0;
  let lastWriteHeaders: IncomingMessage['headers'] | undefined;
  let tokenUri = '';

  const invalidGrant = (res: ServerResponse, description: string): void =>
    send(res, 400, { error: 'invalid_grant', error_description: description });

  function issueToken(form: URLSearchParams, res: ServerResponse): void {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    }
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return invalidGrant(res, 'Invalid JWT: Token must be a short-lived token');
    const [h, c, s] = parts as [string, string, string];
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    } catch {
      return invalidGrant(res, 'Invalid JWT: malformed');
    }
    if (!isObject(header) || header.alg !== 'RS256') return invalidGrant(res, 'Invalid JWT: alg');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${h}.${c}`),
      opts.publicKeyPem,
      Buffer.from(s, 'base64url'),
    );
    if (!signed) return invalidGrant(res, 'Invalid JWT Signature.');
    if (!isObject(claims)) return invalidGrant(res, 'Invalid JWT: claims');
    const now = Math.floor(Date.now() / 1000);
    const { iss, aud, exp, iat, scope } = claims;
    if (iss !== opts.clientEmail) return invalidGrant(res, 'Invalid JWT: iss');
    if (aud !== tokenUri) return invalidGrant(res, 'Invalid JWT: aud');
    if (typeof iat !== 'number' || typeof exp !== 'number') return invalidGrant(res, 'Invalid JWT: iat/exp');
    if (iat > now + 60 || exp <= now || exp - iat > 3600) {
      return invalidGrant(
        res,
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe',
      );
    }
    const scopes = typeof scope === 'string' ? scope.split(' ') : [];
    if (!scopes.some((x) => x.endsWith('/auth/logging.write') || x.endsWith('/auth/cloud-platform'))) {
      return send(res, 400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope' });
    }
    const lifetime = opts.tokenLifetimeS ?? 3600;
    const token = `ya29.fake-${randomBytes(16).toString('hex')}`;
    tokens.set(token, Date.now() + lifetime * 1000);
    send(res, 200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
  }

  function write(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiresAt = auth ? tokens.get(auth[1]!) : undefined;
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      const e = rpcError(
        16,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
      return send(res, e.status, e.body, {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
      });
    }
    const failure = failures.shift();
    if (failure) return writeAnswer(res, failure, 'application/json; charset=UTF-8');
    let doc: unknown;
    try {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      const e = rpcError(3, 'Invalid JSON payload received.');
      return send(res, e.status, e.body);
    }
    if (!isObject(doc) || !Array.isArray(doc.entries) || doc.entries.length === 0) {
      const e = rpcError(3, 'entries: at least one log entry is required');
      return send(res, e.status, e.body);
    }
    const reject = rejectNext;
    rejectNext = undefined;
    const errors: Record<string, { code: number; message: string }> = {};
    const ok: RecordedEntry[] = [];
    (doc.entries as unknown[]).forEach((raw, i) => {
      const entry = isObject(raw) ? raw : {};
      const logName = entry.logName ?? doc.logName;
      const resource = entry.resource ?? doc.resource;
      if (reject?.indexes.has(i)) errors[i] = { code: reject.code, message: reject.message };
      else if (typeof logName !== 'string' || !/^projects\/[^/]+\/logs\/[^/]+$/.test(logName)) {
        errors[i] = { code: 3, message: 'logName: a valid log name is required' };
      } else if (!isObject(resource) || typeof resource.type !== 'string') {
        errors[i] = { code: 3, message: 'resource: a monitored resource is required' };
      } else if (entry.jsonPayload !== undefined && !isObject(entry.jsonPayload)) {
        errors[i] = { code: 3, message: 'jsonPayload: must be a JSON object' };
      } else {
        const labels = {
          ...(isObject(doc.labels) ? doc.labels : {}),
          ...(isObject(entry.labels) ? entry.labels : {}),
        };
        ok.push({ logName, resource, entry: { ...entry, labels } });
      }
    });
    const failed = Object.keys(errors);
    if (failed.length > 0 && doc.partialSuccess !== true) {
      const first = errors[failed[0]!]!;
      const e = rpcError(first.code, first.message); // nothing written, no per-entry errors
      return send(res, e.status, e.body);
    }
    for (const r of ok) {
      const id = r.entry.insertId;
      const key = JSON.stringify([r.logName, id, r.entry.timestamp]);
      if (typeof id === 'string' && seen.has(key)) duplicateInsertIds.push(id);
      else {
        seen.add(key);
        entries.push(r);
      }
    }
    if (failed.length === 0) return send(res, 200, {});
    const first = errors[failed[0]!]!;
    const e = rpcError(first.code, first.message, [
      {
        '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors',
        logEntryErrors: errors,
      },
    ]);
    send(res, e.status, e.body);
  }

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => {
        const path = (req.url ?? '').split('?')[0];
        if (req.method === 'POST' && path === '/token') {
          tokenRequests++;
          return issueToken(new URLSearchParams(raw.toString('utf8')), res);
        }
        if (req.method === 'POST' && path === '/v2/entries:write') {
          writeRequests++;
          lastWriteHeaders = req.headers;
          return write(req, raw, res);
        }
        const e = rpcError(5, `The requested URL ${path} was not found on this server.`);
        send(res, e.status, e.body);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const apiBase = `http://127.0.0.1:${port}`;
  tokenUri = `${apiBase}/token`;

  return {
    tokenUri,
    apiBase,
    writeUrl: `${apiBase}/v2/entries:write`,
    entries,
    duplicateInsertIds,
    get tokenRequests() {
      return tokenRequests;
    },
    get writeRequests() {
      return writeRequests;
    },
    get lastWriteHeaders() {
      return lastWriteHeaders;
    },
    failNext(n, answer) {
      for (let i = 0; i < n; i++) failures.push(answer);
    },
    rejectEntriesAt(indexes, code, message) {
      rejectNext = { indexes: new Set(indexes), code, message };
    },
    revokeAll() {
      tokens.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
