// Public surface of the Elasticsearch / OpenSearch `_bulk` sink, and its descriptor.
// Reference: https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk
import { defineSink } from '../descriptor.js';
import { MAX_CONTENT_LENGTH, MAX_EVENTS_LIMIT, elasticsearchSinkSchema } from './config.js';
import { ElasticsearchSink } from './sink.js';

export const elasticsearchSink = defineSink({
  type: 'elasticsearch',
  schema: elasticsearchSinkSchema,
  // The ceiling a config may set (http.max_content_length's default; our bound on items per request); each
  // sink's own limits are its config's, 5 MiB and 1000 events by default.
  limits: {
    maxRequestBytes: MAX_CONTENT_LENGTH,
    maxEvents: MAX_EVENTS_LIMIT,
    maxEventBytes: MAX_CONTENT_LENGTH,
  },
  create: (config) => new ElasticsearchSink(config),
});

export { ElasticsearchSink } from './sink.js';
export {
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_REQUEST_BYTES,
  MAX_CONTENT_LENGTH,
  MAX_EVENTS_LIMIT,
  elasticsearchSinkSchema,
  resolveElasticsearchSettings,
  type ElasticsearchSettings,
  type ElasticsearchSinkConfig,
} from './config.js';
export { BULK_FRAMING, actionLine, documentLine, encodeBulkItem, isoOf } from './encode.js';
export { classifyBulkResponse, type BulkClassifyOptions } from './classify.js';
export {
  DEFAULT_INDEX_TEMPLATE,
  MAX_INDEX_NAME_BYTES,
  TENANT_PLACEHOLDER,
  indexNameFor,
  indexNameProblem,
  parseIndexTemplate,
  tenantHash,
  tenantPart,
  type IndexTemplate,
} from './index-name.js';
