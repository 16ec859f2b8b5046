// Public surface of the scenario table.
export {
  SCENARIOS,
  SCENARIO_NAMES,
  isScenarioName,
  param,
  paramsFor,
  scenarioSpec,
  type ScenarioName,
  type ScenarioSpec,
} from './table.js';
export { JOURNAL_VARIANTS, PROTOTYPE_VARIANT, type JournalVariant } from './journal-variants.js';
