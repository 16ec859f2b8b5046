// The runner of each scenario, by name.
import type { ScenarioName } from '../../scenarios/index.js';
import type { Runner } from './common.js';
import { runE2e } from './e2e.js';
import { runIngest } from './ingest.js';
import { runJournalScenario } from './journal.js';
import { runOutage } from './outage.js';
import { runRestart } from './restart.js';
import { runSinks } from './sinks.js';
import { runSoak } from './soak.js';
import { runTenants } from './tenants.js';

export const RUNNERS: Readonly<Record<ScenarioName, Runner>> = Object.freeze({
  journal: runJournalScenario,
  ingest: runIngest,
  e2e: runE2e,
  outage: runOutage,
  soak: runSoak,
  restart: runRestart,
  flood: runRestart,
  tenants: runTenants,
  sinks: runSinks,
});

export type { Runner, RunnerOutput, Sample } from './common.js';
export { countTenantEvents } from './tenants.js';
export { drainThreshold } from './outage.js';
