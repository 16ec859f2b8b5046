// The environment's part in config: LOGDRIVER_* overrides (one table for code, docs and tests) and ${VAR} interpolation.
import type { ConfigProblem } from './problems.js';

/** How an override's text becomes a config value; the schema validates the result (ranges, enums, formats). */
export type EnvKind = 'string' | 'number' | 'boolean' | 'enum' | 'byteSize' | 'listen' | 'secret';

export interface EnvOverride {
  /** The variable, e.g. LOGDRIVER_BUFFER_MAX_BYTES. */
  readonly name: string;
  /** The config key it sets, dotted: buffer.maxBytes. */
  readonly key: string;
  readonly path: readonly string[];
  readonly kind: EnvKind;
  /** A valid value different from the default: used in docs and by the tests that exercise every override. */
  readonly example: string;
  /** True when the name comes from the original product rather than the LOGDRIVER_<SECTION>_<KEY> rule. */
  readonly legacy: boolean;
}

export const ENV_PREFIX = 'LOGDRIVER_';

// The one list. Every scalar key of the schema appears once (a test walks the defaults to keep it so); sinks
// (defaultSink, tenants) are structured and live in the file only. Legacy names replace the systematic name.
const SPECS: readonly (readonly [key: string, kind: EnvKind, example: string, legacyName?: string])[] = [
  ['dataDir', 'string', '/var/lib/logdriver'],
  ['ingest.zmq.enabled', 'boolean', 'false'],
  ['ingest.zmq.endpoint', 'string', 'tcp://0.0.0.0:5556', 'LOGDRIVER_EVENT_PRODUCER_URL'],
  ['ingest.zmq.mode', 'enum', 'connect'],
  ['ingest.zmq.highWaterMark', 'number', '50000'],
  ['ingest.http.enabled', 'boolean', 'false'],
  ['ingest.http.listen', 'listen', '0.0.0.0:9000'],
  ['ingest.http.token', 'secret', 'example-ingest-token'],
  ['ingest.http.rateLimitPerClient', 'number', '200'],
  ['ingest.http.maxBodyBytes', 'byteSize', '32MiB'],
  ['ingest.http.maxEventsPerRequest', 'number', '1000'],
  ['ingest.maxEventBytes', 'byteSize', '256KiB'],
  ['ingest.channelCapacity', 'number', '100000', 'LOGDRIVER_CHANNEL_CAPACITY'],
  ['admin.enabled', 'boolean', 'false'],
  ['admin.listen', 'listen', '0.0.0.0:9100'],
  ['admin.rateLimitPerClient', 'number', '20'],
  ['admin.token', 'secret', 'example-admin-token'],
  ['admin.metricsRequireToken', 'boolean', 'true'],
  ['buffer.synchronous', 'enum', 'normal'],
  ['buffer.maxBytes', 'byteSize', '50GiB'],
  ['buffer.whenFull', 'enum', 'drop_newest'],
  ['buffer.commitMaxEvents', 'number', '5000'],
  ['buffer.commitWindowMs', 'number', '5'],
  ['buffer.commitMaxBytes', 'byteSize', '8MiB'],
  ['buffer.chunkMaxBytes', 'byteSize', '512KiB'],
  ['buffer.cacheMaxBytes', 'byteSize', '64MiB'],
  ['buffer.walMaxBytes', 'byteSize', '256MiB'],
  ['buffer.autoVacuum', 'enum', 'none'],
  ['buffer.diskReserveBytes', 'byteSize', '16MiB'],
  ['buffer.pollIntervalMs', 'number', '250', 'LOGDRIVER_BUFFER_POLL_INTERVAL'],
  ['delivery.batchSize', 'number', '500', 'LOGDRIVER_SINK_BATCH_SIZE'],
  ['delivery.maxBatchAgeMs', 'number', '500'],
  ['delivery.maxBatchBytes', 'byteSize', '4MiB'],
  ['delivery.maxInFlightPerTenant', 'number', '2'],
  ['delivery.maxInFlight', 'number', '128'],
  ['delivery.retry.initialMs', 'number', '1000'],
  ['delivery.retry.maxMs', 'number', '300000'],
  ['delivery.sendTimeoutMs', 'number', '300000'],
  ['delivery.shutdownGraceMs', 'number', '30000'],
  ['delivery.poison.bisectAfterFailures', 'number', '5'],
  ['delivery.poison.maxAttempts', 'number', '50'],
  ['delivery.poison.maxAgeMs', 'number', '172800000'],
  ['configRefreshIntervalMs', 'number', '30000', 'LOGDRIVER_CONFIG_REFRESH_INTERVAL'],
  ['tenantSource.url', 'string', 'https://broker.example/v1/tenants'],
  ['tenantSource.token', 'secret', 'example-broker-token'],
  ['tenantSource.caFile', 'string', '/etc/logdriver/broker-ca.pem'],
  ['tenantSource.timeoutMs', 'number', '5000'],
  ['tenantSource.maxBytes', 'byteSize', '4MiB'],
  ['tenantSource.cacheFile', 'string', '/var/lib/logdriver/tenants-cache.json'],
  ['log.level', 'enum', 'debug'],
  ['stats.file', 'string', './data/stats.csv'],
  ['stats.intervalMs', 'number', '5000'],
];

