// ZeroMQ PUSH sender: one event per single-frame message, awaiting each send so the HWM pushes back.
import { Push } from 'zeromq';
import { Pacer } from './pacer.js';
import { makeStats, type EventSource, type SendOptions, type SendStats, type ZmqTarget } from './types.js';

/**
 * Hazards: PUSH never acknowledges, so `sent` means "queued locally", not "stored by the peer".
 * close() returns at once; libzmq flushes the queue in the background for up to `lingerMs`,
 * and the context blocks process exit until that is done, so the last messages still go out
 * after this function resolves (but `seconds` does not include that flush).
 */
export async function sendZmq(source: EventSource, target: ZmqTarget, opts: SendOptions): Promise<SendStats> {
  const sock = new Push({
    sendHighWaterMark: target.sendHighWaterMark ?? 1000,
    linger: target.lingerMs ?? 10_000,
    sendTimeout: target.sendTimeoutMs ?? -1,
  });
  const pacer = opts.ratePerSec ? new Pacer(opts.ratePerSec, { signal: opts.signal }) : undefined;
  // An abort must also unblock a send parked on a full HWM: closing the socket rejects it.
  const onAbort = (): void => sock.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let sent = 0;
  let failed = 0;
  let error: string | undefined;
  const startedAt = performance.now();
  try {
    if (target.bind) await sock.bind(target.endpoint);
    else sock.connect(target.endpoint);
    // Returns false to stop. Sync sources get a plain for-of: for-await would add a promise per event.
    const sendOne = async (ev: Uint8Array): Promise<boolean> => {
      if (opts.signal?.aborted) return false;
      if (pacer) await pacer.take(1);
      try {
        await sock.send(ev);
      } catch (err) {
        // A send timeout (sendTimeoutMs) or a closed socket: stop; the rest of the source is not read.
        if (!opts.signal?.aborted) {
          failed++;
          error = `${target.endpoint}: ${(err as Error).message}`;
        }
        return false;
      }
      sent++;
      return true;
    };
    if (Symbol.iterator in source) {
      for (const ev of source) if (!(await sendOne(ev))) break;
    } else {
      for await (const ev of source) if (!(await sendOne(ev))) break;
    }
  } catch (err) {
    if (!opts.signal?.aborted) throw err; // bind failure or a source error: the caller reports it
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!sock.closed) sock.close();
  }
  return makeStats(sent, failed, 0, startedAt, error);
}
