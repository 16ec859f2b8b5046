// Poison-event isolation for one lease, as a pure state machine: which of its events to send next, given how
// the sends so far went. No I/O, no clock; the lane sends, settles and decides on dead letters.
//
// A lease is sent whole. After `bisectAfterFailures` failures of it in a row (no event settled), only its
// first half is sent; from then on every failure halves the part again and every success doubles it, so a
// lone poison event is found in about log2(batch) failed sends, each after the lane's usual back-off (the
// request rate is never higher than plain retrying: no storm against a sink that is down).
//
// An event that fails alone is set aside as a suspect and the events after it are tried. If they go through,
// the sink is up and the suspect is confirmed: it waits at the end of the lease (sent alone, retried with
// back-off) while the rest is delivered, so one bad event costs the tenant its order for that event only.
// If they fail too, nothing is proven (the sink may be down): the suspect goes back to its place.

export interface PoisonPolicy {
  /** Failures in a row of a whole lease (nothing of it settled) before it is split. */
  readonly bisectAfterFailures: number;
  /** An event failing alone is dead-lettered only with at least this many attempts... */
  readonly maxAttempts: number;
  /** ...and only once it is this old (ms since it was received), so a shorter outage never dead-letters. */
  readonly maxAgeMs: number;
}

export class Isolation {
  readonly #bisectAfter: number;
  /** Most events sent together (Infinity: all that are not set aside). */
  #window = Infinity;
  #failures = 0;
  #split = false;
  /** Failed alone; not yet proven to be the event rather than the sink. */
  #suspect: string | undefined;
  /** Failed alone while later events went through: sent last, alone. */
  readonly #poison = new Set<string>();

  /**
   * `failures`: whole-lease failures already recorded in the buffer (the lease's attempts), so a lease whose
   * lane was parked between tries (see Lane) still splits after `bisectAfterFailures` of them in all.
   */
  constructor(bisectAfterFailures: number, failures = 0) {
    this.#bisectAfter = bisectAfterFailures;
    this.#failures = failures;
  }

  /** True while the whole lease is what goes next (then the lane need not decode its events). */
  get whole(): boolean {
    return this.#window === Infinity && this.#suspect === undefined && this.#poison.size === 0;
  }

  /** Events held aside as confirmed poison. */
  get isolated(): number {
    return this.#poison.size;
  }

  /** The events to send next, in lease order: a front part of those not set aside, else the first set aside. */
  pick<E extends { readonly id: string }>(events: readonly E[]): readonly E[] {
    const rest = events.filter((e) => e.id !== this.#suspect && !this.#poison.has(e.id));
    if (rest.length === 0) return events.slice(0, 1);
    return rest.slice(0, this.#window);
  }

  /**
   * What became of a send of `sent` (ids): `progress` when the sink settled any of it (delivered, accepted
   * and confirmed, rejected), false when all of it is to be tried again. Authentication failures and other
   * holds are not the events' fault and must not be recorded.
   */
  /**
   * `tooLarge`: the sink refused the request for its size (413): a smaller batch is the cure, so it splits at
   * once instead of after `bisectAfterFailures` tries.
   */
  record(sent: readonly string[], progress: boolean, tooLarge = false): void {
    if (progress) {
      if (this.#suspect !== undefined && !sent.includes(this.#suspect)) {
        // Later events went through while the suspect failed alone: the sink is up, the event is bad.
        this.#poison.add(this.#suspect);
        this.#suspect = undefined;
      }
      for (const id of sent) {
        this.#poison.delete(id);
        if (id === this.#suspect) this.#suspect = undefined;
      }
      this.#failures = 0;
      if (this.#split) this.#window *= 2;
      return;
    }
    this.#failures++;
    if (sent.length === 1) {
      const [id] = sent as [string];
      if (id === this.#suspect || this.#poison.has(id)) return;
      // A second event fails alone right after the suspect: nothing proves the suspect bad; put it back.
      if (this.#suspect !== undefined) this.#suspect = undefined;
      else this.#suspect = id;
      this.#failures = 0;
      return;
    }
    if (this.#suspect !== undefined) this.#suspect = undefined;
    if (this.#failures >= (this.#split || tooLarge ? 1 : this.#bisectAfter)) {
      this.#window = Math.ceil(sent.length / 2);
      this.#split = true;
      this.#failures = 0;
    }
  }
}
