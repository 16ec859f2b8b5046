// The mock sink's bookkeeping of acknowledged envelopes: unique ids, duplicates, per-tenant order, latency.
//
// Ids are `<bufferId>-<seq>` (the bufferId may itself contain dashes; the seq is the digits after the last
// one). Seen seqs live in one SeqSet per bufferId, so memory stays bounded for millions of events; ids of
// any other shape fall back to a plain Set of strings. Invariants: unique + duplicates == events, per
// tenant and in total; an order violation is a *newly seen* seq lower than the highest seq already seen
// for the same (tenant, bufferId); redeliveries are duplicates, never order violations.
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { SeqSet } from './seq-set.js';

export interface Envelope {
  id: string;
  tenantId: string;
  /** ms since the epoch when logdriver received the event; absent means no latency sample. */
  receivedAt: number | undefined;
  event: unknown;
}

export interface TenantCounts {
  events: number;
  unique: number;
  duplicates: number;
  orderViolations: number;
}

export interface LedgerTotals extends TenantCounts {
  perTenant: Record<string, TenantCounts>;
  latencyMs: LatencySummary;
  /** Time (ms since epoch) of the first and last acknowledged batch; null before any. */
  firstAt: number | null;
  lastAt: number | null;
}

interface TenantState extends TenantCounts {
  /** Highest seq seen per bufferId for this tenant. */
  highest: Map<string, number>;
  kept: { id: string; event: unknown }[];
}

/** Splits `<bufferId>-<seq>`; undefined when the id has no numeric suffix that is a safe integer. */
export function parseEventId(id: string): { bufferId: string; seq: number } | undefined {
  const dash = id.lastIndexOf('-');
  const len = id.length - dash - 1;
  if (dash < 0 || len < 1 || len > 15) return undefined;
  let seq = 0;
  for (let i = dash + 1; i < id.length; i++) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    seq = seq * 10 + c;
  }
  return { bufferId: id.slice(0, dash), seq };
}

export class Ledger {
  private bySource = new Map<string, SeqSet>();
  private opaque = new Set<string>();
  private tenants = new Map<string, TenantState>();
  private readonly latency = new LatencyHistogram();
  private events = 0;
  private unique = 0;
  private duplicates = 0;
  private orderViolations = 0;
  private firstAt: number | null = null;
  private lastAt: number | null = null;

  /** Records one acknowledged batch, in order, at time `now`; per envelope, whether its id was new. */
  recordBatch(envelopes: readonly Envelope[], now: number, keepEvents: boolean): boolean[] {
    if (this.firstAt === null) this.firstAt = now;
    this.lastAt = now;
    return envelopes.map((env) => this.record(env, now, keepEvents));
  }

  private record(env: Envelope, now: number, keepEvents: boolean): boolean {
    const t = this.tenant(env.tenantId);
    t.events++;
    this.events++;
    if (env.receivedAt !== undefined) this.latency.record(now - env.receivedAt);
    if (keepEvents) t.kept.push({ id: env.id, event: env.event });

    const parsed = parseEventId(env.id);
    let fresh: boolean;
    if (parsed === undefined) {
      fresh = !this.opaque.has(env.id);
      if (fresh) this.opaque.add(env.id);
    } else {
      let seqs = this.bySource.get(parsed.bufferId);
      if (seqs === undefined) {
        seqs = new SeqSet();
        this.bySource.set(parsed.bufferId, seqs);
      }
      fresh = seqs.add(parsed.seq);
      if (fresh) {
        const highest = t.highest.get(parsed.bufferId);
        if (highest !== undefined && parsed.seq < highest) {
          t.orderViolations++;
          this.orderViolations++;
        } else {
          t.highest.set(parsed.bufferId, parsed.seq);
        }
      }
    }
    if (fresh) {
      t.unique++;
      this.unique++;
    } else {
      t.duplicates++;
      this.duplicates++;
    }
    return fresh;
  }

  private tenant(id: string): TenantState {
    let t = this.tenants.get(id);
    if (t === undefined) {
      t = { events: 0, unique: 0, duplicates: 0, orderViolations: 0, highest: new Map(), kept: [] };
      this.tenants.set(id, t);
    }
    return t;
  }

  /** Acknowledged envelopes of one tenant in arrival order (duplicates included); empty unless kept. */
  received(tenant: string): { id: string; event: unknown }[] {
    return [...(this.tenants.get(tenant)?.kept ?? [])];
  }

  totals(): LedgerTotals {
    const perTenant: Record<string, TenantCounts> = {};
    for (const [name, t] of this.tenants) {
      perTenant[name] = {
        events: t.events,
        unique: t.unique,
        duplicates: t.duplicates,
        orderViolations: t.orderViolations,
      };
    }
    return {
      events: this.events,
      unique: this.unique,
      duplicates: this.duplicates,
      orderViolations: this.orderViolations,
      perTenant,
      latencyMs: this.latency.summary(),
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }

  reset(): void {
    this.bySource = new Map();
    this.opaque = new Set();
    this.tenants = new Map();
    this.latency.reset();
    this.events = this.unique = this.duplicates = this.orderViolations = 0;
    this.firstAt = this.lastAt = null;
  }
}
