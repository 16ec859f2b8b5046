// ZeroMQ PUSH sender: one event per single-frame message (or an NDJSON frame of several), awaiting each send
// so the HWM pushes back.
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
    const perFrame = Math.max(1, target.frameEvents ?? 1);
    let frame: Uint8Array[] = [];
    // Sends what the frame holds; returns false to stop. Events count as sent once their frame is queued.
    const flush = async (): Promise<boolean> => {
      if (frame.length === 0) return true;
      const events = frame;
      frame = [];
      const body = events.length === 1 ? events[0]! : Buffer.concat(joinLines(events));
      try {
        await sock.send(body);
      } catch (err) {
        // A send timeout (sendTimeoutMs) or a closed socket: stop; the rest of the source is not read.
        if (!opts.signal?.aborted) {
          failed += events.length;
          error = `${target.endpoint}: ${(err as Error).message}`;
        }
        return false;
      }
      sent += events.length;
      return true;
    };
    // Returns false to stop. Sync sources get a plain for-of: for-await would add a promise per event.
    const sendOne = async (ev: Uint8Array): Promise<boolean> => {
      if (opts.signal?.aborted) return false;
      if (pacer) await pacer.take(1);
      frame.push(ev);
      return frame.length < perFrame || flush();
    };
    let go = true;
    if (Symbol.iterator in source) {
      for (const ev of source) if (!(go = await sendOne(ev))) break;
    } else {
      for await (const ev of source) if (!(go = await sendOne(ev))) break;
    }
    if (go && !opts.signal?.aborted) await flush();
  } catch (err) {
    if (!opts.signal?.aborted) throw err; // bind failure or a source error: the caller reports it
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!sock.closed) sock.close();
  }
  return makeStats(sent, failed, 0, startedAt, error);
}

/** The events with a line feed between each two (an NDJSON frame; the events hold no raw line feeds). */
function joinLines(events: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  events.forEach((e, i) => {
    if (i > 0) out.push(LF);
    out.push(e);
  });
  return out;
}

const LF = Buffer.from('\n');
