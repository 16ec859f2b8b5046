// The mock sink's per-request decision: which rule wins when several apply, and what each answer carries.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_OPTIONS,
  decide,
  resolveOptions,
  type ExchangeInput,
  type MockSinkOptions,
} from '../../../../src/tools/mock-sink/index.js';

const line = JSON.stringify({ id: 'b-1', tenantId: 'acme', receivedAt: 1, event: {} });
const input = (over: Partial<ExchangeInput> = {}): ExchangeInput => ({
  headers: { 'content-type': 'application/x-ndjson' },
  raw: Buffer.from(line),
  tooLarge: false,
  sinceStartMs: 50,
  timeoutRoll: 0.5,
  failRoll: 0.5,
  ...over,
});
const opts = (patch: Partial<MockSinkOptions>) => resolveOptions(DEFAULT_OPTIONS, patch);

describe('decide', () => {
  it('accepts a good body with the envelopes to record', async () => {
    const a = await decide(opts({}), input());
    expect(a).toMatchObject({
      status: 200,
      body: { accepted: 1 },
      record: [{ id: 'b-1', tenantId: 'acme' }],
    });
  });

  it('applies the rules in order: auth, size, outage, mode, hang, failure, body', async () => {
    // Every rule is armed; removing the winner each time must reveal the next one.
    let o = opts({
      token: 't',
      outages: [{ startMs: 0, endMs: 100, retryAfterSec: 5 }],
      mode: 'throttle',
      timeoutRate: 1,
      failRate: 1,
    });
    const x = input({ tooLarge: true, raw: Buffer.from('garbage') });
    const statuses: (number | 'hang')[] = [];
    const peel: (() => void)[] = [
      () => (o = { ...o, token: undefined }),
      () => (x.tooLarge = false),
      () => (o = { ...o, outages: [] }),
      () => (o = { ...o, mode: 'ok' }),
      () => (o = { ...o, timeoutRate: 0 }),
      () => (o = { ...o, failRate: 0 }),
      () => (x.raw = Buffer.from(line)),
    ];
    for (const next of peel) {
      const a = await decide(o, x);
      statuses.push(a === 'hang' ? a : a.status);
      next();
    }
    const last = await decide(o, x);
    statuses.push(last === 'hang' ? last : last.status);
    expect(statuses).toEqual([401, 413, 503, 429, 'hang', 503, 400, 200]);
  });

  it('hangs or fails exactly when the draw falls below the configured rate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (rate, timeoutRoll, failRoll) => {
          const a = await decide(
            opts({ timeoutRate: rate, failRate: rate }),
            input({ timeoutRoll, failRoll }),
          );
          const want = timeoutRoll < rate ? 'hang' : failRoll < rate ? 503 : 200;
          expect(a === 'hang' ? a : a.status).toBe(want);
        },
      ),
    );
  });

  it('marks unreadable bodies as bad: corrupt gzip, unknown encoding, too large', async () => {
    const o = opts({});
    const gz = await decide(o, input({ headers: { 'content-encoding': 'gzip' }, raw: Buffer.from('x') }));
    const br = await decide(o, input({ headers: { 'content-encoding': 'br' } }));
    const big = await decide(o, input({ tooLarge: true }));
    expect([gz, br, big].map((a) => (a === 'hang' ? a : [a.status, a.bad]))).toEqual([
      [400, true],
      [415, true],
      [413, true],
    ]);
    const ok = await decide(o, input({ headers: { 'content-encoding': 'gzip' }, raw: gzipSync(line) }));
    expect(ok).toMatchObject({ status: 200 });
  });

  it('only counts the outage window [startMs, endMs) and sends Retry-After only when configured', async () => {
    const o = opts({ outages: [{ startMs: 100, endMs: 200 }] });
    const at = async (ms: number) => {
      const a = await decide(o, input({ sinceStartMs: ms }));
      return a === 'hang' ? a : a.status;
    };
    expect([await at(99), await at(100), await at(199), await at(200)]).toEqual([200, 503, 503, 200]);
    expect(await decide(o, input({ sinceStartMs: 150 }))).toMatchObject({ headers: {} });
  });
});
