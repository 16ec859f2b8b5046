// Public surface of the scenario table.
export {
  SCENARIOS,
  SCENARIO_NAMES,
  SUITE_NAMES,
  isScenarioName,
  param,
  paramsFor,
  scenarioSpec,
  type ScenarioName,
  type ScenarioSpec,
} from './table.js';
export {
  JOURNAL_VARIANTS,
  PROTOTYPE_VARIANT,
  CYCLE_BASELINE,
  CYCLE_VARIANTS,
  CYCLE_SHAPE,
  type CycleVariant,
  type JournalVariant,
} from './journal-variants.js';
