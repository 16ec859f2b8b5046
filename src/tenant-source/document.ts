// A configuration broker's answer: `tenants` (and optionally `defaultSink`) in the config file's shape, parsed
// and validated by the file's own schemas into a frozen document, or refused with one reason safe to log.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import {
  deepFreeze,
  errorMap,
  formatKeyPath,
  problemLine,
  problemsFromIssues,
  sinkSchema,
  tenantsSchema,
  type Config,
  type ConfigProblem,
} from '../config/index.js';

/** What a broker decides: its tenants and, when it sends one, the default sink. */
export interface TenantDocument {
  readonly tenants: Config['tenants'];
  readonly defaultSink?: Config['defaultSink'];
}

export type ParsedDocument =
  { readonly ok: true; readonly doc: TenantDocument } | { readonly ok: false; readonly reason: string };

// `tenants` is required: an answer of `{}` (a broker that lost its data) must not silently drop every tenant.
const documentSchema = z.strictObject({ tenants: tenantsSchema, defaultSink: sinkSchema.optional() });

/** YAML when the Content-Type says so (application/yaml, text/yaml, …), JSON otherwise. */
export function isYaml(contentType: string | undefined): boolean {
  return contentType !== undefined && /\byaml\b/i.test(contentType);
}

/**
 * Parses and validates an answer. Hazard: the document holds tokens, and V8's and the YAML parser's messages
 * quote the text around an error, so reasons are our own words plus a position, never the parser's message.
 */
export function parseTenantDocument(text: string, contentType?: string): ParsedDocument {
  const body = text.replace(/^\uFEFF/, '');
  const parsed = isYaml(contentType) ? parseYaml(body) : parseJson(body);
  if ('reason' in parsed) return { ok: false, reason: parsed.reason };
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'the document is not an object with a `tenants` key' };
  }
  const early = checkStrings(value);
  if (early.length > 0) return { ok: false, reason: summarize(early) };
  const result = documentSchema.safeParse(value, { error: errorMap });
  if (!result.success) return { ok: false, reason: summarize(problemsFromIssues(result.error.issues)) };
  const doc: TenantDocument =
    result.data.defaultSink === undefined
      ? { tenants: result.data.tenants }
      : { tenants: result.data.tenants, defaultSink: result.data.defaultSink };
  return { ok: true, doc: deepFreeze(doc) };
}

function parseJson(body: string): { value: unknown } | { reason: string } {
  try {
    return { value: JSON.parse(body) as unknown };
  } catch (err) {
    const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
    return { reason: m ? `not valid JSON (at byte ${m[1]})` : 'not valid JSON' };
  }
}

function parseYaml(body: string): { value: unknown } | { reason: string } {
  const doc = parseDocument(body, { prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) return { reason: `not valid YAML [${first.code}] (at offset ${first.pos[0]})` };
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch {
    return { reason: 'not valid YAML (the document cannot be built)' };
  }
}

/**
 * Refuses `__proto__` keys (zod's records drop them without a word, so a tenant would vanish) and `${NAME}`
 * references. The broker is another trust domain: expanding references would let it read any variable of this
 * process (`url: https://elsewhere/${AWS_SECRET_ACCESS_KEY}`), so a broker sends values, never references.
 */
function checkStrings(value: unknown, path: PropertyKey[] = [], out: ConfigProblem[] = []): ConfigProblem[] {
  if (typeof value === 'string') {
    if (value.includes('${'))
      out.push({
        key: formatKeyPath(path),
        message: '${...} references are not expanded in a broker document; the broker must send the value',
      });
  } else if (Array.isArray(value)) value.forEach((v, i) => checkStrings(v, [...path, i], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__')
        out.push({ key: formatKeyPath([...path, k]), message: 'reserved name, not allowed as a key' });
      else checkStrings(v, [...path, k], out);
    }
  }
  return out;
}

/** One line: the first problem, and how many more there were. */
function summarize(problems: readonly ConfigProblem[]): string {
  const first = problems[0];
  if (!first) return 'invalid document';
  const more = problems.length - 1;
  return more > 0 ? `${problemLine(first)} (and ${more} more)` : problemLine(first);
}

/**
 * The routing in force: the broker's tenants win over the file's for the same id, the file's other tenants
 * stay; the broker's defaultSink, when it sends one, replaces the file's.
 */
export function mergeRouting(
  file: Pick<Config, 'defaultSink' | 'tenants'>,
  broker: TenantDocument | undefined,
): Pick<Config, 'defaultSink' | 'tenants'> {
  if (!broker) return file;
  return {
    defaultSink: broker.defaultSink ?? file.defaultSink,
    tenants: { ...file.tenants, ...broker.tenants },
  };
}
