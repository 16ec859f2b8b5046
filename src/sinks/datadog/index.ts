// Public surface of the Datadog logs sink, and its descriptor.
import { defineSink } from '../descriptor.js';
import { DATADOG_LIMITS, datadogSinkSchema } from './config.js';
import { DatadogSink } from './sink.js';

export const datadogSink = defineSink({
  type: 'datadog',
  schema: datadogSinkSchema,
  limits: DATADOG_LIMITS,
  create: (config) => new DatadogSink(config),
});

export { DatadogSink, MAX_ISOLATION_REQUESTS } from './sink.js';
export {
  DATADOG_LIMITS,
  DATADOG_SITES,
  datadogSinkSchema,
  intakeUrlOf,
  resolveDatadogSettings,
  type DatadogSettings,
  type DatadogSinkConfig,
  type DatadogSite,
} from './config.js';
export {
  DATADOG_FRAMING,
  MAX_TAG_CHARS,
  encodeDatadogEntry,
  entryMetaOf,
  sanitizeTag,
  tenantTag,
  type DatadogEncodeOptions,
  type DatadogEntryOptions,
} from './encode.js';
export { classifyDatadogResponse, datadogReason, type DatadogClassifyOptions } from './classify.js';
