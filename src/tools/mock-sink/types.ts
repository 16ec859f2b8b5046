// The mock sink's public types: the handle returned by startMockSink and the report it produces.
import type { LedgerTotals } from './ledger.js';
import type { MockSinkOptions, SinkProtocol } from './options.js';

export interface MockSinkReport extends LedgerTotals {
  /** Ingest requests received (control API calls excluded); syslog: connections accepted. */
  requests: number;
  /**
   * Ingest answers by status code, plus `timeout` (held, never answered) and `aborted` (client left first);
   * syslog: `closed` (recorded, our side closed cleanly) or `reset`.
   */
  statusCounts: Record<string, number>;
  /** Bodies refused as unreadable: not NDJSON/JSON of envelopes, bad gzip, too large, unknown encoding. */
  badRequests: number;
  /** When the server started listening (outage windows are relative to it). */
  startedAt: number;
  /** The protocol ingest speaks. */
  protocol: SinkProtocol;
  /** splunk_hec: ack queries answered, and ackIds issued but not yet reported true (their events unrecorded). */
  ackQueries: number;
  pendingAcks: number;
  /** gcp_logging: access tokens issued by /token. */
  tokensIssued: number;
  /** syslog: the TCP port of the syslog receiver (null with the other protocols). */
  syslogPort: number | null;
  /** CPU seconds (user + system) the sink's process has used so far: benchmarks take differences. */
  cpuSeconds: number;
}

export interface MockSink {
  readonly url: string;
  readonly port: number;
  /** protocol syslog: the TCP port syslog is received on (the control API stays on `port`). */
  readonly syslogPort: number | undefined;
  report(): MockSinkReport;
  /** Clears every count and recorded id, and reseeds the random decisions; options and the outage clock stay. */
  reset(): void;
  /** Changes options at runtime (host and port excepted); throws MOCK_SINK_BAD_OPTIONS. */
  set(opts: Partial<MockSinkOptions>): void;
  /** Resolves with the first report satisfying `pred`; rejects with MOCK_SINK_WAIT_TIMEOUT after `timeoutMs`. */
  waitFor(pred: (r: MockSinkReport) => boolean, timeoutMs: number): Promise<MockSinkReport>;
  /** Acknowledged envelopes of a tenant in arrival order, duplicates included; only with `keepEvents`. */
  received(tenant: string): { id: string; event: unknown }[];
  /** Current options, credentials masked. */
  options(): Record<string, unknown>;
  close(): Promise<void>;
}
