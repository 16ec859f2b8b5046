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
