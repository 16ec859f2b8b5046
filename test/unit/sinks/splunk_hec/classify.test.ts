// Table tests for HEC answer classification (every documented code and status, Retry-After, partials by
// invalid-event-number, ackIds) and for reading ack query answers.
import { describe, expect, it } from 'vitest';
import { classifyHecResponse, parseAckResponse } from '../../../../src/sinks/splunk_hec/classify.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const NOW = Date.parse('2025-11-24T12:00:00Z');
const ids = ['e0', 'e1', 'e2', 'e3'];
const TOKEN = '11111111-2222-3333-4444-555555555555';

function res(
  status: number,
  body: unknown = '',
  headers: HttpResponseInfo['headers'] = {},
): HttpResponseInfo {
  return { status, headers, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}
const hec = (code: number, text: string, extra: object = {}) => ({ text, code, ...extra });
function classify(r: HttpResponseInfo, useAck = false, sent: readonly string[] = ids) {
  return classifyHecResponse(r, sent, { useAck, now: NOW, secrets: [TOKEN] });
}

describe('classifyHecResponse: success', () => {
  it('200 code 0 => delivered (an ackId without useAck is ignored)', () => {
    expect(classify(res(200, hec(0, 'Success')))).toEqual({ kind: 'delivered' });
    expect(classify(res(200, hec(0, 'Success', { ackId: 3 })))).toEqual({ kind: 'delivered' });
  });

  it('200 code 0 with an ackId and useAck => accepted with the ackId as token', () => {
    expect(classify(res(200, hec(0, 'Success', { ackId: 0 })), true)).toEqual({
      kind: 'accepted',
      token: '0',
    });
    expect(classify(res(200, hec(0, 'Success', { ackId: 42 })), true)).toEqual({
      kind: 'accepted',
      token: '42',
    });
  });

  it('useAck but no ackId at all (token has acks off) => delivered, never re-indexed by retries', () => {
    expect(classify(res(200, hec(0, 'Success')), true)).toEqual({ kind: 'delivered' });
  });

  it.each([-1, 1.5, '7', null, 2 ** 60])('useAck and ackId %j => retry naming the mismatch', (ackId) => {
    const out = classify(res(200, hec(0, 'Success', ackId === undefined ? {} : { ackId })), true);
    expect(out).toMatchObject({ kind: 'retry', status: 200 });
    expect((out as { reason: string }).reason).toMatch(/ackId.*useAck/);
  });

  it.each([
    ['an empty body', ''],
    ['garbage', '<html>ok</html>'],
    ['a JSON array', '[0]'],
    ['code 17 (health)', JSON.stringify(hec(17, 'HEC is healthy'))],
    ['a code that is not an integer', '{"text":"Success","code":"0"}'],
  ])('200 with %s => retry, never delivered', (_what, body) => {
    expect(classify(res(200, body))).toMatchObject({ kind: 'retry', status: 200 });
    expect(classify(res(200, body), true)).toMatchObject({ kind: 'retry', status: 200 });
  });

  it('a success body cut off at the read limit => retry', () => {
    const r = { ...res(200, hec(0, 'Success')), bodyTruncated: true };
    expect(classify(r)).toMatchObject({ kind: 'retry' });
  });
});

describe('classifyHecResponse: documented codes', () => {
  it.each([
    [403, 1, 'Token disabled'],
    [401, 2, 'Token is required'],
    [401, 3, 'Invalid authorization'],
    [403, 4, 'Invalid token'],
    [400, 16, 'Query string authorization is not enabled'],
  ])('%i code %i => auth_failed', (status, code, text) => {
    expect(classify(res(status, hec(code, text)))).toEqual({
      kind: 'auth_failed',
      status,
      reason: `HTTP ${status} ${status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : 'Forbidden'}: HEC code ${code} ${text}`,
    });
  });

  it.each([401, 403])('%i without a HEC body => auth_failed', (status) => {
    expect(classify(res(status, 'nope'))).toMatchObject({ kind: 'auth_failed', status });
  });

  it.each([
    [500, 8, 'Internal server error'],
    [503, 9, 'Server is busy'],
    [503, 18, 'HEC is unhealthy, queues are full'],
    [503, 19, 'HEC is unhealthy, ack service unavailable'],
    [503, 20, 'HEC is unhealthy, queues are full, ack service unavailable'],
  ])('%i code %i => retry', (status, code, text) => {
    expect(classify(res(status, hec(code, text)))).toEqual({
      kind: 'retry',
      status,
      reason: expect.stringContaining(`HEC code ${code} ${text}`) as string,
    });
  });

  it.each([
    [5, 'No data', /no data/],
    [7, 'Incorrect index', /index the token allows/],
    [10, 'Data channel is missing', /request channel/],
    [11, 'Invalid data channel', /request channel/],
    [14, 'ACK is disabled', /useAck/],
  ])('400 code %i (configuration) => retry naming the problem, never rejected', (code, text, hint) => {
    const out = classify(res(400, hec(code, text, { 'invalid-event-number': 1 })));
    expect(out).toMatchObject({ kind: 'retry', status: 400 });
    expect((out as { reason: string }).reason).toMatch(hint);
    expect((out as { reason: string }).reason).toContain(`HEC code ${code} ${text}`);
  });

  it.each([
    [6, 'Invalid data format'],
    [12, 'Event field is required'],
    [13, 'Event field cannot be blank'],
    [15, 'Error in handling indexed fields'],
  ])('400 code %i naming event n => that event rejected, all others retried', (code, text) => {
    const out = classify(res(400, hec(code, text, { 'invalid-event-number': 2 })));
    expect(out).toEqual({
      kind: 'partial',
      retry: ['e0', 'e1', 'e3'],
      rejected: [{ id: 'e2', status: 400, reason: `HTTP 400 Bad Request: HEC code ${code} ${text}` }],
    });
  });

  it('invalid-event-number 0 of a one-event request => partial rejecting it, nothing to retry', () => {
    expect(
      classify(res(400, hec(6, 'Invalid data format', { 'invalid-event-number': 0 })), false, ['only']),
    ).toEqual({
      kind: 'partial',
      retry: [],
      rejected: [{ id: 'only', status: 400, reason: expect.any(String) as string }],
    });
  });

  it.each([[4], [-1], [1.5], ['2'], [null], [undefined]])(
    'invalid-event-number %j unusable => retry all',
    (n) => {
      const extra = n === undefined ? {} : { 'invalid-event-number': n };
      const out = classify(res(400, hec(6, 'Invalid data format', extra)));
      expect(out).toMatchObject({ kind: 'retry', status: 400 });
      expect((out as { reason: string }).reason).toContain('no invalid-event-number');
    },
  );
});

describe('classifyHecResponse: plain HTTP answers', () => {
  it.each([408, 429, 500, 502, 503, 504])('%i without a HEC body => retry', (status) => {
    expect(classify(res(status, 'upstream trouble'))).toMatchObject({ kind: 'retry', status });
  });

  it.each([
    [404, /no HEC endpoint/],
    [413, /maxRequestBytes/],
    [400, /HTTP 400/],
    [422, /HTTP 422/],
  ])('%i without a HEC body => retry, not dead-lettered', (status, hint) => {
    const out = classify(res(status, 'proxy says no'));
    expect(out).toMatchObject({ kind: 'retry', status });
    expect((out as { reason: string }).reason).toMatch(hint);
  });

  it.each([100, 600])('%i => retry as unexpected', (status) => {
    expect(classify(res(status))).toEqual({ kind: 'retry', status, reason: `unexpected HTTP ${status}` });
  });

  it.each([301, 302])('%i => retry held as a misconfigured sink (redirects are never followed)', (status) => {
    expect(classify(res(status))).toEqual({
      kind: 'retry',
      status,
      reason: `unexpected HTTP ${status}`,
      misconfigured: true,
    });
  });

  it('honours Retry-After as seconds and as an HTTP-date, on retries and partials', () => {
    expect(classify(res(503, hec(9, 'Server is busy'), { 'retry-after': '30' }))).toMatchObject({
      kind: 'retry',
      retryAfterMs: 30_000,
    });
    const date = new Date(NOW + 5_000).toUTCString();
    expect(classify(res(429, 'slow down', { 'retry-after': date }))).toMatchObject({ retryAfterMs: 5_000 });
    const partial = classify(res(400, hec(6, 'x', { 'invalid-event-number': 0 }), { 'retry-after': '2' }));
    expect(partial).toMatchObject({ kind: 'partial', retryAfterMs: 2_000 });
    expect(classify(res(503, '', { 'retry-after': 'soon' }))).not.toHaveProperty('retryAfterMs');
  });

  it('scrubs the token and control characters from reasons', () => {
    const echoed = hec(4, `Invalid token Splunk ${TOKEN}\n\u001b[31mfake log line`);
    const out = classify(res(403, echoed)) as { reason: string };
    expect(out.reason).not.toContain(TOKEN);
    expect(out.reason).toContain('[redacted]');
    expect([...out.reason].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    const partial = classify(res(400, hec(6, `bad ${TOKEN}`, { 'invalid-event-number': 1 })));
    expect(partial.kind === 'partial' && partial.rejected[0]!.reason).toBe(
      'HTTP 400 Bad Request: HEC code 6 bad [redacted]',
    );
    const garbage = classify(res(200, `Authorization: Splunk ${TOKEN}`)) as { reason: string };
    expect(garbage.reason).not.toContain(TOKEN);
  });
});

describe('parseAckResponse', () => {
  it('returns the confirmed ackIds as strings', () => {
    const out = parseAckResponse(res(200, { acks: { '0': true, '1': false, '7': true } }));
    expect(out).toEqual(new Set(['0', '7']));
    expect(parseAckResponse(res(200, { acks: {} }))).toEqual(new Set());
  });

  it.each([
    ['a non-200 status', res(503, hec(9, 'Server is busy')), /HTTP 503/],
    ['ack disabled', res(400, hec(14, 'ACK is disabled')), /HTTP 400/],
    ['not JSON', res(200, 'ok'), /not JSON/],
    ['no acks', res(200, { text: 'Success', code: 0 }), /"acks"/],
    ['acks as an array', res(200, { acks: [true] }), /"acks"/],
    ['a top-level array', res(200, [1]), /"acks"/],
    ['null', res(200, 'null'), /"acks"/],
    ['a non-numeric ackId', res(200, { acks: { x: true } }), /non-numeric/],
    ['a non-boolean status', res(200, { acks: { '1': 'true' } }), /non-boolean/],
  ])('%s => the reason it was not understood', (_what, r, why) => {
    const out = parseAckResponse(r);
    expect(typeof out).toBe('string');
    expect(out).toMatch(why);
  });

  it('a cut-off answer is not trusted', () => {
    expect(parseAckResponse({ ...res(200, { acks: { '0': true } }), bodyTruncated: true })).toMatch(
      /too large/,
    );
  });
});
