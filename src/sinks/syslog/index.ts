// Public surface of the syslog sink (RFC 5424 over TCP or TLS), and its descriptor.
import { defineSink } from '../descriptor.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  SYSLOG_MAX_EVENTS,
  SYSLOG_MAX_REQUEST_BYTES,
  syslogSinkSchema,
} from './config.js';
import { SyslogSink } from './sink.js';

export const syslogSink = defineSink({
  type: 'syslog',
  schema: syslogSinkSchema,
  limits: {
    maxRequestBytes: SYSLOG_MAX_REQUEST_BYTES,
    maxEvents: SYSLOG_MAX_EVENTS,
    maxEventBytes: DEFAULT_MAX_MESSAGE_BYTES,
  },
  create: (config) => new SyslogSink(config),
});

export { SyslogSink, outcomeOfFailure } from './sink.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_TCP_PORT,
  DEFAULT_TLS_PORT,
  resolveSyslogSettings,
  syslogSinkSchema,
  type SyslogSettings,
  type SyslogSinkConfig,
} from './config.js';
export {
  DEFAULT_SYSLOG_SEVERITY_RULES,
  FACILITIES,
  SD_ID,
  SEVERITIES,
  encodeSyslogMessage,
  escapeParamValue,
  frameMessage,
  headerField,
  type Facility,
  type Severity,
  type SyslogEncodeOptions,
} from './encode.js';
export {
  SyslogConnection,
  classifyConnectionError,
  type SendFailure,
  type SendResult,
} from './connection.js';
