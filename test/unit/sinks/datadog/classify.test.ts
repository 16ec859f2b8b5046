// Table tests for Datadog logs intake answer classification: every status the reference lists, Retry-After,
// success bodies, error bodies made into safe reasons.
import { describe, expect, it } from 'vitest';
import { classifyDatadogResponse } from '../../../../src/sinks/datadog/classify.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const NOW = Date.parse('2025-11-24T12:00:00Z');
const KEY = '0123456789abcdef0123456789abcdef';

function res(
  status: number,
  body: unknown = '',
  headers: HttpResponseInfo['headers'] = {},
  bodyTruncated = false,
): HttpResponseInfo {
  return {
    status,
    headers,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    bodyTruncated,
  };
}
const classify = (r: HttpResponseInfo) => classifyDatadogResponse(r, { now: NOW, secrets: [KEY] });
const errors = (status: number, title: string, detail: string) => ({
  errors: [{ status: String(status), title, detail }],
});

describe('classifyDatadogResponse: success', () => {
  it('202 {} => delivered; 200 and an empty body too', () => {
    expect(classify(res(202, {}))).toEqual({ kind: 'delivered' });
    expect(classify(res(200, ''))).toEqual({ kind: 'delivered' });
    expect(classify(res(202, ' \n'))).toEqual({ kind: 'delivered' });
  });

  it("a 2xx whose body is not the intake's answer, or is cut off => retry", () => {
    expect(classify(res(200, '<html>proxy login</html>'))).toMatchObject({ kind: 'retry', status: 200 });
    expect(classify(res(202, '[]'))).toMatchObject({ kind: 'retry', status: 202 });
    expect(classify(res(202, '{', {}, true))).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/cut off/) as string,
    });
  });
});

describe('classifyDatadogResponse: errors', () => {
  it("400 => rejected with the intake's reason", () => {
    expect(classify(res(400, errors(400, 'Bad Request', 'invalid JSON')))).toEqual({
      kind: 'rejected',
      status: 400,
      reason: 'HTTP 400 Bad Request: Bad Request: invalid JSON',
    });
    expect(classify(res(400, { errors: ['malformed payload'] }))).toMatchObject({
      reason: 'HTTP 400 Bad Request: malformed payload',
    });
    expect(classify(res(400, 'plain text'))).toMatchObject({ reason: 'HTTP 400 Bad Request: plain text' });
  });

  it('401 and 403 => auth_failed, the key scrubbed from the reason', () => {
    expect(classify(res(401, errors(401, 'Unauthorized', 'missing key')))).toMatchObject({
      kind: 'auth_failed',
      status: 401,
    });
    const forbidden = classify(res(403, errors(403, 'Forbidden', `invalid key ${KEY}`)));
    expect(forbidden).toMatchObject({ kind: 'auth_failed', status: 403 });
    expect(JSON.stringify(forbidden)).not.toContain(KEY);
    expect(JSON.stringify(forbidden)).toContain('[redacted]');
  });

  it.each([408, 429, 500, 502, 503, 504])('%i => retry, honouring Retry-After', (status) => {
    expect(classify(res(status, 'x', { 'retry-after': '12' }))).toEqual({
      kind: 'retry',
      status,
      reason: expect.any(String) as string,
      retryAfterMs: 12_000,
    });
    expect(classify(res(status, 'x'))).not.toHaveProperty('retryAfterMs');
  });

  it('Retry-After as an HTTP date', () => {
    expect(classify(res(429, '', { 'retry-after': 'Mon, 24 Nov 2025 12:00:30 GMT' }))).toMatchObject({
      retryAfterMs: 30_000,
    });
  });

  it('413 => retry naming maxRequestBytes (a configuration problem, never dead-lettered)', () => {
    expect(classify(res(413, errors(413, 'Payload Too Large', 'above 5MB')))).toMatchObject({
      kind: 'retry',
      status: 413,
      reason: expect.stringMatching(/lower maxRequestBytes/) as string,
    });
  });

  it('404 and other 4xx => retry (configuration), 3xx => retry as misconfigured, 1xx => retry', () => {
    expect(classify(res(404, ''))).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/check site or url/) as string,
    });
    expect(classify(res(415, ''))).toMatchObject({ kind: 'retry', status: 415 });
    expect(classify(res(307, '', { location: 'https://elsewhere' }))).toEqual({
      kind: 'retry',
      status: 307,
      reason: 'unexpected HTTP 307',
      misconfigured: true,
    });
    expect(classify(res(101, ''))).toMatchObject({ kind: 'retry' });
  });

  it('a garbage error body gives a short printable reason', () => {
    const r = classify(res(500, `\u0000\u001b[31m${'A'.repeat(10_000)}`));
    const reason = r.kind === 'retry' ? r.reason : '';
    expect(reason.length).toBeLessThan(400);
    // eslint-disable-next-line no-control-regex
    expect(reason).not.toMatch(/[\u0000-\u001f]/);
  });
});
