// The producer as a child process (`logdriver send`): generated ~500-byte events over ZeroMQ or HTTP.
import { join } from 'node:path';
import type { Child, ChildSet } from './children.js';

export type ProducerTarget = { kind: 'zmq'; endpoint: string } | { kind: 'http'; url: string };

export interface ProducerSpec {
  name: string;
  dir: string;
  target: ProducerTarget;
  count: number;
  tenants: number;
  /** Events/s; omitted = as fast as the service takes them. */
  rate?: number;
  /** Zipf skew over tenants (0 = uniform); the generator's default otherwise. */
  skew?: number;
  seed?: number;
  /** timestampMillis of the first event (fixing it makes the event sequence reproducible). */
  start?: number;
  size?: number;
  /** Simulated arrival rate of the events' timestamps (`--events-per-sec`); the generator's default otherwise. */
  eventsPerSec?: number;
  /** ZeroMQ: events per message, as one NDJSON frame (`--frame-events`); one otherwise. */
  frameEvents?: number;
}

export interface ProducerResult {
  sent: number;
  failed: number;
  seconds: number;
  ratePerSec: number;
  /** The producer's CPU seconds, event generation included (NaN when its summary does not say). */
  cpuSeconds: number;
  startedAt: number;
  endedAt: number;
}

/** Parses the `send` summary: `sent N events (F failed) to … in S s: R events/s (…)[; CPU C s]`. */
export function parseSendSummary(text: string): Omit<ProducerResult, 'startedAt' | 'endedAt'> | undefined {
  const m =
    /sent (\d+) events \((\d+) failed\) to .* in ([\d.]+) s: (\d+) events\/s[^\n]*?(?:; CPU ([\d.]+) s)?$/m.exec(
      text,
    );
  if (!m) return undefined;
  return {
    sent: Number(m[1]),
    failed: Number(m[2]),
    seconds: Number(m[3]),
    ratePerSec: Number(m[4]),
    cpuSeconds: m[5] === undefined ? NaN : Number(m[5]),
  };
}

/** The `send` arguments for a spec. */
export function producerArgs(p: ProducerSpec): string[] {
  const args = ['send'];
  if (p.target.kind === 'zmq') {
    args.push('--zmq', p.target.endpoint);
    if (p.frameEvents !== undefined && p.frameEvents > 1) args.push('--frame-events', String(p.frameEvents));
  } else args.push('--http', p.target.url, '--batch', '500', '--concurrency', '4');
  args.push('--count', String(p.count), '--tenants', String(p.tenants), '--size', String(p.size ?? 500));
  if (p.rate !== undefined) args.push('--rate', String(p.rate));
  if (p.skew !== undefined) args.push('--skew', String(p.skew));
  if (p.seed !== undefined) args.push('--seed', String(p.seed));
  if (p.start !== undefined) args.push('--start', String(p.start));
  if (p.eventsPerSec !== undefined) args.push('--events-per-sec', String(p.eventsPerSec));
  return args;
}

export interface ProducerRun {
  readonly child: Child<true>;
  /** Resolves with the summary; rejects when `send` fails or prints no summary. */
  readonly done: Promise<ProducerResult>;
}

export function startProducer(children: ChildSet, p: ProducerSpec): ProducerRun {
  const child = children.spawn(p.name, producerArgs(p), { logFile: join(p.dir, `${p.name}.log`) });
  const done = child.exited.then((exit) => {
    const parsed = parseSendSummary(child.stdout());
    if (!parsed || exit.code !== 0) {
      throw new Error(
        `${p.name}: send exited (code ${exit.code}, signal ${exit.signal}): ${child.stdout().trim()} ${child.stderrTail()}`,
      );
    }
    return { ...parsed, startedAt: child.startedAt, endedAt: Date.now() };
  });
  done.catch(() => undefined);
  return { child, done };
}
