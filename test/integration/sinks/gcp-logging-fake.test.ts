// Cloud Logging over real sockets: the real token source and encoder against the loopback fake (127.0.0.1).
import { generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ServiceAccountTokenSource,
  parseServiceAccountKey,
  type ServiceAccountKey,
  type TokenPost,
} from '../../../src/sinks/gcp_logging/auth.js';
import { classifyEntriesWrite } from '../../../src/sinks/gcp_logging/classify.js';
import {
  DEFAULT_SEVERITY_RULES,
  GCP_LIMITS,
  encodeLogEntry,
  entriesWriteFraming,
  logNameOf,
  type GcpEncodeOptions,
} from '../../../src/sinks/gcp_logging/encode.js';
import { splitIntoRequests } from '../../../src/sinks/transport/split.js';
import type { HttpResponseInfo } from '../../../src/sinks/transport/response.js';
import type { SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
import { startFakeGcpLogging, type FakeGcp } from '../../support/fakes/gcp-logging.js';

const EMAIL = 'logdriver@acme-sec.iam.gserviceaccount.com';
const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const { privateKey, publicKey } = pair();

let fake: FakeGcp;
let key: ServiceAccountKey;

const keyFor = (pem: string, email = EMAIL): ServiceAccountKey =>
  parseServiceAccountKey(
    JSON.stringify({
      type: 'service_account',
      private_key: pem,
      client_email: email,
      token_uri: fake.tokenUri,
    }),
  );

const post: TokenPost = async (url, form, signal) => {
  const r = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    signal,
  });
  return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
};

const opts: GcpEncodeOptions = {
  logName: logNameOf('acme-sec', 'logdriver'),
  resource: { type: 'global', labels: { project_id: 'acme-sec' } },
  severityRules: DEFAULT_SEVERITY_RULES,
  defaultSeverity: 'INFO',
};

const events = (n: number, from = 0): SinkEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `ev-${from + i}`,
    tenant: i % 2 ? 'acme' : 'globex',
    receivedAt: 1_764_000_000_000 + i,
    payload: Buffer.from(
      JSON.stringify({
        tenantId: 'acme',
        timestampMillis: 1_764_000_000_000 + i,
        iclFields: { event: i === 1 ? 'FILE_DENY_ACCESS' : 'DATA_DECRYPT' },
      }),
    ),
  }));

/** Sends a batch as one entries:write and classifies the answer. */
async function write(batch: SinkEvent[], token: string | undefined, gzip = false): Promise<SinkOutcome> {
  const { parts } = splitIntoRequests(
    batch,
    (e) => encodeLogEntry(e, opts),
    entriesWriteFraming(opts),
    GCP_LIMITS,
  );
  const body = parts[0]!.body;
  const r = await request(fake.writeUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body: gzip ? gzipSync(body) : body,
  });
  const res: HttpResponseInfo = {
    status: r.statusCode,
    headers: r.headers,
    body: Buffer.from(await r.body.arrayBuffer()),
  };
  return classifyEntriesWrite(
    res,
    batch.map((e) => e.id),
    { secrets: token ? [token] : [] },
  );
}

beforeAll(async () => {
  fake = await startFakeGcpLogging({ publicKeyPem: publicKey, clientEmail: EMAIL });
  key = keyFor(privateKey);
});
afterAll(() => fake.close());

