// The splunk_hec sink against the loopback HEC fake: the shared conformance suite, the wire format HEC
// receives, and indexer acknowledgement (channels, ackIds, ack polling; acks delayed, lost, never coming).
import { afterEach, describe, expect, it } from 'vitest';
import { sinkSchema } from '../../../src/config/schema.js';
import { batchOf } from '../../../src/sinks/envelope.js';
import { SplunkHecSink, type SplunkHecSinkConfig } from '../../../src/sinks/splunk_hec/index.js';
import { startFakeHec, type FakeHec } from '../../support/fakes/splunk-hec.js';
import { conformanceEvents, runSinkConformance, type ConformanceFake } from './conformance.js';

const TOKEN = '8f4c2a10-5d0e-4f3b-9a61-2c7e0d4b9f11';

function hecSink(url: string, extra: Record<string, unknown> = {}): SplunkHecSink {
  const cfg = sinkSchema.parse({ type: 'splunk_hec', url, token: TOKEN, ...extra }) as SplunkHecSinkConfig;
  return new SplunkHecSink(cfg);
}

const hecError = (status: number, code: number, text: string) => ({ status, body: { text, code } });

runSinkConformance({
  name: 'splunk_hec',
  async start() {
    const hec = await startFakeHec({ token: TOKEN });
    const fake: ConformanceFake & { hec: FakeHec } = {
      hec,
      storedIds: () => hec.indexed.map((e) => e.eventId),
      answerNext: (n, answer) => hec.failNext(n, answer),
      rejectNextAt: (i) => hec.invalidEventAt(i),
      close: () => hec.close(),
    };
    return fake;
  },
  sink: (fake, { timeoutMs, url }) =>
    hecSink(url ?? (fake as unknown as { hec: FakeHec }).hec.url, { timeoutMs }),
  success: 'delivered',
  documentedErrors: [
    {
      name: 'code 8 internal server error (500) => retry',
      answer: hecError(500, 8, 'Internal server error'),
      expect: 'retry',
    },
    {
      name: 'code 9 server is busy (503) => retry',
      answer: hecError(503, 9, 'Server is busy'),
      expect: 'retry',
    },
    {
      name: 'code 18 HEC unhealthy (503) => retry',
      answer: hecError(503, 18, 'HEC is unhealthy, queues are full'),
      expect: 'retry',
    },
    {
      name: 'code 1 token disabled (403) => auth_failed',
      answer: hecError(403, 1, 'Token disabled'),
      expect: 'auth_failed',
    },
    {
      name: 'code 2 token is required (401) => auth_failed',
      answer: hecError(401, 2, 'Token is required'),
      expect: 'auth_failed',
    },
    {
      name: 'code 3 invalid authorization (401) => auth_failed',
      answer: hecError(401, 3, 'Invalid authorization'),
      expect: 'auth_failed',
    },
    {
      name: 'code 4 invalid token (403) => auth_failed',
      answer: hecError(403, 4, 'Invalid token'),
      expect: 'auth_failed',
    },
    {
      name: 'code 5 no data (400) => retry, not dead-lettered',
      answer: hecError(400, 5, 'No data'),
      expect: 'retry',
    },
    {
      name: 'code 6 without invalid-event-number => retry',
      answer: hecError(400, 6, 'Invalid data format'),
      expect: 'retry',
    },
    {
      name: 'code 7 incorrect index (400) => retry (a config problem)',
      answer: hecError(400, 7, 'Incorrect index'),
      expect: 'retry',
    },
    {
      name: 'code 10 data channel is missing => retry',
      answer: hecError(400, 10, 'Data channel is missing'),
      expect: 'retry',
    },
    {
      name: 'code 14 ACK is disabled => retry',
      answer: hecError(400, 14, 'ACK is disabled'),
      expect: 'retry',
    },
  ],
  unauthorized: hecError(401, 2, 'Token is required'),
  forbidden: hecError(403, 4, 'Invalid token'),
  reset200: 'retry',
  garbage200: 'retry',
});

const fakes: FakeHec[] = [];
const sinks: SplunkHecSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function setup(useAck: boolean, extra: Record<string, unknown> = {}) {
  const hec = await startFakeHec({ token: TOKEN, useAck });
  fakes.push(hec);
  const sink = hecSink(hec.url, { useAck, ...extra });
  sinks.push(sink);
  return { hec, sink };
}
const signal = () => new AbortController().signal;

