// Load sender: push events to a logdriver over ZeroMQ or HTTP, at full speed or a fixed rate.
import { sendHttp } from './http-sender.js';
import type { EventSource, SendOptions, SendStats, SendTarget } from './types.js';
import { sendZmq } from './zmq-sender.js';

/**
 * Classifies a target URL by scheme: tcp:// and ipc:// go over ZeroMQ, http(s):// over HTTP.
 * Throws a TypeError naming the scheme otherwise.
 */
export function targetKind(url: string): 'zmq' | 'http' {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === 'tcp' || scheme === 'ipc') return 'zmq';
  if (scheme === 'http' || scheme === 'https') return 'http';
  throw new TypeError(
    `unsupported target ${JSON.stringify(url)}: use tcp:// or ipc:// for ZeroMQ, http:// or https:// for HTTP`,
  );
}

/** Sends every event of `source` to `target`; resolves when the source is exhausted or aborted. */
export function sendEvents(
  source: EventSource,
  target: SendTarget,
  opts: SendOptions = {},
): Promise<SendStats> {
  return target.kind === 'zmq' ? sendZmq(source, target, opts) : sendHttp(source, target, opts);
}
