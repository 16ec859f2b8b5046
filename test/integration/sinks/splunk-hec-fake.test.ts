// The Splunk HEC fake behaves per the published protocol: auth answers, channel rule, per-channel ackIds,
// ack polling with a delay, lost acks, gzip bodies, scripted failures and invalid events.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAckRequest, encodeHecEvent } from '../../../src/sinks/splunk_hec/encode.js';
import { classifyHecResponse, parseAckResponse } from '../../../src/sinks/splunk_hec/classify.js';
import type { HttpResponseInfo } from '../../../src/sinks/transport/response.js';
import type { SinkEvent } from '../../../src/sinks/types.js';
import { startFakeHec, type FakeHec } from '../../support/fakes/splunk-hec.js';

const TOKEN = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const fakes: FakeHec[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function start(useAck = false): Promise<FakeHec> {
  const fake = await startFakeHec({ token: TOKEN, useAck });
  fakes.push(fake);
  return fake;
}

const events = (n: number, from = 0): SinkEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `id-${from + i}`,
    tenant: 'acme',
    receivedAt: 1764000000000 + i,
    payload: Buffer.from(`{"n":${from + i}}`),
  }));
const body = (evts: readonly SinkEvent[]): Buffer =>
  Buffer.concat(evts.map((e) => encodeHecEvent(e, { sourcetype: '_json' })));

async function post(
  fake: FakeHec,
  path: string,
  payload: Buffer,
  headers: Record<string, string> = {},
): Promise<HttpResponseInfo & { json: unknown }> {
  const r = await request(`${fake.url}${path}`, {
    method: 'POST',
    body: payload,
    headers: { authorization: `Splunk ${TOKEN}`, ...headers },
  });
  const buf = Buffer.from(await r.body.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: r.statusCode, headers: r.headers, body: buf, json };
}

