// Index names per tenant from the `index` template: the tenant made safe for Elasticsearch/OpenSearch index
// names without two distinct tenants ever landing in the same index. Pure.
//
// Index name rules (create index API, "Path parameters" / index name limitations):
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/indices-create-index.html
//   lowercase only; none of \ / * ? " < > | space , # (and : since 7.0); not starting with - _ +; not . or ..;
//   at most 255 bytes (UTF-8). Names starting with . are hidden/system indices: refused here as well.
//
// The tenant part of a name is either
//   - the tenant itself, when it already is a safe name: /^[a-z0-9][a-z0-9._-]*$/, short enough, and not
//     ending like a hashed part (below); or
//   - `<sanitised>-h<12 hex>`: the tenant with ASCII letters lowercased and every other character outside
//     [a-z0-9._-] replaced by `_`, leading non-alphanumerics dropped, cut to fit (`x` when nothing is
//     left), then `-h` and the first 12 hex digits of SHA-256 over the tenant's UTF-16 code units.
// Injective: an unhashed part never ends in /-h[0-9a-f]{12}$/ and a hashed one always does, so the two kinds
// never meet; unhashed parts are the tenants themselves; two hashed parts are equal only if 48-bit hashes of
// two different tenants collide and their sanitised prefixes match too. The prefix and suffix around
// `{tenant}` are fixed, so the index name determines its tenant part.
import { createHash } from 'node:crypto';

export const TENANT_PLACEHOLDER = '{tenant}';
export const DEFAULT_INDEX_TEMPLATE = 'logs-logdriver-{tenant}';
export const MAX_INDEX_NAME_BYTES = 255;
const HASH_HEX = 12;
/** "-h" and the hash. */
const HASH_PART_BYTES = 2 + HASH_HEX;
/** Shortest tenant part a template must leave room for: one character and the hash. */
const MIN_TENANT_BYTES = 1 + HASH_PART_BYTES;

const SAFE_TENANT = /^[a-z0-9][a-z0-9._-]*$/;
const HASHED_TAIL = /-h[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\\/*?"<>| ,#:\u0000-\u001f\u007f]/;

/** A parsed `index` template: the literal text around the (optional, single) `{tenant}`. */
export interface IndexTemplate {
  readonly prefix: string;
  readonly suffix: string;
  readonly perTenant: boolean;
  /** Bytes the tenant part may take. */
  readonly tenantBudget: number;
}

/** Why `name` is not a valid index name, or undefined when it is. */
export function indexNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (name !== name.toLowerCase()) return 'must be lowercase';
  const bad = FORBIDDEN.exec(name);
  if (bad) return `must not contain ${JSON.stringify(bad[0])}`;
  if (/^[-_+.]/.test(name)) return 'must not start with "-", "_", "+" or "."';
  if (Buffer.byteLength(name) > MAX_INDEX_NAME_BYTES) return `must be at most ${MAX_INDEX_NAME_BYTES} bytes`;
  return undefined;
}

/** Parses and checks an `index` template; a string is what is wrong with it. */
export function parseIndexTemplate(template: string): IndexTemplate | string {
  const at = template.indexOf(TENANT_PLACEHOLDER);
  if (at !== -1 && template.indexOf(TENANT_PLACEHOLDER, at + 1) !== -1) {
    return `may contain ${TENANT_PLACEHOLDER} at most once`;
  }
  const prefix = at === -1 ? template : template.slice(0, at);
  const suffix = at === -1 ? '' : template.slice(at + TENANT_PLACEHOLDER.length);
  if (/[{}]/.test(prefix + suffix)) return `knows no placeholder but ${TENANT_PLACEHOLDER}`;
  if (at === -1) {
    const problem = indexNameProblem(template);
    return problem === undefined
      ? { prefix, suffix, perTenant: false, tenantBudget: 0 }
      : `is not a valid index name: ${problem}`;
  }
  const literal = prefix + suffix;
  const tenantBudget = MAX_INDEX_NAME_BYTES - Buffer.byteLength(literal);
  if (tenantBudget < MIN_TENANT_BYTES) {
    return `leaves too little room for the tenant (at most ${MAX_INDEX_NAME_BYTES - MIN_TENANT_BYTES} bytes around ${TENANT_PLACEHOLDER})`;
  }
  // Checked with a tenant part of the kind every real one is: starting with [a-z0-9], made of [a-z0-9._-].
  const problem = indexNameProblem(`${prefix}a${suffix}`);
  if (problem !== undefined) return `does not give valid index names: ${problem}`;
  return { prefix, suffix, perTenant: true, tenantBudget };
}

/** The short stable hash of a tenant (over UTF-16 code units, so any JS string maps exactly). */
export function tenantHash(tenant: string): string {
  return createHash('sha256').update(Buffer.from(tenant, 'utf16le')).digest('hex').slice(0, HASH_HEX);
}

/** The tenant as it appears in index names, within `budget` bytes (see the opening comment). */
export function tenantPart(tenant: string, budget: number): string {
  if (SAFE_TENANT.test(tenant) && tenant.length <= budget && !HASHED_TAIL.test(tenant)) return tenant;
  const sanitised = tenant
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/[^a-z0-9._-]/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, budget - HASH_PART_BYTES);
  return `${sanitised || 'x'}-h${tenantHash(tenant)}`;
}

/** The index a tenant's events go to. */
export function indexNameFor(template: IndexTemplate, tenant: string): string {
  if (!template.perTenant) return template.prefix;
  return `${template.prefix}${tenantPart(tenant, template.tenantBudget)}${template.suffix}`;
}
