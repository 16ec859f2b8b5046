// Table tests for HTTP response classification: statuses, Retry-After forms, error bodies, 207 partials.
import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../../src/sinks/http/classify.js';
import {
  MAX_REASON_CHARS,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  sanitizeReason,
  type HttpResponseInfo,
} from '../../../../src/sinks/transport/response.js';

const NOW = Date.parse('2025-11-24T12:00:00Z');
const ids = ['a', 'b', 'c'];

function res(status: number, body = '', headers: HttpResponseInfo['headers'] = {}): HttpResponseInfo {
  return { status, headers, body: Buffer.from(body) };
}
function classify(r: HttpResponseInfo, secrets: string[] = []) {
  return classifyResponse(r, { batchIds: () => ids, now: NOW, secrets });
}
/** batchIds for answers that must not need the ids (getting them may mean decoding the batch). */
const noIds = (): never => {
  throw new Error('ids asked for an answer other than 207');
};

describe('classifyResponse: status table', () => {
  it.each([200, 201, 202, 204, 299])('%i => delivered', (status) => {
    expect(classify(res(status, 'whatever'))).toEqual({ kind: 'delivered' });
  });

  it.each([408, 429, 500, 502, 503, 504, 599])('%i => retry with the status', (status) => {
    expect(classify(res(status))).toMatchObject({ kind: 'retry', status });
  });

  it.each([401, 403])('%i => auth_failed with the status (delivery applies onAuthFailure)', (status) => {
    const o = classify(res(status, '{"error":"token revoked"}'));
    expect(o).toEqual({
      kind: 'auth_failed',
      status,
      reason: expect.stringContaining('token revoked') as string,
    });
  });

  it.each([400, 404, 409, 413, 422])('%i => rejected with the status', (status) => {
    expect(classify(res(status, 'nope'))).toMatchObject({ kind: 'rejected', status });
  });

  it.each([100, 101, 301, 302, 304, 307, 308, 600, 0])(
    '%i => retry (nothing known to be stored)',
    (status) => {
      expect(classify(res(status))).toMatchObject({ kind: 'retry', reason: `unexpected HTTP ${status}` });
    },
  );
});

describe('classifyResponse: batch ids', () => {
  it.each([200, 204, 301, 400, 413, 429, 500, 503])('%i never asks for the batch ids', (status) => {
    expect(() => classifyResponse(res(status, 'x'), { batchIds: noIds, now: NOW })).not.toThrow();
  });

  it('a 207 asks for them once', () => {
    let asked = 0;
    const body = JSON.stringify({
      errors: [
        { id: 'a', status: 400 },
        { id: 'b', status: 500 },
      ],
    });
    const o = classifyResponse(res(207, body), {
      batchIds: () => {
        asked++;
        return ids;
      },
    });
    expect(o.kind).toBe('partial');
    expect(asked).toBe(1);
  });
});

describe('classifyResponse: Retry-After', () => {
  it('503 with delta-seconds', () => {
    expect(classify(res(503, '', { 'retry-after': '7' }))).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7000,
    });
  });

  it('429 with an HTTP-date', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    expect(classify(res(429, '', { 'retry-after': at }))).toMatchObject({
      kind: 'retry',
      retryAfterMs: 90_000,
    });
  });

  it('an invalid value leaves retryAfterMs out', () => {
    const o = classify(res(503, '', { 'retry-after': 'soon' }));
    expect(o.kind).toBe('retry');
    expect(o).not.toHaveProperty('retryAfterMs');
  });

  it('is ignored on a permanent rejection', () => {
    expect(classify(res(400, '', { 'retry-after': '5' }))).not.toHaveProperty('retryAfterMs');
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined, number | undefined]>([
    ['0', 0],
    ['7', 7000],
    [' 12 ', 12_000],
    [['3', '9'], 3000],
    ['Mon, 24 Nov 2025 12:00:30 GMT', 30_000],
    ['Monday, 24-Nov-25 12:01:00 GMT', 60_000],
    ['Mon Nov 24 12:00:05 2025', 5000],
    ['Mon, 24 Nov 2025 11:00:00 GMT', 0], // in the past: retry now
    ['99999999999999999999', MAX_RETRY_AFTER_MS], // capped
    ['Wed, 01 Jan 2100 00:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['-5', undefined],
    ['1.5', undefined],
    ['7s', undefined],
    ['', undefined],
    ['2025-11-24T12:00:30Z', undefined], // not an HTTP-date form
    ['Mon, 99 Foo 2025 12:00:30 GMT', undefined],
    [undefined, undefined],
  ])('%j => %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('honours a custom cap', () => {
    expect(parseRetryAfter('120', NOW, 60_000)).toBe(60_000);
  });
});

