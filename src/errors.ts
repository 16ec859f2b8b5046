// Typed errors with stable codes: callers classify by `code`, never by message text.

export const ErrorCodes = {
  CONFIG_INVALID: 'LOGDRIVER_ERR_CONFIG_INVALID',
  CONFIG_SECRET_MISSING: 'LOGDRIVER_ERR_CONFIG_SECRET_MISSING',
  CONFIG_READ: 'LOGDRIVER_ERR_CONFIG_READ',
  EVENT_INVALID: 'LOGDRIVER_ERR_EVENT_INVALID',
  EVENT_TOO_LARGE: 'LOGDRIVER_ERR_EVENT_TOO_LARGE',
  BUFFER_FULL: 'LOGDRIVER_ERR_BUFFER_FULL',
  BUFFER_CLOSED: 'LOGDRIVER_ERR_BUFFER_CLOSED',
  BUFFER_SCHEMA: 'LOGDRIVER_ERR_BUFFER_SCHEMA',
  BUFFER_COMMIT: 'LOGDRIVER_ERR_BUFFER_COMMIT',
  BUFFER_DISK_FULL: 'LOGDRIVER_ERR_BUFFER_DISK_FULL',
  BUFFER_LOCKED: 'LOGDRIVER_ERR_BUFFER_LOCKED',
  /** buffer.encryption: a key that cannot be read, does not match its key check, or is missing. */
  BUFFER_KEY: 'LOGDRIVER_ERR_BUFFER_KEY',
  /** An encrypted record that does not authenticate (tampered, moved to another row, wrong key). */
  BUFFER_RECORD_AUTH: 'LOGDRIVER_ERR_BUFFER_RECORD_AUTH',
  SINK_CONFIG: 'LOGDRIVER_ERR_SINK_CONFIG',
  SINK_AUTH: 'LOGDRIVER_ERR_SINK_AUTH',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class LogdriverError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogdriverError';
    this.code = code;
  }
}

export function isLogdriverError(err: unknown, code?: ErrorCode): err is LogdriverError {
  return err instanceof LogdriverError && (code === undefined || err.code === code);
}
