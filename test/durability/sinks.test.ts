// End to end through the service as a child process: ZeroMQ in, one tenant on each sink type (splunk_hec with
// indexer acknowledgement, gcp_logging, http, stdout by default). Every event reaches its own tenant's fake
// once and no other; with Splunk acks delayed nothing is deleted before its ack; SIGKILLed while acks are
// outstanding and restarted, every event is indexed (duplicates allowed, and counted).
import { generateKeyPairSync } from 'node:crypto';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { startFakeGcpLogging } from '../support/fakes/gcp-logging.js';
import { startFakeHec, type FakeHec } from '../support/fakes/splunk-hec.js';
import { childMetric, event, eventually, startChild, tempDir, testConfig } from '../support/service.js';

const HEC_TOKEN = '0d6e2f8a-1b3c-4d5e-8f90-a1b2c3d4e5f6';
const EMAIL = 'logdriver@acme-sec.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

async function push(endpoint: string, events: readonly string[]): Promise<void> {
  const socket = new Push({ sendHighWaterMark: 100_000 });
  socket.connect(endpoint);
  for (const e of events) await socket.send(e);
  // Let ZeroMQ flush before closing (close drops what is still queued once linger passes).
  socket.linger = 5000;
  socket.close();
}

const nOf = (e: { event?: unknown; envelope?: unknown }): number =>
  ((e.event ?? (e.envelope as { event: unknown }).event) as { n: number }).n;

describe('sinks end to end', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  async function setup(hec: FakeHec) {
    const dir = tempDir();
    const gcp = await startFakeGcpLogging({ publicKeyPem: publicKey, clientEmail: EMAIL });
    const http = await startMockSink({ keepEvents: true });
    cleanups.push(
      dir.remove,
      () => gcp.close(),
      () => http.close(),
      () => hec.close(),
    );
    const key = JSON.stringify({
      type: 'service_account',
      project_id: 'acme-sec',
      private_key: privateKey,
      client_email: EMAIL,
      token_uri: gcp.tokenUri,
    });
    const raw = testConfig(`${dir.path}/data`, {
      ingest: { http: { enabled: false } },
      delivery: { batchSize: 100 },
      tenants: {
        acme: {
          sink: {
            type: 'splunk_hec',
            url: hec.url,
            token: '${HEC_TOKEN}',
            useAck: true,
            ackPollIntervalMs: 50,
            ackTimeoutMs: 60_000,
          },
        },
        globex: {
          sink: { type: 'gcp_logging', credentials: { keyJson: '${GCP_KEY}' }, endpoint: gcp.apiBase },
        },
        initech: { sink: { type: 'http', url: http.url } },
      },
    });
    const env = { HEC_TOKEN, GCP_KEY: key };
    return { dir, gcp, http, raw, env };
  }

  it('every event reaches its own tenant’s sink once; nothing of acme is deleted before Splunk acks it', async () => {
    const hec = await startFakeHec({ token: HEC_TOKEN, useAck: true });
    hec.ackDelayMs = 60 * 60_000; // acks withheld until the test releases them
    const { dir, gcp, http, raw, env } = await setup(hec);
    const stdout: string[] = [];
    const child = await startChild(raw, dir.path, env, stdout);
    cleanups.push(() => void child.proc.kill('SIGKILL'));

    const perTenant = 300;
    const tenants = ['acme', 'globex', 'initech', 'umbrella'];
    const events: string[] = [];
    for (let n = 0; n < perTenant; n++) for (const t of tenants) events.push(event(t, n));
    await push(child.endpoints.zmq!, events);

    await eventually('HEC received every acme event', () => hec.received.length >= perTenant, 30_000);
    await eventually(
      'the other tenants delivered',
      async () => {
        const gcpDone = gcp.entries.length === perTenant;
        const httpDone = http.report().unique === perTenant;
        const stdoutDone = stdout.filter((l) => l.includes('"umbrella"')).length === perTenant;
        return (
          gcpDone &&
          httpDone &&
          stdoutDone &&
          (await childMetric(child, 'logdriver_buffer_events')) === perTenant
        );
      },
      30_000,
    );
    // HEC has every acme event but confirmed none: all of them are still stored.
    expect(hec.indexed).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await childMetric(child, 'logdriver_buffer_events')).toBe(perTenant);

    hec.ackDelayMs = 0;
    await eventually(
      'acks confirmed and acme deleted',
      async () => (await childMetric(child, 'logdriver_buffer_events')) === 0,
      30_000,
    );

    // Once each, at its own sink only, in order.
    const range = [...Array(perTenant).keys()];
    expect(hec.indexed.map(nOf)).toEqual(range);
    expect(new Set(hec.indexed.map((e) => e.tenant))).toEqual(new Set(['acme']));
    expect(hec.duplicates()).toBe(0);
    expect(gcp.entries.map((e) => (e.entry.jsonPayload as { n: number }).n)).toEqual(range);
    expect(new Set(gcp.entries.map((e) => (e.entry.labels as { tenant: string }).tenant))).toEqual(
      new Set(['globex']),
    );
    expect(gcp.duplicateInsertIds).toEqual([]);
    expect(Object.keys(http.report().perTenant)).toEqual(['initech']);
    expect(http.report().duplicates).toBe(0);
    const out = stdout.map((l) => JSON.parse(l) as { tenantId: string; event: { n: number } });
    expect(new Set(out.map((e) => e.tenantId))).toEqual(new Set(['umbrella']));
    expect(out.map((e) => e.event.n)).toEqual(range);
  });

  it('SIGKILL while Splunk acks are outstanding: after a restart every acme event is indexed', async () => {
    const hec = await startFakeHec({ token: HEC_TOKEN, useAck: true });
    hec.ackDelayMs = 60 * 60_000;
    const { dir, raw, env } = await setup(hec);
    let child = await startChild(raw, dir.path, env);
    cleanups.push(() => void child.proc.kill('SIGKILL'));

    const total = 500;
    await push(
      child.endpoints.zmq!,
      Array.from({ length: total }, (_, n) => event('acme', n)),
    );
    await eventually(
      'HEC received every event (none acknowledged)',
      () => hec.received.length >= total,
      30_000,
    );
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(hec.indexed).toHaveLength(0);

    // Splunk did index what the dead process sent (its acks just were never asked for); the new process
    // cannot know that, so it sends every stored event again: each event is indexed, the first batch twice.
    hec.ackDelayMs = 0;
    child = await startChild(raw, dir.path, env);
    await eventually(
      'every event indexed by the new process and deleted',
      async () =>
        hec.indexed.length >= 2 * total && (await childMetric(child, 'logdriver_buffer_events')) === 0,
      30_000,
    );
    expect(new Set(hec.indexed.map(nOf)).size).toBe(total);
    expect(hec.duplicates()).toBe(total);
    expect(hec.received.slice(total).map(nOf)).toEqual([...Array(total).keys()]);
  });
});
