// Tests for the classification of OTLP/HTTP export answers: success and partialSuccess, the spec's retryable
// codes, google.rpc.Status reasons, BadRequest field violations, config-shaped 4xx, auth.
import { describe, expect, it } from 'vitest';
import { classifyOtlpResponse } from '../../../../src/sinks/otlp/classify.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const ids = ['a', 'b', 'c'];
const res = (
  status: number,
  body: unknown = '',
  headers: Record<string, string> = { 'content-type': 'application/json' },
  bodyTruncated = false,
): HttpResponseInfo => ({
  status,
  headers,
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  bodyTruncated,
});
const badRequest = (...fields: string[]) => ({
  code: 3,
  message: 'invalid',
  details: [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: fields.map((field) => ({ field, description: `bad ${field}` })),
    },
  ],
});
const kind = (r: HttpResponseInfo) => classifyOtlpResponse(r, ids).outcome.kind;

describe('classifyOtlpResponse', () => {
  it('200 with an empty body, {} or a protobuf answer => delivered without partialSuccess', () => {
    for (const r of [res(200), res(200, {}), res(200, 'x', { 'content-type': 'application/x-protobuf' })]) {
      expect(classifyOtlpResponse(r, ids)).toEqual({ outcome: { kind: 'delivered' } });
    }
  });

  it('partialSuccess => delivered, the count (int64 as string or number) and message reported', () => {
    for (const n of ['2', 2]) {
      const r = res(200, { partialSuccess: { rejectedLogRecords: n, errorMessage: 'dropped\nold' } });
      expect(classifyOtlpResponse(r, ids)).toEqual({
        outcome: { kind: 'delivered' },
        partialSuccess: { rejectedLogRecords: 2, errorMessage: 'dropped old' },
      });
    }
    const warning = classifyOtlpResponse(res(200, { partialSuccess: { errorMessage: 'use gzip' } }), ids);
    expect(warning.partialSuccess).toEqual({ rejectedLogRecords: 0, errorMessage: 'use gzip' });
  });

  it('a 200 that is not an ExportLogsServiceResponse => retry', () => {
    expect(kind(res(200, '<html>login</html>', { 'content-type': 'text/html' }))).toBe('retry');
    expect(kind(res(200, '[1]'))).toBe('retry');
    expect(kind(res(200, '{"partialSuccess":{"rejectedLogRecords":"x"}}'))).toBe('retry');
    expect(kind(res(200, '{"partialSuccess":{', {}, true))).toBe('retry');
  });

  it('429/502/503/504 => retry honouring Retry-After; other 5xx and 408 => retry', () => {
    for (const s of [429, 502, 503, 504]) {
      expect(classifyOtlpResponse(res(s, {}, { 'retry-after': '7' }), ids).outcome).toMatchObject({
        kind: 'retry',
        status: s,
        retryAfterMs: 7000,
      });
    }
    for (const s of [500, 501, 408]) expect(kind(res(s))).toBe('retry');
  });

  it('401/403 => auth_failed', () => {
    expect(classifyOtlpResponse(res(401, { message: 'no token' }), ids).outcome).toEqual({
      kind: 'auth_failed',
      status: 401,
      reason: 'HTTP 401 Unauthorized: no token',
    });
    expect(kind(res(403))).toBe('auth_failed');
  });

  it('400 and other 4xx => rejected with the google.rpc.Status message', () => {
    expect(classifyOtlpResponse(res(400, { code: 3, message: 'cannot decode' }), ids).outcome).toEqual({
      kind: 'rejected',
      status: 400,
      reason: 'HTTP 400 Bad Request: cannot decode',
    });
    expect(kind(res(422, { message: 'x' }))).toBe('rejected');
    expect(kind(res(400, 'plain text'))).toBe('rejected');
  });

  it('404/405/415/413 => retry naming the configuration', () => {
    expect(classifyOtlpResponse(res(404), ids).outcome).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/v1\/logs/) as string,
    });
    expect(classifyOtlpResponse(res(413), ids).outcome).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/maxRequestBytes/) as string,
    });
    expect(kind(res(405))).toBe('retry');
    expect(kind(res(415))).toBe('retry');
  });

  it('400 with BadRequest naming records => partial: those rejected, the rest retried', () => {
    const r = res(
      400,
      badRequest(
        'resourceLogs[0].scopeLogs[0].logRecords[1].body',
        'resource_logs[0].scope_logs[0].log_records[2]',
      ),
    );
    expect(classifyOtlpResponse(r, ids).outcome).toEqual({
      kind: 'partial',
      retry: ['a'],
      rejected: [
        {
          id: 'b',
          status: 400,
          reason: 'HTTP 400 Bad Request: bad resourceLogs[0].scopeLogs[0].logRecords[1].body',
        },
        {
          id: 'c',
          status: 400,
          reason: 'HTTP 400 Bad Request: bad resource_logs[0].scope_logs[0].log_records[2]',
        },
      ],
    });
  });

  it('400 with BadRequest naming a record not of this request, or another field => rejected', () => {
    expect(kind(res(400, badRequest('resourceLogs[0].scopeLogs[0].logRecords[3].body')))).toBe('rejected');
    expect(kind(res(400, badRequest('somethingElse')))).toBe('rejected');
  });

  it('400 with BadRequest naming the resource or scope => retry held as misconfigured', () => {
    expect(
      classifyOtlpResponse(res(400, badRequest('resourceLogs[0].resource.attributes[0]')), ids).outcome,
    ).toMatchObject({
      kind: 'retry',
      misconfigured: true,
    });
  });

  it('3xx => retry held as misconfigured; reasons never carry secrets or control characters', () => {
    expect(classifyOtlpResponse(res(302), ids).outcome).toMatchObject({ kind: 'retry', misconfigured: true });
    const out = classifyOtlpResponse(res(400, { message: 'token s3cr3t\u001b[31m' }), ids, {
      secrets: ['s3cr3t'],
    });
    expect(out.outcome).toEqual({
      kind: 'rejected',
      status: 400,
      reason: 'HTTP 400 Bad Request: token [redacted] [31m',
    });
  });
});
