// Turns a config file (YAML or JSON) plus the environment into one validated, deep-frozen Config, or a typed error.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ErrorCodes } from '../errors.js';
import {
  applyEnvOverrides,
  interpolateEnv,
  unknownEnvVars,
  type AppliedOverride,
  type MissingVariable,
} from './env.js';
import {
  ConfigError,
  errorMap,
  formatKeyPath,
  problemLine,
  problemsFromIssues,
  type ConfigProblem,
} from './problems.js';
import { configSchema, type Config } from './schema.js';

export interface LoadConfigOptions {
  /** YAML, or JSON when the name ends in .json. Without it: defaults plus environment. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly file: string | undefined;
  /** Overrides that were set, by name and key (never value): worth one log line at start. */
  readonly envApplied: readonly AppliedOverride[];
  /** LOGDRIVER_* variables that are neither overrides nor referenced by the file: worth a warning. */
  readonly unknownEnv: readonly string[];
}

function offsetToLine(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * Parses file text. Hazard: parser messages from YAML and V8 can quote the surrounding text, and a file may hold
 * a secret written inline, so errors carry our own reason plus line/column and never the parser's excerpt or cause.
 */
function parseText(text: string, file: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return {};
  const fail = (reason: string, offset?: number): never => {
    const pos = offset === undefined ? undefined : offsetToLine(body, offset);
    const at = pos ? ` (line ${pos.line}, column ${pos.col})` : '';
    throw new ConfigError(ErrorCodes.CONFIG_READ, `cannot parse config file ${file}${at}: ${reason}`, {
      file,
    });
  };
  if (extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      const msg = err instanceof Error ? err.message : '';
      const m = /^(.*?) in JSON at position (\d+)/.exec(msg);
      if (m) return fail(m[1]!, Number(m[2]));
      return fail(/^Unexpected end of JSON input/.test(msg) ? 'unexpected end of input' : 'not valid JSON');
    }
  }
  const doc = parseDocument(body, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) return fail(`${first.message} [${first.code}]`, first.pos[0]);
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0]! : 'cannot build the document');
  }
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : String(code ?? err);
    throw new ConfigError(ErrorCodes.CONFIG_READ, `cannot read config file ${file}: ${reason}`, {
      file,
      cause: err,
    });
  }
  return parseText(text, file);
}

/** Freezes a value and everything reachable from it (Secret instances too; their private field is unaffected). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

function where(file: string | undefined): string {
  return file === undefined ? 'defaults and environment' : file;
}

function secretMissing(missing: readonly MissingVariable[], file: string | undefined): ConfigError {
  const problems = missing.map((m) => ({
    key: m.key,
    message: `environment variable ${m.variable} is not set`,
  }));
  const lines = problems.map((p) => `  ${problemLine(p)}`).join('\n');
  return new ConfigError(
    ErrorCodes.CONFIG_SECRET_MISSING,
    `config ${where(file)} references unset environment variables:\n${lines}`,
    { file, problems },
  );
}

function invalid(problems: readonly ConfigProblem[], file: string | undefined): ConfigError {
  const lines = problems.map((p) => `  ${problemLine(p)}`).join('\n');
  const n = problems.length;
  return new ConfigError(
    ErrorCodes.CONFIG_INVALID,
    `invalid configuration (${where(file)}), ${n} problem${n === 1 ? '' : 's'}:\n${lines}`,
    { file, problems },
  );
}

/**
 * Validates an already-parsed document: interpolate ${VAR}, apply LOGDRIVER_* overrides, check, freeze.
 * Order matters: overrides are applied after interpolation, so their values are taken literally.
 */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv, file?: string): LoadedConfig {
  const doc = raw === null || raw === undefined ? {} : raw;
  const interp = interpolateEnv(doc, env, formatKeyPath);
  if (interp.missing.length > 0) throw secretMissing(interp.missing, file);

  const tree = interp.value;
  const isObject = typeof tree === 'object' && tree !== null && !Array.isArray(tree);
  const overrides = isObject
    ? applyEnvOverrides(tree as Record<string, unknown>, env)
    : { applied: [], problems: [] };

  const result = configSchema.safeParse(tree, { error: errorMap });
  const schemaProblems = result.success ? [] : problemsFromIssues(result.error.issues);
  // An issue at a key an override set is the variable's fault: name it so the operator looks in the right place.
  const byKey = new Map(overrides.applied.map((a) => [formatKeyPath(a.key.split('.')), a.name]));
  const attributed = schemaProblems.map((p) => {
    const envName = byKey.get(p.key);
    return envName ? { ...p, envName } : p;
  });
  const reserved = protoKeys(tree);
  const reservedKeys = new Set(reserved.map((p) => p.key));
  const rest = attributed.filter((p) => !reservedKeys.has(p.key));
  const problems = dedupe([...reserved, ...interp.problems, ...overrides.problems, ...rest]);
  if (problems.length > 0 || !result.success) throw invalid(problems, file);

  return {
    config: deepFreeze(result.data),
    file,
    envApplied: Object.freeze(overrides.applied),
    unknownEnv: Object.freeze(unknownEnvVars(env, interp.referenced)),
  };
}

/** zod's records drop a "__proto__" key without a word (a tenant would vanish), so refuse it anywhere. */
function protoKeys(value: unknown, path: PropertyKey[] = [], out: ConfigProblem[] = []): ConfigProblem[] {
  if (Array.isArray(value)) value.forEach((v, i) => protoKeys(v, [...path, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__')
        out.push({ key: formatKeyPath([...path, k]), message: 'reserved name, not allowed as a key' });
      else protoKeys(v, [...path, k], out);
    }
  }
  return out;
}

function dedupe(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const line = problemLine(p);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

/** Like loadConfig, plus which overrides were applied and which LOGDRIVER_* variables nobody uses. */
export function loadConfigDetailed(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const raw = opts.file === undefined ? {} : readConfigFile(opts.file);
  return resolveConfig(raw, env, opts.file);
}

/** The validated, deep-frozen config. Throws ConfigError (CONFIG_READ, CONFIG_INVALID, CONFIG_SECRET_MISSING). */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  return loadConfigDetailed(opts).config;
}
