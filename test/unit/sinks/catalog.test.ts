// Tests for the sink factory.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sinkSchema, type SinkConfig } from '../../../src/config/schema.js';
import { ErrorCodes, isLogdriverError } from '../../../src/errors.js';
import { HttpSink, StdoutSink, batchOf, createSink } from '../../../src/sinks/index.js';

describe('createSink', () => {
  it('builds a stdout sink writing to the injected stream', async () => {
    const out = new PassThrough();
    const sink = createSink(sinkSchema.parse({ type: 'stdout' }), { stdout: out });
    expect(sink).toBeInstanceOf(StdoutSink);
    const payload = Buffer.from('{"tenantId":"t"}');
    await expect(
      sink.send(batchOf([{ id: '1', tenant: 't', receivedAt: 5, payload }]), new AbortController().signal),
    ).resolves.toEqual({ kind: 'delivered' });
    expect(JSON.parse(String(out.read()))).toEqual({
      id: '1',
      tenantId: 't',
      receivedAt: 5,
      event: { tenantId: 't' },
    });
  });

  it('builds an http sink', async () => {
    const sink = createSink(sinkSchema.parse({ type: 'http', url: 'http://127.0.0.1:9/x' }));
    expect(sink).toBeInstanceOf(HttpSink);
    expect(sink.type).toBe('http');
    await sink.close();
  });

  it('refuses an unknown type with SINK_CONFIG', () => {
    expect(() => createSink({ type: 'carrier-pigeon' } as unknown as SinkConfig)).toThrow(
      expect.objectContaining({ code: ErrorCodes.SINK_CONFIG }) as Error,
    );
  });

  it('refuses an unreadable tls.caFile with SINK_CONFIG', () => {
    const cfg = sinkSchema.parse({
      type: 'http',
      url: 'https://127.0.0.1:9/',
      tls: { caFile: '/nonexistent/ca.pem' },
    });
    let error: unknown;
    try {
      createSink(cfg);
    } catch (err) {
      error = err;
    }
    expect(isLogdriverError(error, ErrorCodes.SINK_CONFIG)).toBe(true);
  });
});
