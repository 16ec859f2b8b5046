// Public surface of the tenant sources: the config file, the configuration broker, its document and cache.
export { BrokerSource, type BrokerFetch, type CacheLoad } from './broker.js';
export { readCache, writeCache, type CachedAnswer, type CacheRead } from './cache.js';
export {
  isYaml,
  mergeRouting,
  parseTenantDocument,
  type ParsedDocument,
  type TenantDocument,
} from './document.js';
export { FileSource, type FileRead } from './file.js';
export { TenantSourceMetrics, type SourceName } from './metrics.js';
