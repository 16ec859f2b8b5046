// ZeroMQ ingest: a PULL socket, one event per frame. Backpressure by not reading: ZeroMQ's high-water
// mark then blocks the producers' PUSH sockets.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pull } from 'zeromq';
import type { EventBuffer, IncomingEvent } from '../buffer/types.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { validateEvent } from './validate.js';

export interface ZmqIngestOptions {
  readonly endpoint: string;
  readonly mode: 'bind' | 'connect';
  readonly highWaterMark: number;
  readonly maxEventBytes: number;
  /** Events appended but not yet committed; past it the loop waits for the commit. */
  readonly channelCapacity: number;
  readonly whenFull: 'block' | 'drop_newest';
  readonly buffer: Pick<EventBuffer, 'append' | 'isFull' | 'whenNotFull'>;
  readonly telemetry: Telemetry;
}

/**
 * receive() wakes up this often when idle, so stop() can end the loop without closing the socket first
 * (closing would discard what ZeroMQ already queued): after stop, the first timeout means drained.
 */
const RECEIVE_TIMEOUT_MS = 200;
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 10_000;

export class ZmqIngest {
  readonly #o: ZmqIngestOptions;
  readonly #sock: Pull;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wakeOnStop: () => void = () => undefined;
  readonly #stopped = new Promise<void>((resolve) => (this.#wakeOnStop = resolve));
  #uncommitted = 0;
  /** Events of commits that failed, in order, waiting to be appended again. */
  #failed: IncomingEvent[] = [];
  #endpoint: string | undefined;

  constructor(options: ZmqIngestOptions) {
    this.#o = options;
    this.#sock = new Pull({
      receiveHighWaterMark: options.highWaterMark,
      receiveTimeout: RECEIVE_TIMEOUT_MS,
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
    const { buffer, telemetry } = this.#o;
    // Commits settle in order, so when too much is uncommitted, waiting for the oldest one is enough (waiting
    // for the newest would drain the whole pipeline and leave the buffer's worker idle).
    // Appends of one event-loop turn share one commit promise, so they share one entry here.
    const commits: { turn: Promise<void>; done: Promise<void>; events: IncomingEvent[] }[] = [];
    for (;;) {
      if (this.#failed.length > 0) {
        await this.#retryFailed();
        continue;
      }
      if (buffer.isFull() && this.#o.whenFull === 'block' && !this.#stopping) {
        telemetry.ingestBlocked('zmq', true);
        await Promise.race([buffer.whenNotFull(), this.#stopped]);
        telemetry.ingestBlocked('zmq', false);
        continue;
      }
      while (this.#uncommitted >= this.#o.channelCapacity && commits.length > 0) {
        await commits[0]!.done;
      }
      let frames: Buffer[];
      try {
        frames = await this.#sock.receive();
      } catch (err) {
        if (this.#stopping || this.#sock.closed) return;
        if ((err as { code?: string }).code === 'EAGAIN') continue; // idle timeout
        telemetry.log.error({ err }, 'zeromq receive failed');
        continue;
      }
      const events = this.#validate(frames);
      if (events.length === 0) continue;
      if (buffer.isFull()) {
        // whenFull: drop_newest (block waited above; a stop in progress commits what it has).
        if (this.#o.whenFull === 'drop_newest') {
          telemetry.eventsDropped('zmq', events.length);
          continue;
        }
      }
      telemetry.eventsReceived('zmq', events.length);
      this.#uncommitted += events.length;
      const turn = buffer.append(events);
      const tail = commits[commits.length - 1];
      if (tail?.turn === turn) {
        for (const e of events) tail.events.push(e);
      } else {
        const entry = { turn, done: Promise.resolve(), events };
        const settle = (ok: boolean): void => {
          this.#uncommitted -= entry.events.length;
          commits.shift();
          // ZeroMQ has no acknowledgement to withdraw: keep the events and store them again (the loop
          // stops reading meanwhile, so the producers' high-water mark pushes back).
          if (!ok) for (const e of entry.events) this.#failed.push(e);
        };
        entry.done = turn.then(
          () => settle(true),
          () => settle(false),
        );
        commits.push(entry);
      }
    }
  }

  /** Appends the events of failed commits again, with backoff, until they are stored or the service stops. */
  async #retryFailed(): Promise<void> {
    const { buffer, telemetry } = this.#o;
    for (let attempt = 1; ; attempt++) {
      const events = this.#failed;
      try {
        await buffer.append(events);
        this.#failed = [];
        telemetry.log.warn({ events: events.length, attempt }, 'zeromq events stored after a failed commit');
        return;
      } catch (err) {
        if (this.#stopping) {
          telemetry.log.error(
            { err, events: events.length },
            'zeromq events lost: the buffer cannot store them',
          );
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

  #validate(frames: Buffer[]): IncomingEvent[] {
    const events: IncomingEvent[] = [];
    const now = Date.now();
    for (const frame of frames) {
      const v = validateEvent(frame, this.#o.maxEventBytes);
      if (v.ok) events.push({ tenant: v.tenant, payload: frame, receivedAt: now });
      else this.#o.telemetry.eventRejected('zmq', v.reason, v.detail);
    }
    return events;
  }

  /**
   * Stops taking new messages: closes the endpoint, reads what ZeroMQ had already queued (it would be lost
   * otherwise, PUSH has no acknowledgement), hands it to the buffer, then closes the socket.
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
