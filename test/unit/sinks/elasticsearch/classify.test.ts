// Table tests for `_bulk` answer classification: whole-request statuses, and per-item verdicts (201, 409
// duplicates, 429/5xx retried, 4xx dead-lettered, configuration errors retried), malformed answers.
import { describe, expect, it } from 'vitest';
import { classifyBulkResponse } from '../../../../src/sinks/elasticsearch/classify.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const NOW = Date.parse('2025-11-24T12:00:00Z');
const ids = ['e0', 'e1', 'e2', 'e3'];
const SECRET = 'c2VjcmV0LWFwaS1rZXk=';

function res(
  status: number,
  body: unknown = '',
  headers: HttpResponseInfo['headers'] = {},
): HttpResponseInfo {
  return { status, headers, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}
const classify = (r: HttpResponseInfo, sent: readonly string[] = ids) =>
  classifyBulkResponse(r, sent, { now: NOW, secrets: [SECRET] });

type Item = { status: number; type?: string; reason?: string; id?: string | null };
function bulk(items: readonly Item[], errors = items.some((i) => i.status >= 300)) {
  return {
    took: 2,
    errors,
    items: items.map((it, n) => ({
      create: {
        _index: 'logs-logdriver-acme',
        ...(it.id === null ? {} : { _id: it.id ?? ids[n] }),
        status: it.status,
        ...(it.type ? { error: { type: it.type, reason: it.reason ?? 'why' } } : {}),
      },
    })),
  };
}
const ok = { status: 201 };
const conflict = {
  status: 409,
  type: 'version_conflict_engine_exception',
  reason: 'document already exists',
};

describe('classifyBulkResponse: items', () => {
  it('every item 201 => delivered', () => {
    expect(classify(res(200, bulk([ok, ok, ok, ok])))).toEqual({ kind: 'delivered' });
  });

  it('409 version conflicts (a redelivery) => delivered, although errors is true', () => {
    expect(classify(res(200, bulk([conflict, ok, conflict, conflict])))).toEqual({ kind: 'delivered' });
    expect(classify(res(200, bulk([conflict, conflict, conflict, conflict])))).toEqual({ kind: 'delivered' });
  });

  it('mixed items => partial: 429/5xx retried, 400 dead-lettered with type and reason', () => {
    const out = classify(
      res(
        200,
        bulk([
          ok,
          { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [a]' },
          { status: 429, type: 'es_rejected_execution_exception' },
          { status: 503, type: 'unavailable_shards_exception' },
        ]),
      ),
    );
    expect(out).toEqual({
      kind: 'partial',
      retry: ['e2', 'e3'],
      rejected: [
        { id: 'e1', status: 400, reason: 'item 400 mapper_parsing_exception: failed to parse field [a]' },
      ],
    });
  });

  it('a partial honours Retry-After', () => {
    const out = classify(res(200, bulk([ok, { status: 429, type: 'x' }, ok, ok]), { 'retry-after': '7' }));
    expect(out).toMatchObject({ kind: 'partial', retry: ['e1'], retryAfterMs: 7000 });
  });

  it.each([
    [404, 'index_not_found_exception'],
    [400, 'invalid_index_name_exception'],
    [403, 'cluster_block_exception'],
    [400, 'index_closed_exception'],
    [400, 'validation_exception'], // the cluster's shard limit: an index per tenant cannot be created
  ])('item %i %s (configuration, not the event) => retried, not dead-lettered', (status, type) => {
    expect(classify(res(200, bulk([ok, { status, type }, ok, ok])))).toEqual({
      kind: 'partial',
      retry: ['e1'],
      rejected: [],
    });
  });

  it('a missing ingest pipeline => retried', () => {
    const item = {
      status: 400,
      type: 'illegal_argument_exception',
      reason: 'pipeline with id [sec] does not exist',
    };
    expect(classify(res(200, bulk([ok, item, ok, ok])))).toMatchObject({ kind: 'partial', retry: ['e1'] });
  });

  it('an alias without a write index => retried', () => {
    const item = {
      status: 400,
      type: 'illegal_argument_exception',
      reason: 'no write index is defined for alias [logs-logdriver-acme]',
    };
    expect(classify(res(200, bulk([ok, item, ok, ok])))).toMatchObject({ kind: 'partial', retry: ['e1'] });
  });

  it('other item 4xx (document problems) => dead-lettered', () => {
    const item = { status: 400, type: 'illegal_argument_exception', reason: 'field [a] too long' };
    expect(classify(res(200, bulk([ok, item, ok, ok])))).toMatchObject({
      kind: 'partial',
      retry: [],
      rejected: [{ id: 'e1', status: 400 }],
    });
  });

  it('a 409 of another type proves nothing => retried', () => {
    const item = { status: 409, type: 'resource_already_exists_exception' };
    expect(classify(res(200, bulk([ok, item, ok, ok])))).toMatchObject({ kind: 'partial', retry: ['e1'] });
  });

  it('every item retried => retry with the first reason and status', () => {
    const item = { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' };
    expect(classify(res(200, bulk([item, item, item, item])))).toEqual({
      kind: 'retry',
      status: 429,
      reason: 'every item failed, first: item 429 es_rejected_execution_exception: queue full',
    });
  });

  it('every item failing for the configuration => retry marked misconfigured (the tenant is held)', () => {
    const item = { status: 404, type: 'index_not_found_exception', reason: 'no such index [x]' };
    expect(classify(res(200, bulk([item, item, item, item])))).toMatchObject({
      kind: 'retry',
      status: 404,
      misconfigured: true,
    });
  });

  it('every item 401/403 => auth_failed', () => {
    const item = {
      status: 403,
      type: 'security_exception',
      reason: 'action [indices:data/write/bulk[s]] is unauthorized',
    };
    expect(classify(res(200, bulk([item, item, item, item])))).toMatchObject({
      kind: 'auth_failed',
      status: 403,
    });
  });

  it('items without _id are accepted in order', () => {
    expect(classify(res(200, bulk([{ ...ok, id: null }, ok, ok, ok])))).toEqual({ kind: 'delivered' });
  });

  it('item reasons are scrubbed of secrets and control characters', () => {
    const item = { status: 400, type: 'mapper_parsing_exception', reason: `bad\u001b[31m ${SECRET}` };
    const out = classify(res(200, bulk([ok, item, ok, ok])));
    const reason = out.kind === 'partial' ? out.rejected[0]!.reason : '';
    expect(reason).not.toContain(SECRET);
    // eslint-disable-next-line no-control-regex
    expect(reason).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('classifyBulkResponse: answers that prove nothing => retry', () => {
  it.each([
    ['an empty body', ''],
    ['HTML', '<html>login</html>'],
    ['a JSON array', '[]'],
    ['no items', JSON.stringify({ took: 1, errors: false })],
    ['fewer items than events', JSON.stringify(bulk([ok, ok, ok]))],
    ['more items than events', JSON.stringify(bulk([ok, ok, ok, ok, ok]))],
    ['an item without a status', JSON.stringify({ errors: false, items: [{ create: {} }, ok, ok, ok] })],
    ['an item for another _id', JSON.stringify(bulk([ok, { ...ok, id: 'zz' }, ok, ok]))],
    [
      'an item with two actions',
      JSON.stringify({ errors: false, items: [{ create: ok, index: ok }, ok, ok, ok] }),
    ],
  ])('200 with %s', (_what, body) => {
    expect(classify(res(200, body))).toMatchObject({ kind: 'retry', status: 200 });
  });

  it('a 200 cut off at the read limit', () => {
    const r = { ...res(200, bulk([ok, ok, ok, ok])), bodyTruncated: true };
    expect(classify(r)).toMatchObject({ kind: 'retry', status: 200 });
  });
});

describe('classifyBulkResponse: whole request', () => {
  const esError = (status: number, type: string, reason: string) => ({
    error: { root_cause: [{ type, reason }], type, reason },
    status,
  });

  it.each([401, 403])('%i => auth_failed with the reason', (status) => {
    expect(classify(res(status, esError(status, 'security_exception', 'unable to authenticate')))).toEqual({
      kind: 'auth_failed',
      status,
      reason: expect.stringContaining('unable to authenticate') as string,
    });
  });

  it.each([408, 429, 500, 502, 503, 504])('%i => retry, Retry-After honoured', (status) => {
    expect(classify(res(status, 'busy', { 'retry-after': '3' }))).toMatchObject({
      kind: 'retry',
      status,
      retryAfterMs: 3000,
    });
  });

  it('413 => retry saying to lower maxRequestBytes', () => {
    expect(classify(res(413, ''))).toMatchObject({
      kind: 'retry',
      status: 413,
      reason: expect.stringContaining('lower maxRequestBytes') as string,
    });
  });

  it.each([400, 404, 406, 415])('%i => retry (configuration), never rejected', (status) => {
    expect(classify(res(status, esError(status, 'illegal_argument_exception', 'bad request')))).toMatchObject(
      {
        kind: 'retry',
        status,
      },
    );
  });

  it('3xx => retry, misconfigured', () => {
    expect(classify(res(302, ''))).toMatchObject({ kind: 'retry', status: 302, misconfigured: true });
  });
});