describe('gcp_logging against the fake', () => {
  it('the token endpoint verifies the JWT and issues a token that entries:write accepts', async () => {
    const src = new ServiceAccountTokenSource(key, { post });
    const token = await src.token(AbortSignal.timeout(5000));
    expect(fake.tokenRequests).toBe(1);
    expect(await src.token(AbortSignal.timeout(5000))).toBe(token); // cached
    expect(fake.tokenRequests).toBe(1);
    const before = fake.entries.length;
    expect(await write(events(3), token)).toEqual({ kind: 'delivered' });
    const got = fake.entries.slice(before);
    expect(got.map((e) => e.entry.insertId)).toEqual(['ev-0', 'ev-1', 'ev-2']);
    expect(got[1]).toMatchObject({
      logName: 'projects/acme-sec/logs/logdriver',
      resource: { type: 'global' },
      entry: { severity: 'WARNING', labels: { tenant: 'acme' }, timestamp: '2025-11-24T16:00:00.001Z' },
    });
    expect(got[0]!.entry.jsonPayload).toEqual(JSON.parse(events(1)[0]!.payload.toString()));
  });

  it('entries:write without a token, or with a made-up one, is 401 UNAUTHENTICATED: auth_failed', async () => {
    expect(await write(events(1, 100), undefined)).toMatchObject({ kind: 'auth_failed', status: 401 });
    const out = await write(events(1, 100), 'ya29.made-up');
    expect(out).toMatchObject({ kind: 'auth_failed', status: 401 });
    expect(JSON.stringify(out)).not.toContain('ya29.made-up');
  });

  it('a key the server does not know, or another account, is refused: authRejected', async () => {
    const stranger = new ServiceAccountTokenSource(keyFor(pair().privateKey), { post });
    await expect(stranger.token(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'LOGDRIVER_ERR_SINK_AUTH',
      authRejected: true,
      status: 400,
    });
    const other = new ServiceAccountTokenSource(keyFor(privateKey, 'other@x.iam.gserviceaccount.com'), {
      post,
    });
    await expect(other.token(AbortSignal.timeout(5000))).rejects.toMatchObject({ authRejected: true });
    const wrongScope = new ServiceAccountTokenSource(key, {
      post,
      scope: 'https://www.googleapis.com/auth/drive',
    });
    await expect(wrongScope.token(AbortSignal.timeout(5000))).rejects.toMatchObject({ authRejected: true });
  });

  it('partial errors: the listed entries are rejected, the others written', async () => {
    const token = await new ServiceAccountTokenSource(key, { post }).token(AbortSignal.timeout(5000));
    const before = fake.entries.length;
    fake.rejectEntriesAt([1, 3], 3, 'Log entry with size 300K exceeds maximum size of 256.0K');
    const batch = events(4, 200);
    expect(await write(batch, token)).toEqual({
      kind: 'partial',
      retry: [],
      rejected: ['ev-201', 'ev-203'].map((id) => ({
        id,
        status: 400,
        reason: 'INVALID_ARGUMENT: Log entry with size 300K exceeds maximum size of 256.0K',
      })),
    });
    expect(fake.entries.slice(before).map((e) => e.entry.insertId)).toEqual(['ev-200', 'ev-202']);
    fake.rejectEntriesAt([0], 14, 'backend unavailable');
    expect(await write(events(2, 300), token)).toMatchObject({
      kind: 'partial',
      retry: ['ev-300'],
      rejected: [],
    });
  });

  it('failNext answers 429/503 as retry; gzip bodies are accepted; resends are counted as duplicates', async () => {
    const token = await new ServiceAccountTokenSource(key, { post }).token(AbortSignal.timeout(5000));
    fake.failNext(1, {
      status: 429,
      body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
      headers: { 'retry-after': '2' },
    });
    expect(await write(events(2, 400), token)).toMatchObject({
      kind: 'retry',
      status: 429,
      retryAfterMs: 2000,
    });
    fake.failNext(1, { status: 503, body: 'upstream connect error' });
    expect(await write(events(2, 400), token)).toMatchObject({ kind: 'retry', status: 503 });
    expect(await write(events(2, 400), token, true)).toEqual({ kind: 'delivered' });
    expect(fake.lastWriteHeaders?.['content-encoding']).toBe('gzip');
    const dupes = fake.duplicateInsertIds.length;
    expect(await write(events(2, 400), token)).toEqual({ kind: 'delivered' });
    expect(fake.duplicateInsertIds.slice(dupes)).toEqual(['ev-400', 'ev-401']);
  });

  it('revokeAll: the next write is auth_failed; invalidate + a fresh token recovers', async () => {
    const src = new ServiceAccountTokenSource(key, { post });
    const first = await src.token(AbortSignal.timeout(5000));
    fake.revokeAll();
    expect(await write(events(1, 500), first)).toMatchObject({ kind: 'auth_failed' });
    src.invalidate(first);
    const second = await src.token(AbortSignal.timeout(5000));
    expect(second).not.toBe(first);
    expect(await write(events(1, 500), second)).toEqual({ kind: 'delivered' });
  });

  it('short-lived tokens are refreshed before they expire', async () => {
    const short = await startFakeGcpLogging({
      publicKeyPem: publicKey,
      clientEmail: EMAIL,
      tokenLifetimeS: 2,
    });
    try {
      const k = parseServiceAccountKey(
        JSON.stringify({
          type: 'service_account',
          private_key: privateKey,
          client_email: EMAIL,
          token_uri: short.tokenUri,
        }),
      );
      const src = new ServiceAccountTokenSource(k, { post });
      const a = await src.token(AbortSignal.timeout(5000));
      await new Promise((r) => setTimeout(r, 1100)); // past half the 2 s lifetime: refreshed
      const b = await src.token(AbortSignal.timeout(5000));
      expect(b).not.toBe(a);
      expect(short.tokenRequests).toBe(2);
    } finally {
      await short.close();
    }
  });
});
