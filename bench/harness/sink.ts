// The mock sink as a child process (`logdriver mock-sink --port 0`), driven through its control API.
import { join } from 'node:path';
import { request } from 'undici';
import type { MockSinkOptions, MockSinkReport } from '../../src/tools/mock-sink/index.js';
import type { Child, ChildSet } from './children.js';

/** The URL of a `listening on http://HOST:PORT` line, or undefined. */
export function parseListeningLine(line: string): string | undefined {
  const m = /^listening on (http:\/\/\S+)\s*$/.exec(line.trim());
  return m?.[1];
}

export interface SinkHandle {
  readonly child: Child<string>;
  readonly url: string;
  report(): Promise<MockSinkReport>;
  /** Changes options at runtime (mode, latency, failRate…). */
  control(patch: Partial<Omit<MockSinkOptions, 'host' | 'port'>>): Promise<void>;
  /** Clears counts, recorded ids and latency. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function call(url: string, method: 'GET' | 'POST', body?: unknown): Promise<unknown> {
  const res = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export async function startSinkProcess(
  children: ChildSet,
  s: { name: string; dir: string; args?: readonly string[] },
): Promise<SinkHandle> {
  const child = children.spawn<string>(
    s.name,
    ['mock-sink', '--port', '0', '--summary-ms', '0', ...(s.args ?? [])],
    {
      logFile: join(s.dir, `${s.name}.log`),
      ready: (line, stream) => (stream === 'stdout' ? parseListeningLine(line) : undefined),
      readyTimeoutMs: 30_000,
    },
  );
  const url = await child.ready;
  return {
    child,
    url,
    report: async () => (await call(`${url}/_report`, 'GET')) as MockSinkReport,
    control: async (patch) => {
      await call(`${url}/_control`, 'POST', patch);
    },
    reset: async () => {
      await call(`${url}/_reset`, 'POST');
    },
    stop: async () => {
      await child.stop('SIGTERM', 10_000);
    },
  };
}