describe('splunk_hec wire format', () => {
  it('HEC receives one envelope per event with time, sourcetype, index, the event and indexed fields', async () => {
    const { hec, sink } = await setup(false, { index: 'security', host: 'gw-1', gzip: true });
    const events = conformanceEvents(2);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(hec.indexed.map((e) => e.envelope)).toEqual(
      events.map((e, i) => ({
        time: 1764000000 + i,
        host: 'gw-1',
        sourcetype: 'logdriver:security_event',
        index: 'security',
        event: JSON.parse(e.payload.toString()) as unknown,
        fields: { tenant: 'acme', event_id: e.id },
      })),
    );
  });

  it('splits a batch past maxRequestBytes into several requests, in order', async () => {
    const { hec, sink } = await setup(false, { maxRequestBytes: 1024 });
    const events = conformanceEvents(6);
    expect(await sink.send(batchOf(events), signal())).toEqual({ kind: 'delivered' });
    expect(hec.eventRequests).toBeGreaterThan(1);
    expect(hec.indexed.map((e) => e.eventId)).toEqual(events.map((e) => e.id));
  });
});

describe('splunk_hec indexer acknowledgement', () => {
  it('a success is accepted with its ackId, confirmed once HEC reports it indexed', async () => {
    const { hec, sink } = await setup(true);
    hec.ackDelayMs = 150;
    const outcome = await sink.send(batchOf(conformanceEvents(3)), signal());
    expect(outcome).toEqual({ kind: 'accepted', token: '0' });
    expect(await sink.confirm('acme', ['0'], signal())).toEqual(new Set());
    await new Promise((r) => setTimeout(r, 200));
    expect(await sink.confirm('acme', ['0'], signal())).toEqual(new Set(['0']));
    expect(hec.indexed).toHaveLength(3);
  });

  it('each tenant has its own channel, and ackIds count per channel', async () => {
    const { hec, sink } = await setup(true);
    const a = await sink.send(batchOf(conformanceEvents(1, 'acme')), signal());
    const b = await sink.send(batchOf(conformanceEvents(1, 'globex')), signal());
    expect([a, b]).toEqual([
      { kind: 'accepted', token: '0' },
      { kind: 'accepted', token: '0' },
    ]);
    const channels = new Set(hec.received.map((e) => e.channel));
    expect(channels.size).toBe(2);
    expect(await sink.confirm('acme', ['0'], signal())).toEqual(new Set(['0']));
    expect(await sink.confirm('globex', ['0'], signal())).toEqual(new Set(['0']));
  });

  it('a split batch is one token confirmed only when every request of it is indexed', async () => {
    const { hec, sink } = await setup(true, { maxRequestBytes: 1024 });
    const outcome = await sink.send(batchOf(conformanceEvents(6)), signal());
    expect(outcome.kind).toBe('accepted');
    const token = outcome.kind === 'accepted' ? outcome.token : '';
    expect(token.split(',').length).toBe(hec.eventRequests);
    expect(await sink.confirm('acme', [token], signal())).toEqual(new Set([token]));
  });

  it('a lost batch is never confirmed (delivery then sends it again)', async () => {
    const { hec, sink } = await setup(true);
    hec.loseAcks = true;
    const outcome = await sink.send(batchOf(conformanceEvents(2)), signal());
    expect(outcome.kind).toBe('accepted');
    await new Promise((r) => setTimeout(r, 30));
    expect(await sink.confirm('acme', ['0'], signal())).toEqual(new Set());
    expect(hec.indexed).toHaveLength(0);
  });

  it('a failing ack query throws (asked again later), never confirms', async () => {
    const { hec, sink } = await setup(true);
    await sink.send(batchOf(conformanceEvents(1)), signal());
    await hec.close();
    fakes.splice(fakes.indexOf(hec), 1);
    await expect(sink.confirm('acme', ['0'], signal())).rejects.toThrow(/ack query failed/);
  });
});

describe('splunk_hec url', () => {
  it('a url given as the endpoint itself is taken as the base URL', async () => {
    const { hec } = await setup(false);
    const sink = hecSink(`${hec.url}/services/collector/event`);
    sinks.push(sink);
    expect(await sink.send(batchOf(conformanceEvents(1)), signal())).toEqual({ kind: 'delivered' });
  });
});
