// Reads the service's Prometheus text from the admin port: the few counters and gauges the harness polls.
import { request } from 'undici';

/** Sums every sample of each metric name (labels dropped); comments and malformed lines are skipped. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // name{labels} value [timestamp] — label values may contain spaces, so cut at the closing brace.
    const brace = line.indexOf('{');
    const close = brace >= 0 ? line.lastIndexOf('}') : -1;
    const name = brace >= 0 ? line.slice(0, brace) : line.split(/\s+/, 1)[0]!;
    const rest = (close >= 0 ? line.slice(close + 1) : line.slice(name.length)).trim();
    const value = Number(rest.split(/\s+/, 1)[0]);
    if (name === '' || rest === '' || Number.isNaN(value)) continue;
    out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

export interface ServiceCounters {
  received: number;
  committed: number;
  delivered: number;
  retried: number;
  /** Events stored and not yet acknowledged. */
  stored: number;
  rssBytes: number;
  /** The service process's CPU seconds so far, all threads (NaN when not reported). */
  cpuSeconds: number;
}

export function countersFrom(m: Map<string, number>): ServiceCounters {
  const get = (k: string): number => m.get(k) ?? 0;
  return {
    received: get('logdriver_ingest_received_events_total'),
    committed: get('logdriver_buffer_committed_events_total'),
    delivered: get('logdriver_delivery_delivered_events_total'),
    retried: get('logdriver_delivery_retried_events_total'),
    stored: get('logdriver_buffer_events'),
    rssBytes: get('logdriver_process_resident_memory_bytes'),
    cpuSeconds: m.get('logdriver_process_cpu_seconds_total') ?? NaN,
  };
}

/** GET <adminUrl>/metrics; throws on a non-200 answer. */
export async function fetchCounters(adminUrl: string): Promise<ServiceCounters> {
  const res = await request(`${adminUrl}/metrics`, {
    method: 'GET',
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${adminUrl}/metrics answered ${res.statusCode}`);
  return countersFrom(parsePrometheus(text));
}
