// The gcp_logging sink against the loopback Cloud Logging fake: the shared conformance suite, the entries the
// API receives, tokens (fetched at start, cached, replaced after a revocation), and secrets kept out of reasons.
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { GcpLoggingSink, type GcpLoggingSinkConfig } from '../../../src/sinks/gcp_logging/index.js';
import { startFakeGcpLogging, type FakeGcp } from '../../support/fakes/gcp-logging.js';
import { conformanceEvents, runSinkConformance, type ConformanceFake } from './conformance.js';

const EMAIL = 'logdriver@acme-sec.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const keyJson = (fake: FakeGcp) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'acme-sec',
    private_key_id: 'k1',
    private_key: privateKey,
    client_email: EMAIL,
    token_uri: fake.tokenUri,
  });

function gcpSink(fake: FakeGcp, extra: Record<string, unknown> = {}): GcpLoggingSink {
  const cfg = sinkSchema.parse({
    type: 'gcp_logging',
    credentials: { keyJson: keyJson(fake) },
    endpoint: fake.apiBase,
    ...extra,
  }) as GcpLoggingSinkConfig;
  return new GcpLoggingSink(cfg);
}

const rpc = (status: number, name: string, message: string) => ({
  status,
  body: { error: { code: status, message, status: name } },
});

