// Tests for the stdout sink against injected streams: content, one write per batch, backpressure, errors.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchOf, encodeNdjson } from '../../../src/sinks/envelope.js';
import { StdoutSink } from '../../../src/sinks/stdout.js';
import type { SinkBatch, SinkEvent } from '../../../src/sinks/types.js';

function event(i: number, payload = `{"tenantId":"acme","n":${i}}`): SinkEvent {
  return { id: `id-${i}`, tenant: 'acme', receivedAt: 1000 + i, payload: Buffer.from(payload) };
}

/** A batch of these events (by number). */
function batch(...n: number[]): SinkBatch {
  return batchOf(n.map((i) => event(i)));
}

const never = new AbortController().signal;

describe('StdoutSink', () => {
  it('writes the batch as NDJSON envelopes in one write and reports delivered', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const sink = new StdoutSink({ stream: out });
    const events = [event(1), event(2, '{\n  "tenantId": "acme"\n}')];
    await expect(sink.send(batchOf(events), never)).resolves.toEqual({ kind: 'delivered' });
    expect(chunks).toHaveLength(1);
    expect(Buffer.concat(chunks).equals(encodeNdjson(events))).toBe(true);
    const lines = Buffer.concat(chunks).toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 'id-1', tenantId: 'acme', receivedAt: 1001, event: { tenantId: 'acme', n: 1 } },
      { id: 'id-2', tenantId: 'acme', receivedAt: 1002, event: { tenantId: 'acme' } },
    ]);
    expect(sink.type).toBe('stdout');
  });

  it("writes the batch's lines as they are: no copy, no decoding", async () => {
    const written: unknown[] = [];
    const out = new Writable({
      write(chunk, _enc, cb) {
        written.push(chunk);
        cb();
      },
    });
    const sink = new StdoutSink({ stream: out });
    const lines = Buffer.from(
      '{"id":"x-1","tenantId":"acme","receivedAt":1,"event":{"big":12345678901234567890}}\n',
    );
    const stored: SinkBatch = {
      tenant: 'acme',
      count: 1,
      ndjson: () => lines,
      events: () => {
        throw new Error('an NDJSON sink must not decode events');
      },
    };
    await expect(sink.send(stored, never)).resolves.toEqual({ kind: 'delivered' });
    // The very Buffer the batch holds: one write, no copy.
    expect(written).toHaveLength(1);
    expect(written[0]).toBe(lines);
  });

  it('does not resolve until a full stream is read (backpressure), then reports delivered', async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const sink = new StdoutSink({ stream: out });
    let settled = false;
    const pending = sink.send(batch(1, 2, 3), never).then((o) => {
      settled = true;
      return o;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    out.resume();
    await expect(pending).resolves.toEqual({ kind: 'delivered' });
  });

  it('returns retry when aborted while the stream is full', async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const sink = new StdoutSink({ stream: out });
    const ac = new AbortController();
    const pending = sink.send(batch(1), ac.signal);
    setTimeout(() => ac.abort(), 20);
    const outcome = await pending;
    expect(outcome.kind).toBe('retry');
  });

  it('returns retry with the reason when the stream fails the write', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        const err = new Error('write EPIPE') as NodeJS.ErrnoException;
        err.code = 'EPIPE';
        cb(err);
      },
    });
    const sink = new StdoutSink({ stream: broken });
    const outcome = await sink.send(batch(1), never);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome.kind === 'retry' && outcome.reason).toContain('EPIPE');
    // The recorded error keeps later batches from being reported delivered into a dead stream.
    const again = await sink.send(batch(2), never);
    expect(again.kind).toBe('retry');
  });

  it('returns retry for a destroyed stream, an aborted signal, and after close', async () => {
    const dead = new PassThrough();
    dead.destroy();
    expect((await new StdoutSink({ stream: dead }).send(batch(1), never)).kind).toBe('retry');

    const out = new PassThrough();
    const sink = new StdoutSink({ stream: out });
    expect((await sink.send(batch(1), AbortSignal.abort())).kind).toBe('retry');
    await sink.close();
    expect((await sink.send(batch(1), never)).kind).toBe('retry');
    expect(out.destroyed).toBe(false);
  });

  it('delivers an empty batch without writing', async () => {
    const out = new PassThrough();
    const sink = new StdoutSink({ stream: out });
    await expect(sink.send(batchOf([], 'acme'), never)).resolves.toEqual({ kind: 'delivered' });
    expect(out.readableLength).toBe(0);
  });

  it('adds one error listener per stream however many sinks share it', () => {
    const out = new PassThrough();
    const before = out.listenerCount('error');
    for (let i = 0; i < 20; i++) new StdoutSink({ stream: out });
    expect(out.listenerCount('error')).toBe(before + 1);
  });
});
