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
  const timeoutMs = target.sendTimeoutMs ?? DEFAULT_ZMQ_SEND_TIMEOUT_MS;
  const sock = new Push({
    sendHighWaterMark: target.sendHighWaterMark ?? 1000,
    linger: target.lingerMs ?? 10_000,
    sendTimeout: timeoutMs > 0 ? timeoutMs : -1,
    // Queue only to connections that completed their handshake: with no receiver, a send then waits (and
    // times out) instead of filling a queue towards an address where nothing listens.
    immediate: true,
  });
  const receivers = countReceivers(sock);
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
      for (;;) {
        try {
          await sock.send(body);
          break;
        } catch (err) {
          // A connected receiver that pushes back (its buffer is full) is waited for; no receiver at all
          // for timeoutMs, or a closed socket, stops the run: the rest of the source is not read.
          if ((err as { code?: string }).code === 'EAGAIN' && receivers.count > 0 && !opts.signal?.aborted)
            continue;
          if (!opts.signal?.aborted) {
            failed += events.length;
            error =
              (err as { code?: string }).code === 'EAGAIN'
                ? `${target.endpoint}: no receiver took a message for ${timeoutMs} ms; is logdriver running ` +
                  `with its ZeroMQ ingest at this address? (--send-timeout 0 waits forever)`
                : `${target.endpoint}: ${(err as Error).message}`;
          }
          return false;
        }
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

/** How long a send may wait with no receiver connected before the run fails (0: forever). */
export const DEFAULT_ZMQ_SEND_TIMEOUT_MS = 10_000;

/** Receivers whose connection completed its handshake, counted from the socket's events. */
function countReceivers(sock: Push): { readonly count: number } {
  const state = { count: 0 };
  sock.events.on('handshake', () => state.count++);
  sock.events.on('disconnect', () => (state.count = Math.max(0, state.count - 1)));
  return state;
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