/** buffer.maxBytes -> LOGDRIVER_BUFFER_MAX_BYTES. */
export function systematicEnvName(key: string): string {
  const words = key.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase());
  return ENV_PREFIX + words.join('_');
}

export const ENV_OVERRIDES: readonly EnvOverride[] = Object.freeze(
  SPECS.map(([key, kind, example, legacyName]) =>
    Object.freeze({
      name: legacyName ?? systematicEnvName(key),
      key,
      path: Object.freeze(key.split('.')),
      kind,
      example,
      legacy: legacyName !== undefined,
    }),
  ),
);

const BY_NAME = new Map(ENV_OVERRIDES.map((o) => [o.name, o]));

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Text -> value for one kind. Reasons never quote the text: the variable may hold a secret. */
export function parseEnvValue(kind: EnvKind, text: string): { value: unknown } | { error: string } {
  switch (kind) {
    case 'number': {
      const t = text.trim();
      return NUMBER.test(t) ? { value: Number(t) } : { error: 'not a number' };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE_WORDS.has(t)) return { value: true };
      if (FALSE_WORDS.has(t)) return { value: false };
      return { error: 'not a boolean (use true or false)' };
    }
    default:
      // Strings, enums, sizes, listen addresses and secrets go to the schema as written.
      return { value: text };
  }
}

export interface AppliedOverride {
  readonly name: string;
  readonly key: string;
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Defines an own property even for a key like "__proto__", so file content can never reach a prototype. */
function define(obj: Tree, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Writes every set override into `raw` (which the caller owns; it is mutated). An empty variable counts as unset,
 * so container templates can leave one blank. Where the file put a non-object on the way to a key, the override is
 * skipped: the schema reports that key's type error and the override could not have fixed it.
 */
export function applyEnvOverrides(
  raw: Tree,
  env: NodeJS.ProcessEnv,
): { applied: AppliedOverride[]; problems: ConfigProblem[] } {
  const applied: AppliedOverride[] = [];
  const problems: ConfigProblem[] = [];
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined || text === '') continue;
    const parsed = parseEnvValue(o.kind, text);
    if ('error' in parsed) {
      problems.push({ key: o.key, message: parsed.error, envName: o.name });
      continue;
    }
    let node = raw;
    let reachable = true;
    for (const part of o.path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined || next === null) {
        const created: Tree = {};
        define(node, part, created);
        node = created;
      } else if (isTree(next)) {
        node = next;
      } else {
        reachable = false;
        break;
      }
    }
    if (!reachable) continue;
    define(node, o.path[o.path.length - 1]!, parsed.value);
    applied.push({ name: o.name, key: o.key });
  }
  return { applied, problems };
}

/** LOGDRIVER_* variables that are not overrides and not referenced by the file: the service warns about them. */
export function unknownEnvVars(env: NodeJS.ProcessEnv, referenced: Iterable<string> = []): string[] {
  const used = new Set(referenced);
  return Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && !BY_NAME.has(n) && !used.has(n))
    .sort();
}

export interface MissingVariable {
  readonly key: string;
  readonly variable: string;
}

export interface Interpolation {
  readonly value: unknown;
  readonly missing: MissingVariable[];
  readonly problems: ConfigProblem[];
  /** Every variable name the file referenced (set or not). */
  readonly referenced: Set<string>;
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces ${NAME} in every string value of a parsed file (keys are left alone); `$${` yields a literal `${`.
 * `formatKey` turns a path into the operator-facing key. Hazard: results may hold secrets, so nothing here
 * ever puts a string value (before or after substitution) into a problem message.
 */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  formatKey: (path: readonly (string | number)[]) => string,
): Interpolation {
  const missing: MissingVariable[] = [];
  const problems: ConfigProblem[] = [];
  const referenced = new Set<string>();

  const substitute = (text: string, path: readonly (string | number)[]): string => {
    if (!text.includes('${')) return text;
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (text.startsWith('$${', i)) {
        out += '${';
        i += 3;
      } else if (text.startsWith('${', i)) {
        const end = text.indexOf('}', i + 2);
        const name = end < 0 ? '' : text.slice(i + 2, end);
        if (end < 0 || !VAR_NAME.test(name)) {
          problems.push({
            key: formatKey(path),
            message:
              'malformed ${...} reference (write ${NAME} with letters, digits and _, or $${ for a literal ${)',
          });
          return text;
        }
        referenced.add(name);
        const v = env[name];
        if (v === undefined) missing.push({ key: formatKey(path), variable: name });
        else out += v;
        i = end + 1;
      } else {
        out += text[i];
        i += 1;
      }
    }
    return out;
  };

  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') return substitute(v, path);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (isTree(v)) {
      const out: Tree = {};
      for (const [k, child] of Object.entries(v)) define(out, k, walk(child, [...path, k]));
      return out;
    }
    return v;
  };

  return { value: walk(value, []), missing, problems, referenced };
}
