// HTTP sender: POST NDJSON batches to /v1/events with N requests in flight, retrying 503/429 per Retry-After.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { Pacer } from './pacer.js';
import { makeStats, type EventSource, type HttpTarget, type SendOptions, type SendStats } from './types.js';

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** A server asking for longer than this still gets retried, just sooner. */
export const MAX_RETRY_WAIT_MS = 60_000;
const NEWLINE = Buffer.from('\n');

/** Parses Retry-After (delta-seconds or an HTTP-date) into milliseconds; undefined when absent or garbage. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-dates (all three RFC 9110 forms) start with a day name; Date.parse alone accepts "-3".
  const at = /^[A-Za-z]{3}/.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff for retries without Retry-After: uniform in [0, min(5 s, 100 ms * 2^attempt)]. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(5000, 100 * 2 ** attempt));
}

/** One NDJSON body: every event followed by a newline. */
export function ndjsonBody(events: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const ev of events) parts.push(ev, NEWLINE);
  return Buffer.concat(parts);
}

/** The request path: a bare origin means the ingest endpoint, anything else is used as given. */
export function ingestPath(url: URL): string {
  return (url.pathname === '/' ? '/v1/events' : url.pathname) + url.search;
}

/**
 * Only a 2xx counts as sent: logdriver answers 2xx after every event of the request is on disk.
 * With concurrency > 1 batches can land out of order; use concurrency 1 when order matters.
 * An aborted run counts only acknowledged batches; batches cut off mid-flight are neither.
 */
export async function sendHttp(
  source: EventSource,
  target: HttpTarget,
  opts: SendOptions,
): Promise<SendStats> {
  const url = new URL(target.url);
  const path = ingestPath(url);
  const batchSize = target.batchSize ?? 500;
  const maxBatchBytes = target.maxBatchBytes ?? 8 * 1024 * 1024;
  const concurrency = target.concurrency ?? 4;
  const maxRetries = target.maxRetries ?? 10;
  const { signal } = opts;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const pool = new Pool(url.origin, { connections: concurrency });
  const pacer = opts.ratePerSec ? new Pacer(opts.ratePerSec, { signal }) : undefined;

  let sent = 0;
  let failed = 0;
  let retries = 0;
  let error: string | undefined;
  const fail = (n: number, why: string): void => {
    failed += n;
    error ??= why;
  };

  // Never rejects: every outcome is counted here, so Promise.race over in-flight batches is safe.
  const postBatch = async (events: Uint8Array[]): Promise<void> => {
    const body = ndjsonBody(events);
    for (let attempt = 0; ; attempt++) {
      let wait: number | undefined;
      let problem: string;
      try {
        const res = await pool.request({ method: 'POST', path, headers, body, signal });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          sent += events.length;
          return;
        }
        problem = `HTTP ${res.statusCode} from ${url.origin}${path}: ${text.slice(0, 200).trim()}`;
        if (!RETRY_STATUS.has(res.statusCode)) return fail(events.length, problem);
        wait = retryAfterMs(res.headers['retry-after'], Date.now());
      } catch (err) {
        if (signal?.aborted) return;
        problem = `${url.origin}${path}: ${(err as Error).message}`;
      }
      if (attempt >= maxRetries)
        return fail(events.length, `${problem} (gave up after ${maxRetries} retries)`);
      retries++;
      try {
        await sleep(Math.min(wait ?? backoffMs(attempt), MAX_RETRY_WAIT_MS), undefined, { signal });
      } catch {
        return; // aborted while waiting
      }
    }
  };

  const inflight = new Set<Promise<void>>();
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    const events = batch;
    batch = [];
    batchBytes = 0;
    if (pacer) await pacer.take(events.length);
    while (inflight.size >= concurrency) await Promise.race(inflight);
    const p: Promise<void> = postBatch(events).finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const startedAt = performance.now();
  try {
    for await (const ev of source) {
      if (signal?.aborted) break;
      if (batch.length > 0 && batchBytes + ev.length + 1 > maxBatchBytes) await flush();
      batch.push(ev);
      batchBytes += ev.length + 1;
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0 && !signal?.aborted) await flush();
  } catch (err) {
    if (!signal?.aborted) throw err; // a source error (unreadable file) is the caller's to report
  } finally {
    await Promise.all(inflight);
    await pool.close();
  }
  return makeStats(sent, failed, retries, startedAt, error);
}