describe('fake HEC: protocol', () => {
  it('answers auth problems with the documented codes', async () => {
    const fake = await start();
    const b = body(events(1));
    expect((await post(fake, '/services/collector/event', b, { authorization: '' })).json).toEqual({
      text: 'Token is required',
      code: 2,
    });
    const bearer = await post(fake, '/services/collector/event', b, { authorization: `Bearer ${TOKEN}` });
    expect([bearer.status, bearer.json]).toEqual([401, { text: 'Invalid authorization', code: 3 }]);
    const wrong = await post(fake, '/services/collector/event', b, { authorization: 'Splunk nope' });
    expect([wrong.status, wrong.json]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    fake.tokenDisabled = true;
    const disabled = await post(fake, '/services/collector/event', b);
    expect(classifyHecResponse(disabled, ['id-0'], { useAck: false })).toMatchObject({ kind: 'auth_failed' });
    expect(fake.received).toEqual([]);
  });

  it('indexes at once without ack, records envelopes, reads gzip bodies and counts duplicates', async () => {
    const fake = await start();
    const r = await post(fake, '/services/collector/event', body(events(3)));
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect(classifyHecResponse(r, ['id-0', 'id-1', 'id-2'], { useAck: false })).toEqual({
      kind: 'delivered',
    });
    const zipped = await post(fake, '/services/collector/event', gzipSync(body(events(2, 2))), {
      'content-encoding': 'gzip',
    });
    expect(zipped.status).toBe(200);
    expect(fake.indexed.map((e) => e.eventId)).toEqual(['id-0', 'id-1', 'id-2', 'id-2', 'id-3']);
    expect(fake.received[0]).toMatchObject({
      tenant: 'acme',
      eventId: 'id-0',
      envelope: { event: { n: 0 } },
    });
    expect(fake.duplicates()).toBe(1);
    expect(fake.eventRequests).toBe(2);
  });

  it('requires a GUID channel when ack is on, and numbers ackIds per channel', async () => {
    const fake = await start(true);
    const b = body(events(1));
    const missing = await post(fake, '/services/collector/event', b);
    expect([missing.status, missing.json]).toEqual([400, { text: 'Data channel is missing', code: 10 }]);
    const bad = await post(fake, '/services/collector/event', b, { 'x-splunk-request-channel': 'abc' });
    expect(bad.json).toEqual({ text: 'Invalid data channel', code: 11 });
    const [c1, c2] = [randomUUID(), randomUUID()];
    const ackIds = [];
    for (const channel of [c1, c1, c2, c1]) {
      const r = await post(fake, '/services/collector/event', b, { 'x-splunk-request-channel': channel });
      ackIds.push(classifyHecResponse(r, ['id-0'], { useAck: true }));
    }
    expect(ackIds).toEqual(['0', '1', '0', '2'].map((token) => ({ kind: 'accepted', token })));
    expect(fake.received.map((e) => e.channel)).toEqual([c1, c1, c2, c1]);
  });

  it('grants acks only after ackDelayMs, reports a granted ack once, and never grants lost ones', async () => {
    const fake = await start(true);
    const channel = randomUUID();
    const h = { 'x-splunk-request-channel': channel };
    fake.ackDelayMs = 150;
    await post(fake, '/services/collector/event', body(events(2)), h); // ackId 0
    fake.loseAcks = true;
    await post(fake, '/services/collector/event', body(events(1, 2)), h); // ackId 1, lost
    fake.loseAcks = false;
    const ask = async () =>
      parseAckResponse(await post(fake, '/services/collector/ack', encodeAckRequest(['0', '1', '9']), h));
    expect(await ask()).toEqual(new Set());
    expect(fake.indexed).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await ask()).toEqual(new Set(['0']));
    expect(await ask()).toEqual(new Set()); // reported once, then forgotten
    expect(fake.indexed.map((e) => e.eventId)).toEqual(['id-0', 'id-1']);
    expect(fake.received).toHaveLength(3);
    expect(fake.ackRequests).toBe(3);
    const noChannel = await post(fake, '/services/collector/ack', encodeAckRequest(['0']));
    expect(noChannel.json).toEqual({ text: 'Data channel is missing', code: 10 });
  });

  it('answers ack queries with code 14 when ack is off', async () => {
    const fake = await start(false);
    const r = await post(fake, '/services/collector/ack', encodeAckRequest(['0']));
    expect([r.status, r.json]).toEqual([400, { text: 'ACK is disabled', code: 14 }]);
  });

  it('scripts failures, busy and invalid events', async () => {
    const fake = await start();
    const b = body(events(4));
    fake.failNext(1, { status: 503, body: 'down', headers: { 'retry-after': '7' } });
    const scripted = await post(fake, '/services/collector/event', b);
    expect(classifyHecResponse(scripted, [], { useAck: false })).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7000,
    });
    fake.busy = true;
    expect((await post(fake, '/services/collector/event', b)).json).toEqual({
      text: 'Server is busy',
      code: 9,
    });
    fake.busy = false;
    fake.invalidEventAt(2);
    const invalid = await post(fake, '/services/collector/event', b);
    expect(invalid.json).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
    expect(classifyHecResponse(invalid, ['id-0', 'id-1', 'id-2', 'id-3'], { useAck: false })).toMatchObject({
      kind: 'partial',
      retry: ['id-0', 'id-1', 'id-3'],
      rejected: [{ id: 'id-2' }],
    });
    expect(fake.indexed.map((e) => e.eventId)).toEqual(['id-0', 'id-1']); // events before n indexed
    const broken = Buffer.concat([body(events(1)), Buffer.from('{"event":'), body(events(1, 1))]);
    expect((await post(fake, '/services/collector/event', broken)).json).toEqual({
      text: 'Invalid data format',
      code: 6,
      'invalid-event-number': 1,
    });
    expect((await post(fake, '/services/collector/event', Buffer.from('{"time":1}'))).json).toMatchObject({
      code: 12,
      'invalid-event-number': 0,
    });
    expect((await post(fake, '/services/collector/event', Buffer.alloc(0))).json).toEqual({
      text: 'No data',
      code: 5,
    });
    expect((await post(fake, '/nope', b)).status).toBe(404);
    expect(fake.eventRequests).toBe(6);
  });
});
