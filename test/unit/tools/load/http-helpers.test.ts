// Tests for the HTTP sender's pure helpers: Retry-After parsing, backoff bounds, body and path, target kind.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  backoffMs,
  ingestPath,
  ndjsonBody,
  retryAfterMs,
  targetKind,
} from '../../../../src/tools/load/index.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta-seconds', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs(' 7 ', now)).toBe(7000);
    expect(retryAfterMs(['2', '9'], now)).toBe(2000);
  });
  it('reads an HTTP-date, never negative', () => {
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or garbage values', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-3', now)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('stays within [0, min(5 s, 100 ms * 2^attempt)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (n, r) => {
          const ms = backoffMs(n, () => r);
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** n));
        },
      ),
    );
  });
});

describe('ndjsonBody and ingestPath', () => {
  it('terminates every event with a newline', () => {
    expect(ndjsonBody([Buffer.from('{"a":1}'), Buffer.from('{"b":2}')]).toString()).toBe(
      '{"a":1}\n{"b":2}\n',
    );
    expect(ndjsonBody([]).length).toBe(0);
  });
  it('posts a bare origin to /v1/events and keeps an explicit path', () => {
    expect(ingestPath(new URL('http://127.0.0.1:9000'))).toBe('/v1/events');
    expect(ingestPath(new URL('http://127.0.0.1:9000/'))).toBe('/v1/events');
    expect(ingestPath(new URL('http://h/custom/in?x=1'))).toBe('/custom/in?x=1');
  });
});

describe('targetKind', () => {
  it('maps schemes to transports and names a bad one', () => {
    expect(targetKind('tcp://127.0.0.1:5555')).toBe('zmq');
    expect(targetKind('ipc:///tmp/x.sock')).toBe('zmq');
    expect(targetKind('http://127.0.0.1:9000')).toBe('http');
    expect(targetKind('HTTPS://h')).toBe('http');
    expect(() => targetKind('udp://h:1')).toThrow(/unsupported target "udp:\/\/h:1"/);
    expect(() => targetKind('127.0.0.1:5555')).toThrow(/unsupported target/);
  });
});
