// Router: tenantId -> Sink. Tenants with their own config get their own sink; all others share the default.
import type { Config, SinkConfig } from '../config/schema.js';
import type { Sink } from '../sinks/types.js';

export type SinkFactory = (config: SinkConfig) => Sink;

export class Router {
  readonly #factory: SinkFactory;
  #default: Sink;
  #tenants = new Map<string, Sink>();
  readonly #all = new Set<Sink>();

  constructor(config: Pick<Config, 'defaultSink' | 'tenants'>, factory: SinkFactory) {
    this.#factory = factory;
    this.#default = this.#make(config.defaultSink);
    this.#tenants = this.#build(config.tenants);
  }

  sinkFor(tenant: string): Sink {
    return this.#tenants.get(tenant) ?? this.#default;
  }

  /**
   * Swaps in a new mapping (config refresh). Old sinks are closed after `graceMs`, so batches in flight
   * on them can finish; one still running then is aborted and retried on the new sink.
   */
  update(config: Pick<Config, 'defaultSink' | 'tenants'>, graceMs = 30_000): void {
    const old = [...this.#all];
    this.#all.clear();
    this.#default = this.#make(config.defaultSink);
    this.#tenants = this.#build(config.tenants);
    setTimeout(() => void Promise.allSettled(old.map((s) => s.close())), graceMs).unref();
  }

  #build(tenants: Config['tenants']): Map<string, Sink> {
    const map = new Map<string, Sink>();
    for (const [tenant, { sink }] of Object.entries(tenants)) map.set(tenant, this.#make(sink));
    return map;
  }

  #make(config: SinkConfig): Sink {
    const sink = this.#factory(config);
    this.#all.add(sink);
    return sink;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#all].map((s) => s.close()));
  }
}
