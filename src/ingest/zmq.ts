// ZeroMQ ingest: a PULL socket; each frame is one event, or several as NDJSON. Backpressure by not
// reading: ZeroMQ's high-water mark then blocks the producers' PUSH sockets.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Pull } from 'zeromq';
import type { Admission, EventBuffer, IncomingEvent } from '../buffer/types.js';
import { LogThrottle } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { scanEvent, skipWhitespace } from './scan.js';
import { validateEvent } from './validate.js';

export interface ZmqIngestOptions {
  readonly endpoint: string;
  readonly mode: 'bind' | 'connect';
  readonly highWaterMark: number;
  readonly maxEventBytes: number;
  /** `drop_newest`: while the buffer is full, read and drop (counted); `block`: stop reading. */
  readonly whenFull: 'block' | 'drop_newest';
  readonly buffer: Pick<EventBuffer, 'append' | 'admission' | 'whenOpen'>;
  readonly telemetry: Telemetry;
}

/**
 * How long a receive waits when the socket is empty. Waking this often lets close() end the loop without
 * closing the socket first (closing would discard what ZeroMQ already queued): after stop, the first
 * timeout means drained.
 */
const IDLE_TIMEOUT_MS = 200;
/**
 * While messages are queued they are read with receiveTimeout 0 (no per-message poll of the socket's
 * events), up to this many messages or bytes; then the batch is appended and the loop yields to the event
 * loop, so HTTP, timers and the buffer's commits are not starved.
 */
const BATCH_MESSAGES = 256;
const BATCH_BYTES = 1 << 20;
/** After whenOpen() resolved while admission is still not open (a failed buffer): wait before asking again. */
const BLOCKED_RECHECK_MS = 50;
/** After an unexpected receive error: pause, so a persistent error cannot spin the loop. */
const ERROR_PAUSE_MS = 100;
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 10_000;
const LF = 0x0a;
/**
 * ZeroMQ's own bound on one frame (ZMQ_MAXMSGSIZE) is this many times ingest.maxEventBytes: a frame is one
 * event or an NDJSON batch of them. libzmq checks a frame's size from its header, before buffering it, and
 * refuses a larger one by dropping it and disconnecting that producer (its PUSH socket reconnects by itself).
 * libzmq reports only an ordinary `disconnect` then, so such a frame cannot be counted. Frames within the
 * bound are read and judged here: an event over maxEventBytes is refused as too_large and counted. libzmq
 * bounds each frame, not a multipart message as a whole (measured with zeromq 6.8 / libzmq 4.3.5).
 */
export const FRAME_BOUND_FACTOR = 16;

/** The largest frame ZeroMQ lets through for a given ingest.maxEventBytes. */
export function maxFrameBytes(maxEventBytes: number): number {
  return Math.min(maxEventBytes * FRAME_BOUND_FACTOR, Number.MAX_SAFE_INTEGER);
}

/** How a batch of reads ended. */
type BatchEnd = 'full' | 'drained' | 'end';

function isWs(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === 0x09;
}

/** The frame without surrounding whitespace (a producer's trailing "\n"); the same Buffer when there is none. */
function trimmed(frame: Buffer): Buffer {
  if (frame.length === 0 || (!isWs(frame[0]!) && !isWs(frame[frame.length - 1]!))) return frame;
  let end = frame.length;
  while (end > 0 && isWs(frame[end - 1]!)) end--;
  return frame.subarray(skipWhitespace(frame, 0, end), end);
}

export class ZmqIngest {
  readonly #o: ZmqIngestOptions;
  readonly #sock: Pull;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wakeOnStop: () => void = () => undefined;
  readonly #stopped = new Promise<void>((resolve) => (this.#wakeOnStop = resolve));
  /** The socket's receiveTimeout as last set: 0 while draining, IDLE_TIMEOUT_MS while waiting. */
  #timeout = IDLE_TIMEOUT_MS;
  /** Appends whose commit has not settled; each settles without rejecting. */
  readonly #commits = new Set<Promise<void>>();
  /** Events of commits that failed, in order, waiting to be appended again. */
  #failed: IncomingEvent[] = [];
  #endpoint: string | undefined;
  readonly #errorThrottle = new LogThrottle();

