// Config keys added by the ingest hardening: tenant ids counted in code points, ingest.http.maxEventsPerRequest.
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../../src/config/index.js';
import { failure } from './helpers.js';

const sink = { sink: { type: 'stdout' } };

describe('tenants.<id>', () => {
  it('takes an id of 256 emoji (512 UTF-16 units), as ingest does', () => {
    const id = '\u{1F600}'.repeat(256);
    const c = resolveConfig({ tenants: { [id]: sink } }, {}).config;
    expect(Object.keys(c.tenants)).toEqual([id]);
  });

  it('refuses an id of 257 characters, counted in code points', () => {
    for (const id of ['\u{1F600}'.repeat(257), 'x'.repeat(257)]) {
      const err = failure(() => resolveConfig({ tenants: { [id]: sink } }, {}));
      expect(err.message).toMatch(/at most 256 characters/);
    }
  });
});

describe('ingest.http.maxEventsPerRequest', () => {
  it('defaults to 10000 and can be set from the environment', () => {
    expect(loadConfig({ env: {} }).ingest.http.maxEventsPerRequest).toBe(10_000);
    const env = { LOGDRIVER_INGEST_HTTP_MAX_EVENTS_PER_REQUEST: '500' };
    expect(loadConfig({ env }).ingest.http.maxEventsPerRequest).toBe(500);
  });

  it('must be a positive integer', () => {
    failure(() => resolveConfig({ ingest: { http: { maxEventsPerRequest: 0 } } }, {}));
  });
});
