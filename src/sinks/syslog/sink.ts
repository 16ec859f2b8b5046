// The syslog sink: each batch as RFC 5424 messages, octet-counted (RFC 6587), over one TCP or TLS (RFC 5425)
// connection at a time. Events larger than maxMessageBytes are dead-lettered; a failed send retries the batch.
import { inspect } from 'node:util';
import type { AuthFailurePolicy, PayloadLimits, Sink, SinkBatch, SinkOutcome } from '../types.js';
import { resolveSyslogSettings, type SyslogSettings, type SyslogSinkConfig } from './config.js';
import { SyslogConnection, type SendFailure } from './connection.js';
import { encodeSyslogMessage, frameMessage } from './encode.js';

type Rejection = { readonly id: string; readonly reason: string };

/** A failed send as an outcome: the whole batch again, a certificate problem held as configuration. */
export function outcomeOfFailure(failure: SendFailure, target: string): SinkOutcome {
  switch (failure.kind) {
    case 'untrusted':
      return {
        kind: 'retry',
        reason: `${target}: ${failure.reason} (check tls.caFile and tls.serverName)`,
        misconfigured: true,
      };
    case 'refused':
      return { kind: 'auth_failed', reason: `${target}: ${failure.reason}` };
    case 'backoff':
      return { kind: 'retry', reason: `${target}: ${failure.reason}`, retryAfterMs: failure.retryAfterMs };
    case 'network':
      return { kind: 'retry', reason: `${target}: ${failure.reason}` };
  }
}

export class SyslogSink implements Sink {
  readonly type = 'syslog';
  readonly settings: SyslogSettings;
  readonly limits: PayloadLimits;
  readonly onAuthFailure: AuthFailurePolicy;
  readonly #connection: SyslogConnection;

  constructor(cfg: SyslogSinkConfig, backoff?: { initialMs: number; maxMs: number }) {
    this.settings = resolveSyslogSettings(cfg);
    this.limits = this.settings.limits;
    this.onAuthFailure = cfg.onAuthFailure;
    this.#connection = new SyslogConnection({
      host: this.settings.host,
      port: this.settings.port,
      tls: this.settings.tls,
      timeoutMs: this.settings.timeoutMs,
      confirm: this.settings.confirm,
      ...(backoff ? { backoff } : {}),
    });
  }

  async send(batch: SinkBatch, signal: AbortSignal): Promise<SinkOutcome> {
    if (this.#connection.closed) return { kind: 'retry', reason: 'sink closed' };
    if (batch.count === 0) return { kind: 'delivered' };
    const { encode, maxMessageBytes } = this.settings;
    const frames: Buffer[] = [];
    const rejected: Rejection[] = [];
    for (const event of batch.events()) {
      const message = encodeSyslogMessage(event, encode);
      if (message.length > maxMessageBytes) {
        rejected.push({
          id: event.id,
          reason: `syslog message of ${message.length} bytes exceeds maxMessageBytes ${maxMessageBytes}`,
        });
      } else frames.push(frameMessage(message));
    }
    if (frames.length > 0) {
      const result = await this.#connection.send(Buffer.concat(frames), signal);
      // The whole batch again (too large ones included: they are dead-lettered once the rest goes through).
      if (!result.ok) return outcomeOfFailure(result.failure, this.settings.target);
    }
    if (rejected.length === 0) return { kind: 'delivered' };
    return { kind: 'partial', retry: [], rejected };
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  toJSON(): { type: string; target: string } {
    return { type: this.type, target: this.settings.target };
  }

  [inspect.custom](): string {
    return `SyslogSink { target: ${JSON.stringify(this.settings.target)} }`;
  }
}