  constructor(options: ZmqIngestOptions) {
    this.#o = options;
    this.#sock = new Pull({
      receiveHighWaterMark: options.highWaterMark,
      maxMessageSize: maxFrameBytes(options.maxEventBytes),
      receiveTimeout: IDLE_TIMEOUT_MS,
      linger: 0,
    });
  }

  /** Binds or connects; returns the endpoint actually bound (tcp://127.0.0.1:* resolves to a port). */
  async start(): Promise<string> {
    if (this.#o.mode === 'bind') {
      await this.#sock.bind(this.#o.endpoint);
      this.#endpoint = this.#sock.lastEndpoint ?? this.#o.endpoint;
    } else {
      this.#sock.connect(this.#o.endpoint);
      this.#endpoint = this.#o.endpoint;
    }
    this.#loop = this.#run();
    return this.#endpoint;
  }

  get endpoint(): string | undefined {
    return this.#endpoint;
  }

  async #run(): Promise<void> {
    await this.#read();
    // Stopped and drained: let the last commits settle; events of failed ones get one more try.
    while (this.#commits.size > 0) await Promise.all(this.#commits);
    if (this.#failed.length > 0) await this.#retryFailed();
  }

  async #read(): Promise<void> {
    const { buffer, telemetry, whenFull } = this.#o;
    for (;;) {
      if (this.#failed.length > 0) {
        await this.#retryFailed();
        continue;
      }
      // A stop in progress reads and commits what ZeroMQ still holds, full or busy (drop_newest still drops).
      const admission = buffer.admission();
      const drop = admission === 'full' && whenFull === 'drop_newest';
      if (admission !== 'open' && !drop && !this.#stopping) {
        await this.#waitOpen(admission === 'full');
        continue;
      }
      const events: IncomingEvent[] = [];
      const end = await this.#receiveBatch(events, admission);
      if (events.length > 0) {
        if (drop) telemetry.eventsDropped('zmq', events.length);
        else this.#append(events);
      }
      if (end === 'end') return;
      if (end === 'full') await nextTurn();
    }
  }

  /**
   * Reads messages into `events` until the socket is empty, the batch is full, or the buffer's admission
   * is no longer what it was when the batch began (so a full buffer stops the reading after at most the one
   * message a waiting receive took). When the socket is empty, one receive waits up to IDLE_TIMEOUT_MS;
   * after it, the loop drains with timeout 0 only if more is already queued (one `readable` check per
   * wake-up, not per message).
   */
  async #receiveBatch(events: IncomingEvent[], admitted: Admission): Promise<BatchEnd> {
    let receivedAt = 0;
    let messages = 0;
    let bytes = 0;
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.#sock.receive();
      } catch (err) {
        if (this.#sock.closed) return 'end';
        if ((err as { code?: string }).code !== 'EAGAIN') {
          const { log, suppressed } = this.#errorThrottle.admit('receive');
          if (log) this.#o.telemetry.log.error({ err, suppressed }, 'zeromq receive failed');
          await sleep(ERROR_PAUSE_MS, undefined, { ref: false });
          return 'drained';
        }
        if (this.#timeout === 0) {
          this.#setTimeout(IDLE_TIMEOUT_MS); // empty now: the next receive waits
          return 'drained';
        }
        // A whole idle timeout without a message: after stop, that means ZeroMQ holds nothing more.
        return this.#stopping ? 'end' : 'drained';
      }
      // Stamped once per batch, after its first message arrived (the wait before it may be long).
      if (messages++ === 0) receivedAt = Date.now();
      for (const f of frames) bytes += f.length;
      this.#take(frames, events, receivedAt);
      if (messages >= BATCH_MESSAGES || bytes >= BATCH_BYTES) return 'full';
      if (this.#o.buffer.admission() !== admitted) return 'drained';
      if (this.#timeout !== 0) {
        if (!this.#sock.readable) return 'drained';
        this.#setTimeout(0);
      }
    }
  }

  #setTimeout(ms: number): void {
    if (this.#timeout === ms) return;
    this.#sock.receiveTimeout = ms;
    this.#timeout = ms;
  }

  /**
   * Validates a message's frames into `events`. A frame is one event; a frame that is not one JSON value
   * but holds line feeds is NDJSON, each line an event judged on its own.
   */
  #take(frames: readonly Buffer[], events: IncomingEvent[], receivedAt: number): void {
    const { maxEventBytes, telemetry } = this.#o;
    for (const frame of frames) {
      const v = scanEvent(frame, maxEventBytes);
      if (v.ok) {
        events.push({ tenant: v.tenant, payload: trimmed(frame), receivedAt });
        continue;
      }
      const notOneValue =
        v.reason === 'malformed_json' || v.reason === 'invalid_utf8' || v.reason === 'too_large';
      if (notOneValue && frame.includes(LF)) {
        this.#takeLines(frame, events, receivedAt);
        continue;
      }
      // JSON.parse words a malformed_json refusal (where it broke), only now that it is refused.
      const worded = v.reason === 'malformed_json' ? validateEvent(frame, maxEventBytes) : v;
      if (!worded.ok) telemetry.eventRejected('zmq', worded.reason, worded.detail);
    }
  }

  /** An NDJSON frame: blank lines skipped, whitespace (a CR before the LF) trimmed, a bad line refused alone. */
  #takeLines(frame: Buffer, events: IncomingEvent[], receivedAt: number): void {
    const { maxEventBytes, telemetry } = this.#o;
    let start = 0;
    while (start < frame.length) {
      const nl = frame.indexOf(LF, start);
      let end = nl === -1 ? frame.length : nl;
      const first = skipWhitespace(frame, start, end);
      if (first < end) {
        while (isWs(frame[end - 1]!)) end--;
        const line = frame.subarray(first, end);
        const v = validateEvent(line, maxEventBytes);
        if (v.ok) events.push({ tenant: v.tenant, payload: line, receivedAt });
        else telemetry.eventRejected('zmq', v.reason, v.detail);
      }
      if (nl === -1) break;
      start = nl + 1;
    }
  }

  #append(events: IncomingEvent[]): void {
    this.#o.telemetry.eventsReceived('zmq', events.length);
    // ZeroMQ has no acknowledgement to withdraw: the events of a failed commit are kept and stored again
    // (the loop stops reading meanwhile, so the producers' high-water mark pushes back).
    const commit: Promise<void> = this.#o.buffer.append(events).then(
      () => void this.#commits.delete(commit),
      () => {
        this.#commits.delete(commit);
        for (const e of events) this.#failed.push(e);
      },
    );
    this.#commits.add(commit);
  }

  /**
   * Waits until the buffer takes events again (or the service stops). Only `full` is reported as blocked:
   * `busy` (commits pending) is the normal, brief state of a loaded buffer.
   */
  async #waitOpen(full: boolean): Promise<void> {
    const { buffer, telemetry } = this.#o;
    if (full) telemetry.ingestBlocked('zmq', true);
    await Promise.race([buffer.whenOpen(), this.#stopped]);
    // whenOpen() also resolves when the buffer failed or closed: never spin on a state that stays shut.
    if (!this.#stopping && buffer.admission() !== 'open') {
      await Promise.race([sleep(BLOCKED_RECHECK_MS, undefined, { ref: false }), this.#stopped]);
    }
    if (full) telemetry.ingestBlocked('zmq', false);
  }

  /** Appends the events of failed commits again, with backoff, until they are stored or the service stops. */
  async #retryFailed(): Promise<void> {
    const { buffer, telemetry } = this.#o;
    for (let attempt = 1; ; attempt++) {
      // Taken out before the await: commits failing meanwhile add to a fresh list, after these.
      const events = this.#failed;
      this.#failed = [];
      try {
        await buffer.append(events);
        telemetry.log.warn({ events: events.length, attempt }, 'zeromq events stored after a failed commit');
        return;
      } catch (err) {
        this.#failed = events.concat(this.#failed);
        if (this.#stopping) {
          const lost = this.#failed.length;
          telemetry.log.error({ err, events: lost }, 'zeromq events lost: the buffer cannot store them');
          this.#failed = [];
          return;
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(attempt, 10));
        telemetry.log.error(
          { err, events: events.length, delay },
          'buffer commit failed; zeromq paused, retrying',
        );
        await Promise.race([sleep(delay, undefined, { ref: false }), this.#stopped]);
      }
    }
  }

  /**
   * Stops taking new messages: closes the endpoint, reads what ZeroMQ had already queued (it would be lost
   * otherwise, PUSH has no acknowledgement), hands it to the buffer and waits for those commits, then
   * closes the socket.
   */
  async close(): Promise<void> {
    if (this.#stopping) return this.#loop;
    this.#stopping = true;
    this.#wakeOnStop();
    try {
      if (this.#o.mode === 'bind' && this.#endpoint) await this.#sock.unbind(this.#endpoint);
      else if (this.#endpoint) this.#sock.disconnect(this.#endpoint);
    } catch {
      // Already gone: nothing to unbind.
    }
    await this.#loop;
    this.#sock.close();
  }
}
