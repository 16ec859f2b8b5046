// The mock sink's protocol modes over real loopback sockets: Splunk HEC (auth, ackIds per channel, the ack
// query) and Cloud Logging (the token endpoint, bearer checks, entries:write), counted by event id.
import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { encodeHecEvent } from '../../../../src/sinks/splunk_hec/encode.js';
import {
  DEFAULT_SEVERITY_RULES,
  encodeLogEntry,
  entriesWriteFraming,
  type GcpEncodeOptions,
} from '../../../../src/sinks/gcp_logging/encode.js';
import type { SinkEvent } from '../../../../src/sinks/types.js';
import { startMockSink, type MockSink } from '../../../../src/tools/mock-sink/index.js';
import { post } from './helpers.js';

let sink: MockSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

function events(tenant: string, seqs: readonly number[]): SinkEvent[] {
  return seqs.map((seq) => ({
    id: `buf-1-${seq}`,
    tenant,
    receivedAt: Date.now(),
    payload: Buffer.from(
      JSON.stringify({ tenantId: tenant, timestampMillis: Date.now(), iclFields: { event: 'KEY_UNWRAP' } }),
    ),
  }));
}

const HEC = { sourcetype: 'logdriver:security_event' };
const hecBody = (evs: readonly SinkEvent[]): Buffer => Buffer.concat(evs.map((e) => encodeHecEvent(e, HEC)));
const CHANNEL = '0b5e1c52-6a0e-4b8c-9d57-3f1f7e1d2a10';

