// How config problems are reported: the ConfigError type, operator-facing key paths, and zod issues turned into lines.
import type { z } from 'zod';
import { LogdriverError, type ErrorCode } from '../errors.js';

/** A problem found in the config, attributed to a key (dotted, as shown to operators) and maybe an env variable. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
  readonly envName?: string;
}

/** A config that cannot be used. `problems` lists every finding; the message lists them too, one per line. */
export class ConfigError extends LogdriverError {
  readonly problems: readonly ConfigProblem[];
  readonly file: string | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { file?: string | undefined; problems?: readonly ConfigProblem[]; cause?: unknown } = {},
  ) {
    super(code, message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConfigError';
    this.file = opts.file;
    this.problems = Object.freeze([...(opts.problems ?? [])]);
  }
}

/** A path as operators read it: buffer.maxBytes, tenants["acme.eu"].sink.url, headers[0]; the root is "(root)". */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      const shown = s.length > 64 ? `${s.slice(0, 64)}…` : s;
      out += /^[A-Za-z_][\w-]*$/.test(s) ? (out ? '.' : '') + s : `[${JSON.stringify(shown)}]`;
    }
  }
  return out || '(root)';
}

export function problemLine(p: ConfigProblem): string {
  return p.envName ? `${p.envName} (${p.key}): ${p.message}` : `${p.key}: ${p.message}`;
}

/** Zod issues -> problems. Zod messages do not echo input values (reportInput stays off), so none leak here. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []) {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) out.push({ key: formatKeyPath([...path, k]), message: 'unknown key' });
        break;
      case 'invalid_key':
        out.push({
          key: formatKeyPath(path),
          message: `invalid key: ${issue.issues.map((i) => i.message).join('; ')}`,
        });
        break;
      case 'invalid_union': {
        if (issue.errors.length === 0) {
          // A discriminated union whose tag matched nothing; zod puts the tag in the path.
          const options = (issue as { options?: unknown[] }).options;
          const list = Array.isArray(options) ? options.map(String).join(', ') : undefined;
          out.push({ key: formatKeyPath(path), message: list ? `must be one of: ${list}` : issue.message });
          break;
        }
        // Report the alternative that came closest; when several tie, say what each would need.
        const fewest = Math.min(...issue.errors.map((e) => e.length));
        const closest = issue.errors.filter((e) => e.length === fewest);
        if (closest.length === 1) out.push(...problemsFromIssues(closest[0]!, path));
        else {
          const forms = closest.map((e) => problemsFromIssues(e).map(problemLine).join('; '));
          out.push({
            key: formatKeyPath(path),
            message: `matches none of the allowed forms: ${forms.join(' | ')}`,
          });
        }
        break;
      }
      default:
        out.push({ key: formatKeyPath(path), message: issue.message });
    }
  }
  return out;
}

// Say "required" for a missing key instead of zod's "expected string, received undefined". Never quote input.
export const errorMap: z.core.$ZodErrorMap = (iss) =>
  iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined;

/** One text for a failed start (the caller adds the program name): the config error as is, else its message. */
export function describeConfigError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof Error) return `configuration error: ${err.message}`;
  return `configuration error: ${String(err)}`;
}
