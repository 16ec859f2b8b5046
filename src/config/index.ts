// The config folder's public surface: schema and types, loading, env overrides, errors, secrets and unit parsers.
export {
  BROKER_REFRESH_DEFAULT_MS,
  configSchema,
  sinkSchema,
  tenantsSchema,
  type Config,
  type SinkConfig,
} from './schema.js';
export { Secret } from './secret.js';
export { decodeKey, loadEncryptionKeys, type EncryptionConfig } from './encryption.js';
export { parseByteSize, parseListen, type ListenAddress } from './units.js';
export {
  ENV_OVERRIDES,
  ENV_PREFIX,
  applyEnvOverrides,
  interpolateEnv,
  parseEnvValue,
  systematicEnvName,
  unknownEnvVars,
  type AppliedOverride,
  type EnvKind,
  type EnvOverride,
} from './env.js';
export {
  ConfigError,
  describeConfigError,
  errorMap,
  formatKeyPath,
  problemLine,
  problemsFromIssues,
  type ConfigProblem,
} from './problems.js';
export {
  deepFreeze,
  loadConfig,
  loadConfigDetailed,
  resolveConfig,
  type LoadConfigOptions,
  type LoadedConfig,
} from './load.js';