describe('classifyResponse: reasons from error bodies', () => {
  it('400 with a garbage body => rejected with a short, printable reason', () => {
    const garbage = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x1b]), Buffer.from('x'.repeat(5000))]);
    const o = classifyResponse({ status: 400, headers: {}, body: garbage }, { batchIds: noIds });
    expect(o.kind).toBe('rejected');
    if (o.kind !== 'rejected') return;
    expect(o.status).toBe(400);
    expect(o.reason.startsWith('HTTP 400 Bad Request: ')).toBe(true);
    expect(o.reason.length).toBeLessThan(MAX_REASON_CHARS + 40);
    // eslint-disable-next-line no-control-regex
    expect(o.reason).not.toMatch(/[\u0000-\u001f]/);
  });

  it('takes the message out of a JSON error body', () => {
    const o = classify(res(422, JSON.stringify({ error: { message: 'field tenantId is not allowed' } })));
    expect(o).toEqual({
      kind: 'rejected',
      status: 422,
      reason: 'HTTP 422 Unprocessable Entity: field tenantId is not allowed',
    });
  });

  it('an empty body gives the status line alone', () => {
    expect(classify(res(404))).toEqual({ kind: 'rejected', status: 404, reason: 'HTTP 404 Not Found' });
  });

  it('never echoes credentials the server reflected', () => {
    const body =
      'denied: Authorization: Bearer s3cr3t-token-value, also raw s3cr3t-token-value and Basic dXNlcjpwYXNz';
    const o = classify(res(401, body), ['Bearer s3cr3t-token-value', 's3cr3t-token-value']);
    expect(o.kind).toBe('auth_failed');
    const reason = o.kind === 'auth_failed' ? o.reason : '';
    expect(reason).not.toContain('s3cr3t');
    expect(reason).not.toContain('dXNlcjpwYXNz');
    expect(reason).toContain('[redacted]');
  });

  it('sanitizeReason scrubs generic credential patterns without known secrets', () => {
    expect(sanitizeReason('{"authorization":"Bearer abc.def"}')).not.toContain('abc.def');
    expect(sanitizeReason('token bearer abcdef123 rejected')).toBe('token bearer [redacted] rejected');
  });
});

describe('classifyResponse: 207 partial failures', () => {
  it('splits failed ids into retry and rejected; unlisted ids are delivered', () => {
    const body = JSON.stringify({
      errors: [
        { id: 'a', status: 400, reason: 'mapping error' },
        { id: 'b', status: 503 },
        { id: 'c', status: 429, reason: 'slow down' },
      ],
    });
    expect(classify(res(207, body, { 'retry-after': '2' }))).toEqual({
      kind: 'partial',
      retry: ['b', 'c'],
      rejected: [{ id: 'a', status: 400, reason: 'mapping error' }],
      retryAfterMs: 2000,
    });
  });

  it('retry wins when an id is listed as both retryable and permanent', () => {
    const body = JSON.stringify({
      errors: [
        { id: 'a', status: 400 },
        { id: 'a', status: 500 },
      ],
    });
    expect(classify(res(207, body))).toEqual({ kind: 'partial', retry: ['a'], rejected: [] });
  });

  it('gives a default reason and keeps reasons short', () => {
    const body = JSON.stringify({
      errors: [
        { id: 'a', status: 413 },
        { id: 'b', status: 400, reason: 'y'.repeat(999) },
      ],
    });
    const o = classify(res(207, body));
    expect(o.kind).toBe('partial');
    if (o.kind !== 'partial') return;
    expect(o.rejected[0]).toEqual({ id: 'a', status: 413, reason: 'HTTP 413' });
    expect(o.rejected[1]?.reason.length).toBe(MAX_REASON_CHARS + 1);
  });

  it('an empty errors list => delivered', () => {
    expect(classify(res(207, '{"errors":[]}'))).toEqual({ kind: 'delivered' });
  });

  it.each([
    ['not JSON', 'oops'],
    ['no errors array', '{"items":[]}'],
    ['errors not an array', '{"errors":{}}'],
    ['top-level array', '[{"errors":[]}]'],
    ['entry not an object', '{"errors":["a"]}'],
    ['unknown id', '{"errors":[{"id":"zzz","status":400}]}'],
    ['missing status', '{"errors":[{"id":"a"}]}'],
    ['2xx status', '{"errors":[{"id":"a","status":200}]}'],
    ['fractional status', '{"errors":[{"id":"a","status":400.5}]}'],
    ['numeric id', '{"errors":[{"id":1,"status":400}]}'],
  ])('malformed 207 (%s) => retry the whole batch', (_name, body) => {
    expect(classify(res(207, body))).toMatchObject({ kind: 'retry', status: 207 });
  });

  it('a 207 body cut off at the read limit => retry the whole batch', () => {
    const o = classifyResponse(
      { status: 207, headers: {}, body: Buffer.from('{"errors":[]}'), bodyTruncated: true },
      { batchIds: noIds },
    );
    expect(o).toMatchObject({ kind: 'retry', status: 207 });
  });
});
