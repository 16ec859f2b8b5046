// The sink conformance suite: every HTTP-based sink, against a loopback fake of its own protocol, must turn
// each kind of answer into the right outcome: success, its documented error codes, 429 + Retry-After, a
// partial failure, connection refused, a reset mid-response, a response slower than the timeout, a garbage
// body, a wrong content type, 401/403. Each sink's test file calls runSinkConformance with its target.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchOf } from '../../../src/sinks/envelope.js';
import type { Sink, SinkEvent, SinkOutcome } from '../../../src/sinks/types.js';
import type { ScriptedAnswer } from '../../support/fakes/answer.js';

/** What the suite needs from a sink's fake. */
export interface ConformanceFake {
  /** Event ids the fake stored (indexed, written), in arrival order. */
  storedIds(): readonly string[];
  /** The next `n` event writes get this answer instead of the protocol's own. */
  answerNext(n: number, answer: ScriptedAnswer): void;
  /** The next event write fails for the event at `index` of its body only, the protocol's way. */
  rejectNextAt(index: number): void;
  close(): Promise<void>;
}

export interface DocumentedError {
  readonly name: string;
  readonly answer: ScriptedAnswer;
  readonly expect: SinkOutcome['kind'];
}

export interface ConformanceTarget {
  readonly name: string;
  start(): Promise<ConformanceFake>;
  /** A sink pointed at `fake` (or at `url` instead, for connection refused). */
  sink(fake: ConformanceFake, opts: { timeoutMs: number; url?: string }): Sink;
  /** The outcome of a fully stored batch: `delivered`, or `accepted` for a sink that confirms later. */
  readonly success: 'delivered' | 'accepted';
  readonly documentedErrors: readonly DocumentedError[];
  /** The protocol's 401 and 403 answers. */
  readonly unauthorized: ScriptedAnswer;
  readonly forbidden: ScriptedAnswer;
  /** What a 200 with a body that is not the protocol's means for this sink. */
  readonly garbage200: SinkOutcome['kind'];
  /**
   * What a 200 cut off mid-body means: `retry` for a protocol whose verdict is in the body; a protocol whose
   * verdict is the status line alone may say `delivered`.
   */
  readonly reset200: SinkOutcome['kind'];
  /** Extra request URL the sink is given for connection refused (scheme only matters). */
  readonly scheme?: 'http' | 'https';
}

export function conformanceEvents(n: number, tenant = 'acme'): SinkEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${tenant}-evt-${i}`,
    tenant,
    receivedAt: 1764000000000 + i,
    payload: Buffer.from(
      JSON.stringify({
        tenantId: tenant,
        timestampMillis: 1764000000000 + i * 1000,
        iclFields: { event: i % 2 ? 'DATA_DENY_ACCESS' : 'DATA_DECRYPT', objectId: `doc-${i}` },
      }),
    ),
  }));
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const signal = (): AbortSignal => new AbortController().signal;

export function runSinkConformance(target: ConformanceTarget): void {
  describe(`${target.name} conformance`, () => {
    let fake: ConformanceFake;
    const sinks: Sink[] = [];
    const make = (opts: { timeoutMs?: number; url?: string } = {}): Sink => {
      const sink = target.sink(fake, { timeoutMs: opts.timeoutMs ?? 5000, ...opts });
      sinks.push(sink);
      return sink;
    };
    const send = (n = 3, sink = make()) => sink.send(batchOf(conformanceEvents(n)), signal());

    beforeAll(async () => {
      fake = await target.start();
    });
    afterAll(async () => {
      await Promise.all(sinks.map((s) => s.close()));
      await fake.close();
    });

    it(`2xx => ${target.success}, and the fake stored every event`, async () => {
      const before = fake.storedIds().length;
      const outcome = await send(3);
      expect(outcome.kind).toBe(target.success);
      if (target.success === 'delivered') {
        expect(fake.storedIds().slice(before)).toEqual(conformanceEvents(3).map((e) => e.id));
      }
    });

    it('429 + Retry-After => retry after that long', async () => {
      fake.answerNext(1, { status: 429, body: 'slow down', headers: { 'retry-after': '5' } });
      expect(await send()).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 5000 });
    });

    it.each(target.documentedErrors.map((d) => [d.name, d] as const))('%s', async (_name, d) => {
      fake.answerNext(1, d.answer);
      const outcome = await send();
      expect(outcome.kind).toBe(d.expect);
    });

    it('401 and 403 => auth_failed (delivery then applies onAuthFailure)', async () => {
      fake.answerNext(1, target.unauthorized);
      expect(await send()).toMatchObject({ kind: 'auth_failed', status: 401 });
      fake.answerNext(1, target.forbidden);
      expect(await send()).toMatchObject({ kind: 'auth_failed', status: 403 });
    });

    it('a partial failure names the bad event only; no event is left without a verdict', async () => {
      fake.rejectNextAt(1);
      const events = conformanceEvents(4);
      const outcome = await make().send(batchOf(events), signal());
      expect(outcome.kind).toBe('partial');
      if (outcome.kind !== 'partial') return;
      expect(outcome.rejected.map((r) => r.id)).toEqual([events[1]!.id]);
      expect(outcome.rejected[0]!.reason.length).toBeGreaterThan(0);
      expect(outcome.retry).not.toContain(events[1]!.id);
    });

    it('connection refused => retry', async () => {
      const url = `${target.scheme ?? 'http'}://127.0.0.1:${await closedPort()}`;
      const outcome = await make({ url }).send(batchOf(conformanceEvents(2)), signal());
      expect(outcome).toMatchObject({
        kind: 'retry',
        reason: expect.stringMatching(/ECONNREFUSED/) as string,
      });
    });

    it('a connection reset before any answer => retry (nothing is known to be stored)', async () => {
      fake.answerNext(1, { status: 0, reset: true });
      expect(await send()).toMatchObject({
        kind: 'retry',
        reason: expect.stringMatching(/transport error/) as string,
      });
    });

    it(`a 200 reset mid-body => ${target.reset200}`, async () => {
      fake.answerNext(1, { status: 200, body: '{"text":"Success","code":0,"ackId":1}', reset: true });
      expect((await send()).kind).toBe(target.reset200);
    });

    it('a 503 reset mid-body => retry', async () => {
      fake.answerNext(1, { status: 503, body: '{"error":"unavailable, try again later"}', reset: true });
      expect((await send()).kind).toBe('retry');
    });

    it('a response slower than timeoutMs => retry naming the timeout', async () => {
      fake.answerNext(1, { status: 200, body: '{}', delayMs: 2000 });
      const outcome = await send(2, make({ timeoutMs: 200 }));
      expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/timed out/) as string });
    });

    it('a garbage error body => a short, printable reason, never a throw', async () => {
      const garbage = `\u0000\u001b[31m${'\u00ff'.repeat(100)}${'A'.repeat(100_000)}`;
      fake.answerNext(1, { status: 500, body: garbage });
      const outcome = await send();
      expect(outcome.kind).toBe('retry');
      const reason = outcome.kind === 'retry' ? outcome.reason : '';
      expect(reason.length).toBeLessThan(400);
      // eslint-disable-next-line no-control-regex
      expect(reason).not.toMatch(/[\u0000-\u001f]/);
    });

    it(`a 200 whose body is not the protocol's => ${target.garbage200}`, async () => {
      fake.answerNext(1, {
        status: 200,
        body: '<html><body>proxy login</body></html>',
        headers: { 'content-type': 'text/html' },
      });
      expect((await send()).kind).toBe(target.garbage200);
    });
  });
}
