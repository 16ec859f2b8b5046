// Public surface of the bench harness: the suite, process orchestration, parsing, summary math, charts.
export { runBench, defaultOutDir, timestamp, type BenchOptions, type BenchOutcome } from './suite.js';
export {
  BenchAborted,
  BenchContext,
  type ContextOptions,
  type RunDirs,
  type WaitOptions,
  type Poll,
} from './context.js';
export { ChildSet, defaultCliPath, type Child, type ExitInfo, type SpawnOptions } from './children.js';
export { freePort, freePorts, LOOPBACK } from './ports.js';
export {
  baseServiceConfig,
  deepMerge,
  parseStartedLine,
  startServiceProcess,
  type Endpoints,
  type ServiceHandle,
} from './service.js';
export { parseListeningLine, startSinkProcess, type SinkHandle } from './sink.js';
export {
  parseSendSummary,
  producerArgs,
  startProducer,
  type ProducerResult,
  type ProducerSpec,
  type ProducerTarget,
} from './producer.js';
export { countersFrom, fetchCounters, parsePrometheus, type ServiceCounters } from './metrics.js';
export {
  NUMERIC_COLUMNS,
  parseStatsCsv,
  splitCsvLine,
  type NumericColumn,
  type StatsRow,
} from './stats-csv.js';
export {
  activeRows,
  lastValue,
  mean,
  median,
  peak,
  percentile,
  ratePerSec,
  windowStats,
  type WindowStats,
} from './summary.js';
export { chartSpec, renderChartSvg } from './chart.js';
export { Progress, barWanted, type ProgressOptions } from './progress.js';
export {
  formatTable,
  formatValue,
  writeSummaryJson,
  type RunArtifacts,
  type ScenarioResult,
} from './report.js';
export {
  MiB,
  PEER,
  TARGETS,
  peerRatio,
  targetRatio,
  verdict,
  type Finding,
  type Target,
  type Unit,
  type Verdict,
} from './targets.js';
export {
  journalFindings,
  prepareEvents,
  runCycle,
  runJournal,
  runVariant,
  type CycleResult,
  type JournalParams,
  type JournalReport,
  type PreparedEvent,
  type VariantResult,
} from './journal.js';
export {
  RUNNERS,
  countTenantEvents,
  drainThreshold,
  type Runner,
  type RunnerOutput,
} from './runners/index.js';
