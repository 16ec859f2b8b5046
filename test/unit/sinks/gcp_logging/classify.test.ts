// Tests for entries:write response classification: statuses, google.rpc.Status bodies, per-entry errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARTIAL_ERRORS_TYPE, classifyEntriesWrite } from '../../../../src/sinks/gcp_logging/classify.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const JSON_CT = { 'content-type': 'application/json; charset=UTF-8' };
const ids = ['a', 'b', 'c', 'd'];

function res(
  status: number,
  body: unknown = '',
  headers: HttpResponseInfo['headers'] = JSON_CT,
  truncated = false,
): HttpResponseInfo {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers, body: Buffer.from(text), bodyTruncated: truncated };
}

function rpc(code: number, status: string, message: string, details?: unknown[]): unknown {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

const partial = (errors: Record<string, { code?: number; message?: string }>): unknown[] => [
  { '@type': PARTIAL_ERRORS_TYPE, logEntryErrors: errors },
];

describe('entries:write classification', () => {
  it('2xx is delivered', () => {
    expect(classifyEntriesWrite(res(200, '{}'), ids)).toEqual({ kind: 'delivered' });
  });

  it('400 with per-entry INVALID_ARGUMENT: listed rejected, the rest delivered', () => {
    const body = rpc(
      400,
      'INVALID_ARGUMENT',
      'Log entry with size 300K exceeds maximum size of 256.0K',
      partial({
        '1': { code: 3, message: 'Log entry with size 300K exceeds maximum size of 256.0K' },
        '3': { code: 3, message: 'timestamp too far in the future' },
      }),
    );
    expect(classifyEntriesWrite(res(400, body), ids)).toEqual({
      kind: 'partial',
      retry: [],
      rejected: [
        {
          id: 'b',
          status: 400,
          reason: 'INVALID_ARGUMENT: Log entry with size 300K exceeds maximum size of 256.0K',
        },
        { id: 'd', status: 400, reason: 'INVALID_ARGUMENT: timestamp too far in the future' },
      ],
    });
  });

  it('per-entry transient codes are retried, with Retry-After or RetryInfo', () => {
    const details = [
      ...partial({ '0': { code: 14, message: 'try later' }, '2': { code: 9, message: 'nope' } }),
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.5s' },
    ];
    const out = classifyEntriesWrite(res(503, rpc(503, 'UNAVAILABLE', 'x', details)), ids);
    expect(out).toEqual({
      kind: 'partial',
      retry: ['a'],
      rejected: [{ id: 'c', status: 400, reason: 'FAILED_PRECONDITION: nope' }],
      retryAfterMs: 2500,
    });
    const withHeader = classifyEntriesWrite(
      res(503, rpc(503, 'UNAVAILABLE', 'x', details), { ...JSON_CT, 'retry-after': '7' }),
      ids,
    );
    expect(withHeader).toMatchObject({ retryAfterMs: 7000 });
  });

  it('a transient status no listed entry explains: unlisted entries are retried too', () => {
    const out = classifyEntriesWrite(
      res(503, rpc(503, 'UNAVAILABLE', 'x', partial({ '1': { code: 3, message: 'bad' } }))),
      ids,
    );
    expect(out).toEqual({
      kind: 'partial',
      retry: ['a', 'c', 'd'],
      rejected: [{ id: 'b', status: 400, reason: 'INVALID_ARGUMENT: bad' }],
    });
  });

  it('per-entry PERMISSION_DENIED / UNAUTHENTICATED: auth_failed, nothing dead-lettered', () => {
    const body = rpc(
      403,
      'PERMISSION_DENIED',
      "Permission 'logging.logEntries.create' denied",
      partial({ '0': { code: 7, message: 'denied' } }),
    );
    expect(classifyEntriesWrite(res(403, body), ids)).toMatchObject({ kind: 'auth_failed', status: 403 });
  });

  it('ALREADY_EXISTS counts as delivered; an empty map falls back to the status', () => {
    expect(
      classifyEntriesWrite(res(409, rpc(409, 'ALREADY_EXISTS', 'dup', partial({ '0': { code: 6 } }))), ids),
    ).toEqual({ kind: 'delivered' });
    expect(
      classifyEntriesWrite(res(400, rpc(400, 'INVALID_ARGUMENT', 'bad', partial({}))), ids),
    ).toMatchObject({ kind: 'retry', misconfigured: true });
  });

  it('malformed per-entry errors retry the whole batch', () => {
    for (const errors of [
      { '4': { code: 3 } },
      { x: { code: 3 } },
      { '-1': { code: 3 } },
      { '0': { code: 'x' } },
      { '0': 'boom' },
    ]) {
      const out = classifyEntriesWrite(
        res(400, rpc(400, 'INVALID_ARGUMENT', 'bad', partial(errors as never))),
        ids,
      );
      expect(out).toMatchObject({ kind: 'retry', status: 400 });
      expect(out.kind === 'retry' && out.reason).toContain('per-entry errors not understood');
    }
    const notMap = [{ '@type': PARTIAL_ERRORS_TYPE, logEntryErrors: [1] }];
    expect(classifyEntriesWrite(res(400, rpc(400, 'INVALID_ARGUMENT', 'bad', notMap)), ids).kind).toBe(
      'retry',
    );
  });

  it.each([
    [401, 'UNAUTHENTICATED', 'auth_failed'],
    [403, 'PERMISSION_DENIED', 'auth_failed'],
    [404, 'NOT_FOUND', 'retry'],
    [409, 'ABORTED', 'retry'],
    [429, 'RESOURCE_EXHAUSTED', 'retry'],
    [500, 'INTERNAL', 'retry'],
    [503, 'UNAVAILABLE', 'retry'],
    [504, 'DEADLINE_EXCEEDED', 'retry'],
    // A request-level refusal is about the request (resource, labels, logName), not an event: held, never
    // dead-lettered (with partialSuccess a bad event is reported per entry).
    [400, 'INVALID_ARGUMENT', 'retry'],
    [400, 'FAILED_PRECONDITION', 'retry'],
    [413, 'INVALID_ARGUMENT', 'retry'],
  ])('HTTP %i %s without per-entry errors: %s', (status, name, kind) => {
    const out = classifyEntriesWrite(res(status, rpc(status, name, `msg for ${name}`)), ids);
    expect(out).toMatchObject({ kind, status });
    if (out.kind !== 'delivered' && out.kind !== 'accepted' && out.kind !== 'partial')
      expect(out.reason).toContain(`msg for ${name}`);
  });

  it('404 says it is a configuration problem', () => {
    const out = classifyEntriesWrite(res(404, rpc(404, 'NOT_FOUND', 'Log not found')), ids);
    expect(out.kind === 'retry' && out.reason).toMatch(/projectId\/logId/);
  });

  it('429 honours Retry-After (seconds and HTTP-date)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      classifyEntriesWrite(
        res(429, rpc(429, 'RESOURCE_EXHAUSTED', 'q'), { ...JSON_CT, 'retry-after': '3' }),
        ids,
        { now },
      ),
    ).toMatchObject({ kind: 'retry', retryAfterMs: 3000 });
    const date = { ...JSON_CT, 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' };
    expect(classifyEntriesWrite(res(429, '', date), ids, { now })).toMatchObject({
      kind: 'retry',
      retryAfterMs: 10_000,
    });
  });

  it('garbage, truncated or non-JSON bodies: retry unless the status alone decides', () => {
    const detailed = rpc(400, 'INVALID_ARGUMENT', 'bad', partial({ '0': { code: 3 } }));
    expect(classifyEntriesWrite(res(400, detailed, JSON_CT, true), ids)).toMatchObject({ kind: 'retry' });
    expect(
      classifyEntriesWrite(res(400, '<html>Bad Request</html>', { 'content-type': 'text/html' }), ids),
    ).toMatchObject({ kind: 'retry' });
    expect(classifyEntriesWrite(res(400, detailed, { 'content-type': 'text/plain' }), ids)).toMatchObject({
      kind: 'retry',
    });
    expect(classifyEntriesWrite(res(400, '{"error":'), ids)).toMatchObject({ kind: 'retry' });
    expect(classifyEntriesWrite(res(401, '<html>'), ids)).toMatchObject({ kind: 'auth_failed' });
    expect(classifyEntriesWrite(res(502, '\u0000\u0001garbage'), ids)).toMatchObject({ kind: 'retry' });
    expect(classifyEntriesWrite(res(302, ''), ids)).toMatchObject({
      kind: 'retry',
      reason: 'unexpected HTTP 302',
    });
  });

  it('reasons are scrubbed of secrets and credentials', () => {
    const token = 'ya29.SECRET-TOKEN-VALUE';
    const body = rpc(
      400,
      'INVALID_ARGUMENT',
      `echo Authorization: Bearer ${token}`,
      partial({ '0': { code: 3, message: `got ${token}` } }),
    );
    const out = classifyEntriesWrite(res(400, body), ids, { secrets: [token] });
    expect(JSON.stringify(out)).not.toContain(token);
    const whole = classifyEntriesWrite(res(401, rpc(401, 'UNAUTHENTICATED', `bad token ${token}`)), ids, {
      secrets: [token],
    });
    expect(JSON.stringify(whole)).not.toContain(token);
  });

  it('property: a well-formed partial answer accounts for every sent id exactly once or as delivered', () => {
    const codes = fc.constantFrom(3, 4, 5, 8, 9, 10, 11, 13, 14);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.dictionary(fc.nat({ max: 19 }).map(String), codes),
        fc.constantFrom(400, 429, 503),
        (n, raw, status) => {
          const sent = Array.from({ length: n }, (_, i) => `id${i}`);
          const errors = Object.fromEntries(
            Object.entries(raw)
              .filter(([k]) => Number(k) < n)
              .map(([k, code]) => [k, { code, message: 'm' }]),
          );
          const out = classifyEntriesWrite(res(status, rpc(status, 'X', 'm', partial(errors))), sent);
          if (Object.keys(errors).length === 0) return;
          expect(['partial', 'delivered']).toContain(out.kind);
          if (out.kind !== 'partial') return;
          const seen = [...out.retry, ...out.rejected.map((r) => r.id)];
          expect(new Set(seen).size).toBe(seen.length);
          for (const k of Object.keys(errors)) expect(seen).toContain(sent[Number(k)]);
          for (const r of out.rejected)
            expect([3, 9, 11]).toContain(errors[String(sent.indexOf(r.id))]!.code);
        },
      ),
    );
  });
});