runSinkConformance({
  name: 'gcp_logging',
  async start() {
    const gcp = await startFakeGcpLogging({ publicKeyPem: publicKey, clientEmail: EMAIL });
    const fake: ConformanceFake & { gcp: FakeGcp } = {
      gcp,
      storedIds: () => gcp.entries.map((e) => e.entry.insertId as string),
      answerNext: (n, answer) => gcp.failNext(n, answer),
      rejectNextAt: (i) => gcp.rejectEntriesAt([i], 3, 'jsonPayload: invalid value'),
      close: () => gcp.close(),
    };
    return fake;
  },
  sink: (fake, { timeoutMs, url }) => {
    const gcp = (fake as unknown as { gcp: FakeGcp }).gcp;
    return gcpSink(gcp, { timeoutMs, ...(url ? { endpoint: url } : {}) });
  },
  success: 'delivered',
  documentedErrors: [
    {
      name: '429 RESOURCE_EXHAUSTED => retry',
      answer: rpc(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'),
      expect: 'retry',
    },
    { name: '500 INTERNAL => retry', answer: rpc(500, 'INTERNAL', 'internal error'), expect: 'retry' },
    {
      name: '503 UNAVAILABLE => retry',
      answer: rpc(503, 'UNAVAILABLE', 'The service is unavailable'),
      expect: 'retry',
    },
    {
      name: '504 DEADLINE_EXCEEDED => retry',
      answer: rpc(504, 'DEADLINE_EXCEEDED', 'deadline'),
      expect: 'retry',
    },
    {
      name: '400 INVALID_ARGUMENT without entry errors => retry held as misconfigured',
      answer: rpc(400, 'INVALID_ARGUMENT', 'bad request'),
      expect: 'retry',
    },
    {
      name: '404 NOT_FOUND (project or log) => retry, a config problem',
      answer: rpc(404, 'NOT_FOUND', 'project not found'),
      expect: 'retry',
    },
  ],
  unauthorized: rpc(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
  forbidden: rpc(403, 'PERMISSION_DENIED', 'Permission denied on resource project acme-sec.'),
  reset200: 'delivered',
  garbage200: 'delivered',
});

const fakes: FakeGcp[] = [];
const sinks: GcpLoggingSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function setup(extra: Record<string, unknown> = {}, tokenLifetimeS?: number) {
  const fake = await startFakeGcpLogging({
    publicKeyPem: publicKey,
    clientEmail: EMAIL,
    ...(tokenLifetimeS ? { tokenLifetimeS } : {}),
  });
  fakes.push(fake);
  const sink = gcpSink(fake, extra);
  sinks.push(sink);
  return { fake, sink };
}
const signal = () => new AbortController().signal;

describe('gcp_logging', () => {
  it('start fetches the token; a batch becomes entries with insertId, timestamp, severity, labels, payload', async () => {
    const { fake, sink } = await setup({
      labels: { env: 'prod' },
      resource: { type: 'generic_node', labels: { location: 'eu' } },
    });
    await sink.start(signal());
    expect(fake.tokenRequests).toBe(1);
    const events = conformanceEvents(2);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(fake.tokenRequests).toBe(1);
    expect(fake.entries.map((e) => [e.logName, e.resource])).toEqual(
      events.map(() => [
        'projects/acme-sec/logs/logdriver-security-events',
        { type: 'generic_node', labels: { location: 'eu' } },
      ]),
    );
    expect(fake.entries.map((e) => e.entry)).toEqual(
      events.map((e, i): unknown =>
        expect.objectContaining({
          insertId: e.id,
          timestamp: new Date(1764000000000 + i * 1000).toISOString(),
          severity: i % 2 ? 'WARNING' : 'INFO',
          labels: { env: 'prod', tenant: 'acme' },
          jsonPayload: JSON.parse(e.payload.toString()) as unknown,
        }),
      ),
    );
  });

  it('a revoked token => auth_failed; the next attempt fetches a new token and succeeds', async () => {
    const { fake, sink } = await setup();
    expect((await sink.send(batchOf(conformanceEvents(1)), signal())).kind).toBe('delivered');
    fake.revokeAll();
    const refused = await sink.send(batchOf(conformanceEvents(1)), signal());
    expect(refused).toMatchObject({ kind: 'auth_failed', status: 401 });
    expect(await sink.send(batchOf(conformanceEvents(1)), signal())).toEqual({ kind: 'delivered' });
    expect(fake.tokenRequests).toBe(2);
  });

  it('a key the token endpoint refuses => auth_failed, and the reason holds neither key nor assertion', async () => {
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const fake = await startFakeGcpLogging({ publicKeyPem: other.publicKey, clientEmail: EMAIL });
    fakes.push(fake);
    const sink = gcpSink(fake);
    sinks.push(sink);
    const outcome = await sink.send(batchOf(conformanceEvents(1)), signal());
    expect(outcome.kind).toBe('auth_failed');
    const text = JSON.stringify(outcome) + inspect(sink) + JSON.stringify(sink);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(privateKey.split('\n')[1]!);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/); // no JWT
    expect(fake.entries).toHaveLength(0);
  });

  it('a per-entry error is dead-lettered alone; the others are written', async () => {
    const { fake, sink } = await setup();
    fake.rejectEntriesAt([2], 3, 'jsonPayload: invalid value');
    const events = conformanceEvents(4);
    const outcome = await sink.send(batchOf(events), signal());
    expect(outcome).toMatchObject({ kind: 'partial', retry: [], rejected: [{ id: events[2]!.id }] });
    expect(fake.entries.map((e) => e.entry.insertId)).toEqual([events[0]!.id, events[1]!.id, events[3]!.id]);
  });

  it('an entry larger than 256 KiB is dead-lettered with that reason; the batch is otherwise sent', async () => {
    const { fake, sink } = await setup();
    const events = conformanceEvents(3);
    const big = {
      ...events[1]!,
      payload: Buffer.from(JSON.stringify({ tenantId: 'acme', pad: 'x'.repeat(300_000) })),
    };
    const outcome = await sink.send(batchOf([events[0]!, big, events[2]!]), signal());
    expect(outcome).toMatchObject({ kind: 'partial', retry: [], rejected: [{ id: big.id }] });
    expect(fake.entries).toHaveLength(2);
  });

  it('a missing project id or an unreadable key file is a config error naming the key, not its content', () => {
    const base = { type: 'gcp_logging', endpoint: 'http://127.0.0.1:9' };
    const noProject = JSON.stringify({
      type: 'service_account',
      private_key: privateKey,
      client_email: EMAIL,
    });
    expect(
      () =>
        new GcpLoggingSink(
          sinkSchema.parse({ ...base, credentials: { keyJson: noProject } }) as GcpLoggingSinkConfig,
        ),
    ).toThrow(/projectId/);
    expect(
      () =>
        new GcpLoggingSink(
          sinkSchema.parse({
            ...base,
            credentials: { keyFile: '/nonexistent/key.json' },
          }) as GcpLoggingSinkConfig,
        ),
    ).toThrow(/credentials.keyFile/);
  });
});
