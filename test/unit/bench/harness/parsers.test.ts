// Line and text parsers of the child processes: the service's started line, the sink's listening line,
// the producer's summary, Prometheus text; and the producer's arguments.
import { describe, expect, it } from 'vitest';
import { countersFrom, parsePrometheus } from '../../../../bench/harness/metrics.js';
import { parseSendSummary, producerArgs } from '../../../../bench/harness/producer.js';
import { deepMerge, parseStartedLine } from '../../../../bench/harness/service.js';
import { parseListeningLine } from '../../../../bench/harness/sink.js';
import { summaryLine } from '../../../../src/cli/send.js';

describe('parseStartedLine', () => {
  const endpoints = {
    zmq: 'tcp://127.0.0.1:5555',
    http: { host: '127.0.0.1', port: 9000 },
    admin: { host: '127.0.0.1', port: 9100 },
  };

  it('reads the endpoints of the "logdriver started" log line', () => {
    const line = JSON.stringify({ level: 30, msg: 'logdriver started', endpoints, stored: 0 });
    expect(parseStartedLine(line)).toEqual(endpoints);
  });

  it('ignores other lines, other messages and incomplete endpoints', () => {
    expect(parseStartedLine('not json logdriver started')).toBeUndefined();
    expect(parseStartedLine(JSON.stringify({ msg: 'stopping', endpoints }))).toBeUndefined();
    expect(
      parseStartedLine(JSON.stringify({ msg: 'logdriver started', endpoints: { zmq: 'tcp://x:1' } })),
    ).toBeUndefined();
  });
});

describe('parseListeningLine', () => {
  it('reads the mock sink URL', () => {
    expect(parseListeningLine('listening on http://127.0.0.1:40065\n')).toBe('http://127.0.0.1:40065');
    expect(parseListeningLine('mock-sink: requests 0')).toBeUndefined();
  });
});

describe('parseSendSummary', () => {
  it('reads the line `logdriver send` really prints, for both transports', () => {
    const stats = { sent: 1000, failed: 2, retries: 1, seconds: 0.5, ratePerSec: 2000 };
    for (const target of [
      { kind: 'zmq' as const, endpoint: 'tcp://127.0.0.1:1' },
      { kind: 'http' as const, url: 'http://127.0.0.1:2' },
    ]) {
      expect(parseSendSummary(summaryLine({ ...stats, cpuSeconds: 1.25 }, target))).toEqual({
        sent: 1000,
        failed: 2,
        seconds: 0.5,
        ratePerSec: 2000,
        cpuSeconds: 1.25,
      });
      // A summary without the CPU figure (an older send) still parses; the CPU is unknown.
      expect(parseSendSummary(summaryLine(stats, target))).toMatchObject({ sent: 1000, cpuSeconds: NaN });
    }
    expect(parseSendSummary('logdriver send: boom')).toBeUndefined();
  });
});

describe('producerArgs', () => {
  it('builds a zmq send with rate, skew, seed and start', () => {
    expect(
      producerArgs({
        name: 'p',
        dir: '/tmp',
        target: { kind: 'zmq', endpoint: 'tcp://127.0.0.1:1' },
        count: 10,
        tenants: 51,
        rate: 100,
        skew: 0,
        seed: 9,
        start: 1234,
      }),
    ).toEqual([
      'send',
      '--zmq',
      'tcp://127.0.0.1:1',
      '--count',
      '10',
      '--tenants',
      '51',
      '--size',
      '500',
      '--rate',
      '100',
      '--skew',
      '0',
      '--seed',
      '9',
      '--start',
      '1234',
    ]);
  });

  it('builds an http send with batching flags', () => {
    const args = producerArgs({
      name: 'p',
      dir: '/tmp',
      target: { kind: 'http', url: 'http://127.0.0.1:2' },
      count: 5,
      tenants: 2,
    });
    expect(args.slice(0, 7)).toEqual([
      'send',
      '--http',
      'http://127.0.0.1:2',
      '--batch',
      '500',
      '--concurrency',
      '4',
    ]);
    expect(args).not.toContain('--rate');
  });

  it('asks for NDJSON frames only when a zmq producer batches', () => {
    const zmq = { name: 'p', dir: '/tmp', target: { kind: 'zmq' as const, endpoint: 'tcp://127.0.0.1:1' } };
    const batched = producerArgs({ ...zmq, count: 5, tenants: 2, frameEvents: 100 });
    expect(batched.slice(0, 5)).toEqual(['send', '--zmq', 'tcp://127.0.0.1:1', '--frame-events', '100']);
    expect(producerArgs({ ...zmq, count: 5, tenants: 2, frameEvents: 1 })).not.toContain('--frame-events');
    const http = { name: 'p', dir: '/tmp', target: { kind: 'http' as const, url: 'http://127.0.0.1:2' } };
    expect(producerArgs({ ...http, count: 5, tenants: 2, frameEvents: 100 })).not.toContain('--frame-events');
  });
});

describe('parsePrometheus', () => {
  it('sums samples across labels and skips comments and junk', () => {
    const text = [
      '# HELP logdriver_delivery_delivered_events_total Delivered.',
      '# TYPE logdriver_delivery_delivered_events_total counter',
      'logdriver_delivery_delivered_events_total 42',
      'logdriver_buffer_committed_events_total{a="x y"} 10',
      'logdriver_buffer_committed_events_total{a="z"} 5 1700000000000',
      'logdriver_buffer_events 7',
      'logdriver_process_resident_memory_bytes 1.5e8',
      'logdriver_process_cpu_seconds_total 2.25',
      'garbage line here',
      '',
    ].join('\n');
    const m = parsePrometheus(text);
    expect(m.get('logdriver_buffer_committed_events_total')).toBe(15);
    expect(countersFrom(m)).toEqual({
      received: 0,
      committed: 15,
      delivered: 42,
      retried: 0,
      stored: 7,
      rssBytes: 1.5e8,
      cpuSeconds: 2.25,
    });
    // A service that does not report its CPU: unknown, not zero.
    expect(countersFrom(new Map()).cpuSeconds).toBeNaN();
    expect(m.has('garbage')).toBe(false);
  });
});

describe('deepMerge', () => {
  it('merges nested objects, replaces scalars and arrays, leaves inputs alone', () => {
    const a = { delivery: { batchSize: 1, retry: { initialMs: 1, maxMs: 2 } }, list: [1] };
    const b = { delivery: { retry: { maxMs: 9 } }, list: [2, 3] };
    expect(deepMerge(a, b)).toEqual({
      delivery: { batchSize: 1, retry: { initialMs: 1, maxMs: 9 } },
      list: [2, 3],
    });
    expect(a.delivery.retry.maxMs).toBe(2);
  });
});
