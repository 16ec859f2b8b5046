// End to end through the service as a child process: ZeroMQ in, one tenant on each sink type (splunk_hec with
// indexer acknowledgement, gcp_logging, http, elasticsearch, datadog, otlp, syslog over TCP, stdout by
// default). Every event reaches its own tenant's fake
// once and no other; with Splunk acks delayed nothing is deleted before its ack; SIGKILLed while acks are
// outstanding and restarted, every event is indexed (duplicates allowed, and counted).
import { generateKeyPairSync } from 'node:crypto';
import { Push } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockSink } from '../../src/tools/mock-sink/index.js';
import { startFakeDatadog } from '../support/fakes/datadog.js';
import { startFakeElasticsearch } from '../support/fakes/elasticsearch.js';
import { startFakeGcpLogging } from '../support/fakes/gcp-logging.js';
import { startFakeOtlp } from '../support/fakes/otlp.js';
import { startSyslogReceiver } from '../support/fakes/syslog.js';
import { parseMessage, sdOf } from '../support/syslog-parse.js';
import { startFakeHec, type FakeHec } from '../support/fakes/splunk-hec.js';
import { childMetric, event, eventually, startChild, tempDir, testConfig } from '../support/service.js';

const HEC_TOKEN = '0d6e2f8a-1b3c-4d5e-8f90-a1b2c3d4e5f6';
const DD_API_KEY = 'dd-e2e-api-key-4b1d';
const ES_KEY = { id: 'e2e-key-id', key: 'e2e-key-secret-7c1' };
const ES_API_KEY = `${ES_KEY.id}:${ES_KEY.key}`;
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
    const es = await startFakeElasticsearch({ auth: { apiKey: ES_KEY } });
    const dd = await startFakeDatadog({ apiKey: DD_API_KEY });
    const otlp = await startFakeOtlp();
    const syslog = await startSyslogReceiver();
    cleanups.push(
      dir.remove,
      () => gcp.close(),
      () => http.close(),
      () => hec.close(),
      () => es.close(),
      () => dd.close(),
      () => otlp.close(),
      () => syslog.close(),
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
        hooli: { sink: { type: 'elasticsearch', url: es.url, auth: { apiKey: '${ES_API_KEY}' } } },
        stark: { sink: { type: 'datadog', url: dd.url, apiKey: '${DD_API_KEY}' } },
        wayne: { sink: { type: 'otlp', url: otlp.url } },
        tyrell: { sink: { type: 'syslog', transport: 'tcp', host: '127.0.0.1', port: syslog.port } },
      },
    });
    const env = { HEC_TOKEN, GCP_KEY: key, ES_API_KEY, DD_API_KEY };
    return { dir, gcp, http, es, dd, otlp, syslog, raw, env };
  }

  it('every event reaches its own tenant’s sink once; nothing of acme is deleted before Splunk acks it', async () => {
    const hec = await startFakeHec({ token: HEC_TOKEN, useAck: true });
    hec.ackDelayMs = 60 * 60_000; // acks withheld until the test releases them
    const { dir, gcp, http, es, dd, otlp, syslog, raw, env } = await setup(hec);
    const stdout: string[] = [];
    const child = await startChild(raw, dir.path, env, stdout);
    cleanups.push(() => void child.proc.kill('SIGKILL'));

    const perTenant = 300;
    const tenants = ['acme', 'globex', 'initech', 'hooli', 'stark', 'wayne', 'tyrell', 'umbrella'];
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
        const newSinksDone =
          es.stored.length === perTenant &&
          dd.stored.length === perTenant &&
          otlp.records.length === perTenant &&
          syslog.messages.length === perTenant;
        return (
          gcpDone &&
          httpDone &&
          stdoutDone &&
          newSinksDone &&
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
    // Elasticsearch: one document per event, indexed by its event id, in the tenant's own index.
    expect(es.stored.map((d) => (d.source as { n: number }).n)).toEqual(range);
    expect(new Set(es.stored.map((d) => d.index))).toEqual(new Set(['logs-logdriver-hooli']));
    expect(new Set(es.stored.map((d) => (d.source.logdriver as { tenant: string }).tenant))).toEqual(
      new Set(['hooli']),
    );
    expect(new Set(es.stored.map((d) => d.id)).size).toBe(perTenant);
    // Datadog: the event as the message, the tenant as a tag.
    expect(dd.stored.map((l) => (JSON.parse(l.entry.message as string) as { n: number }).n)).toEqual(range);
    expect(dd.stored.every((l) => String(l.entry.ddtags).split(',').includes('tenant:stark'))).toBe(true);
    expect(new Set(dd.stored.map((l) => l.eventId)).size).toBe(perTenant);
    // OTLP: a log record per event, the body the event as a map, the tenant as an attribute.
    expect(otlp.records.map((r) => (r.body as { n: number }).n)).toEqual(range);
    expect(new Set(otlp.records.map((r) => r.attributes['logdriver.tenant']))).toEqual(new Set(['wayne']));
    // Syslog: one RFC 5424 message per event, tenant and id in the structured data, the event as MSG.
    const sys = syslog.messages.map((m) => parseMessage(m));
    expect(sys.map((p) => (JSON.parse(p.msg.toString('utf8')) as { n: number }).n)).toEqual(range);
    expect(new Set(sys.map((p) => sdOf(p).tenant))).toEqual(new Set(['tyrell']));
    expect(new Set(sys.map((p) => sdOf(p).id)).size).toBe(perTenant);

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
