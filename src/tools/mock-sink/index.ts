// Public surface of the mock sink: the server, its options and the bookkeeping pieces the tests exercise.
export { startMockSink } from './server.js';
export type { MockSink, MockSinkReport } from './types.js';
export { decide, matchesAuth, type Answer, type ExchangeInput } from './exchange.js';
export {
  DEFAULT_OPTIONS,
  MockSinkError,
  loopbackAddress,
  redactOptions,
  resolveOptions,
  type Latency,
  type MockSinkErrorCode,
  type MockSinkOptions,
  type Outage,
  type SinkMode,
  type SinkProtocol,
  SINK_PROTOCOLS,
} from './options.js';
export {
  GcpTokens,
  HecAcks,
  bulkAnswer,
  parseBulkBody,
  parseDatadogBody,
  parseOtlpBody,
  parseGcpBody,
  parseHecBody,
  splitConcatenatedJson,
  GCP_TOKEN_PATH,
  GCP_WRITE_PATH,
  HEC_ACK_PATH,
} from './protocols.js';
export { Ledger, parseEventId, type Envelope, type LedgerTotals, type TenantCounts } from './ledger.js';
export { LatencyHistogram, bucketIndex, bucketLowerBound, rankOf, type LatencySummary } from './histogram.js';
export { SeqSet } from './seq-set.js';
export { decodeBody, parseEnvelopes, type BodyResult } from './body.js';
export { seededRandom } from './random.js';
export { LOGDRIVER_SD_ID, OctetCountedFrames, parseSyslogMessage } from './syslog.js';
