// Router: tenantId -> Sink. Tenants with their own config get their own sink; all others share the default.
import type { Config, SinkConfig } from '../config/schema.js';
import { Secret } from '../config/secret.js';
import { ErrorCodes, LogdriverError } from '../errors.js';
import type { Sink } from '../sinks/types.js';

export type SinkFactory = (config: SinkConfig) => Sink;

/** Told when a sink's start failed (its sends then report the problem as they retry). */
export type StartFailure = (err: unknown, sink: Sink) => void;

/** Told after an update: `changed(tenant)` says whether that tenant's sink config is not what it was. */
export type UpdateListener = (changed: (tenant: string) => boolean) => void;

interface Routes {
  readonly fallback: Sink;
  readonly tenants: ReadonlyMap<string, Sink>;
  readonly all: readonly Sink[];
  /** The sinks this mapping built (the others it took over unchanged from the previous one). */
  readonly fresh: readonly Sink[];
  /** Each sink with the config it was built from, by config key ('defaultSink', 'tenants.<id>.sink'). */
  readonly byKey: ReadonlyMap<string, { readonly config: SinkConfig; readonly sink: Sink }>;
  readonly config: Pick<Config, 'defaultSink' | 'tenants'>;
}

/** Deep equality of config values; secrets compare by value (a new token is a change). */
function sameConfig(a: unknown, b: unknown): boolean {
  if (a instanceof Secret || b instanceof Secret) {
    return a instanceof Secret && b instanceof Secret && a.reveal() === b.reveal();
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && sameConfig((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function sinkConfigOf(config: Pick<Config, 'defaultSink' | 'tenants'>, tenant: string): SinkConfig {
  return Object.hasOwn(config.tenants, tenant) ? config.tenants[tenant]!.sink : config.defaultSink;
}

export class Router {
  readonly #factory: SinkFactory;
  readonly #onStartFailure: StartFailure;
  readonly #stop = new AbortController();
  #started = false;
  #routes: Routes;
  /** 1 for the start's routing, one more per update(): the admin API's "config generation". */
  #generation = 1;
  readonly #listeners = new Set<UpdateListener>();

  /** Throws LogdriverError(SINK_CONFIG) naming the config key of a sink that cannot be built. */
  constructor(
    config: Pick<Config, 'defaultSink' | 'tenants'>,
    factory: SinkFactory,
    onStartFailure: StartFailure = () => undefined,
  ) {
    this.#factory = factory;
    this.#onStartFailure = onStartFailure;
    this.#routes = this.#build(config);
  }

  /**
   * Starts every sink (fetch a token, open a connection), all at once; resolves when each has started or
   * failed. A failed start is reported and does not stop the service: that sink's sends retry.
   */
  async start(): Promise<void> {
    this.#started = true;
    await this.#startAll(this.#routes.all);
  }

  async #startAll(sinks: readonly Sink[]): Promise<void> {
    await Promise.all(
      sinks.map(async (sink) => {
        try {
          await sink.start?.(this.#stop.signal);
        } catch (err) {
          this.#onStartFailure(err, sink);
        }
      }),
    );
  }

  /** How many routings have been in force: 1 until the first update (reload, refresh, broker). */
  get generation(): number {
    return this.#generation;
  }

  sinkFor(tenant: string): Sink {
    return this.#routes.tenants.get(tenant) ?? this.#routes.fallback;
  }

  /**
   * Swaps in a new mapping (config refresh), all or nothing: if a new sink cannot be built, the running
   * mapping stays and the error is thrown. Old sinks are closed after `graceMs`, so batches in flight on them
   * can finish; one still running then is aborted and retried on the new sink.
   */
  update(config: Pick<Config, 'defaultSink' | 'tenants'>, graceMs = 30_000): void {
    const prev = this.#routes;
    const next = this.#build(config, prev);
    this.#routes = next;
    this.#generation++;
    if (this.#started) void this.#startAll(next.fresh);
    // A sink whose config did not change is kept as it is (its connections, token, pending acknowledgements):
    // rebuilding it would make a Splunk sink with useAck forget its ackIds and send those batches again.
    const kept = new Set(next.all);
    const retired = prev.all.filter((s) => !kept.has(s));
    setTimeout(() => void Promise.allSettled(retired.map((s) => s.close())), graceMs).unref();
    const changed = (tenant: string) =>
      !sameConfig(sinkConfigOf(prev.config, tenant), sinkConfigOf(next.config, tenant));
    for (const listener of this.#listeners) listener(changed);
  }

  /** Subscribes to updates (the dispatcher wakes the lanes whose sink changed); returns the unsubscribe. */
  onUpdate(listener: UpdateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #build(config: Pick<Config, 'defaultSink' | 'tenants'>, prev?: Routes): Routes {
    const all: Sink[] = [];
    const fresh: Sink[] = [];
    const byKey = new Map<string, { config: SinkConfig; sink: Sink }>();
    const make = (key: string, c: SinkConfig): Sink => {
      const before = prev?.byKey.get(key);
      if (before && sameConfig(before.config, c)) {
        all.push(before.sink);
        byKey.set(key, before);
        return before.sink;
      }
      try {
        const sink = this.#factory(c);
        all.push(sink);
        fresh.push(sink);
        byKey.set(key, { config: c, sink });
        return sink;
      } catch (err) {
        // All or nothing: what this attempt built goes; what it took over stays with the running mapping.
        void Promise.allSettled(fresh.map((s) => s.close()));
        throw new LogdriverError(ErrorCodes.SINK_CONFIG, `${key}: ${(err as Error).message}`, { cause: err });
      }
    };
    const fallback = make('defaultSink', config.defaultSink);
    const tenants = new Map<string, Sink>();
    for (const [tenant, { sink }] of Object.entries(config.tenants)) {
      tenants.set(tenant, make(`tenants.${tenant}.sink`, sink));
    }
    return { fallback, tenants, all, fresh, byKey, config };
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#routes.all.map((s) => s.close()));
  }
}