describe('mock sink: protocol splunk_hec', () => {
  it('checks the Splunk token and records a request without a channel at once', async () => {
    sink = await startMockSink({ protocol: 'splunk_hec', token: 'hec-token' });
    const url = `${sink.url}/services/collector/event`;
    expect(await post(url, hecBody(events('acme', [1])), {})).toMatchObject({
      status: 401,
      json: { code: 2 },
    });
    expect(await post(url, hecBody(events('acme', [1])), { authorization: 'Splunk nope' })).toMatchObject({
      status: 403,
      json: { code: 4 },
    });
    expect((await post(`${sink.url}/ingest`, 'x', { authorization: 'Splunk hec-token' })).status).toBe(404);
    const ok = await post(url, gzipSync(hecBody(events('acme', [1, 2, 3]))), {
      authorization: 'Splunk hec-token',
      'content-encoding': 'gzip',
    });
    expect(ok).toMatchObject({ status: 200, json: { text: 'Success', code: 0 } });
    expect((ok.json as Record<string, unknown>).ackId).toBeUndefined();
    const r = sink.report();
    expect(r).toMatchObject({ protocol: 'splunk_hec', events: 3, unique: 3, duplicates: 0 });
    expect(r.perTenant.acme?.unique).toBe(3);
    expect(r.latencyMs.count).toBe(3);
  });

  it('issues ackIds per channel and records events once the ack query reports them indexed', async () => {
    sink = await startMockSink({ protocol: 'splunk_hec', token: 't', ackDelayMs: 150 });
    const headers = { authorization: 'Splunk t', 'x-splunk-request-channel': CHANNEL };
    const a = await post(`${sink.url}/services/collector/event`, hecBody(events('acme', [1, 2])), headers);
    const b = await post(`${sink.url}/services/collector/event`, hecBody(events('acme', [3])), headers);
    expect(a.json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect(b.json).toEqual({ text: 'Success', code: 0, ackId: 1 });
    const ack = (ids: number[]) =>
      post(`${sink!.url}/services/collector/ack`, JSON.stringify({ acks: ids }), headers);
    expect((await ack([0, 1])).json).toEqual({ acks: { '0': false, '1': false } });
    expect(sink.report()).toMatchObject({ events: 0, pendingAcks: 2 });
    await new Promise((r) => setTimeout(r, 200));
    expect((await ack([0, 1, 7])).json).toEqual({ acks: { '0': true, '1': true, '7': false } });
    expect(sink.report()).toMatchObject({ events: 3, unique: 3, pendingAcks: 0, ackQueries: 2 });
    // Reported once, then forgotten, as Splunk does.
    expect((await ack([0])).json).toEqual({ acks: { '0': false } });
    expect(
      (await post(`${sink.url}/services/collector/ack`, '{"acks":[0]}', { authorization: 'Splunk t' }))
        .status,
    ).toBe(400);
  });
});

describe('mock sink: protocol gcp_logging', () => {
  const opts: GcpEncodeOptions = {
    logName: 'projects/p/logs/logdriver',
    resource: { type: 'global', labels: {} },
    severityRules: DEFAULT_SEVERITY_RULES,
    defaultSeverity: 'INFO',
  };
  const framing = entriesWriteFraming(opts);
  const writeBody = (evs: readonly SinkEvent[]): Buffer => {
    const parts: Buffer[] = [framing.prefix];
    evs.forEach((e, i) => {
      if (i > 0) parts.push(framing.separator);
      parts.push(encodeLogEntry(e, opts));
    });
    parts.push(framing.suffix);
    return Buffer.concat(parts);
  };
  const jwt = (claims: object): string =>
    `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
  const form = (grant: string, assertion: string): string =>
    new URLSearchParams({ grant_type: grant, assertion }).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  it('issues tokens for a JWT bearer grant and accepts entries:write only with one', async () => {
    sink = await startMockSink({ protocol: 'gcp_logging' });
    const write = `${sink.url}/v2/entries:write`;
    const body = writeBody(events('acme', [1, 2]));
    expect(await post(write, body, { authorization: 'Bearer made-up' })).toMatchObject({
      status: 401,
      json: { error: { status: 'UNAUTHENTICATED' } },
    });
    const claims = {
      iss: 'sa@p.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/logging.write',
    };
    expect((await post(`${sink.url}/token`, form('password', jwt(claims)), formHeaders)).status).toBe(400);
    expect(
      (
        await post(
          `${sink.url}/token`,
          form('urn:ietf:params:oauth:grant-type:jwt-bearer', 'x.y'),
          formHeaders,
        )
      ).json,
    ).toMatchObject({ error: 'invalid_grant' });
    const t = await post(
      `${sink.url}/token`,
      form('urn:ietf:params:oauth:grant-type:jwt-bearer', jwt(claims)),
      formHeaders,
    );
    expect(t).toMatchObject({ status: 200, json: { expires_in: 3600, token_type: 'Bearer' } });
    const token = (t.json as { access_token: string }).access_token;
    const ok = await post(write, gzipSync(body), {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(ok).toMatchObject({ status: 200, json: {} });
    await post(write, writeBody(events('acme', [2])), { authorization: `Bearer ${token}` });
    const r = sink.report();
    expect(r).toMatchObject({
      protocol: 'gcp_logging',
      events: 3,
      unique: 2,
      duplicates: 1,
      tokensIssued: 1,
    });
    expect(r.latencyMs.count).toBe(3);
    expect((await post(`${sink.url}/v2/other`, '{}', { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it('refuses entries it cannot count, as INVALID_ARGUMENT', async () => {
    sink = await startMockSink({ protocol: 'gcp_logging' });
    const claims = { iss: 'sa@p', scope: 'logging.write' };
    const t = await post(
      `${sink.url}/token`,
      form('urn:ietf:params:oauth:grant-type:jwt-bearer', jwt(claims)),
      formHeaders,
    );
    const auth = { authorization: `Bearer ${(t.json as { access_token: string }).access_token}` };
    const bad = await post(`${sink.url}/v2/entries:write`, '{"entries":[{"jsonPayload":{}}]}', auth);
    expect(bad).toMatchObject({ status: 400, json: { error: { status: 'INVALID_ARGUMENT' } } });
    expect(sink.report()).toMatchObject({ events: 0, badRequests: 1 });
  });
});
