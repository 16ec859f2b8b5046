// How connection failures become outcomes: classified by error code, never by message text.
import { describe, expect, it } from 'vitest';
import { classifyConnectionError, outcomeOfFailure } from '../../../../src/sinks/syslog/index.js';

const err = (code: string): Error => Object.assign(new Error(`failed: ${code}`), { code });

describe('syslog failure classification', () => {
  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
  ])('%s: we refused the server certificate => retry, misconfigured', (code) => {
    const o = outcomeOfFailure(classifyConnectionError(err(code)), 'tls://h:6514');
    expect(o).toMatchObject({ kind: 'retry', misconfigured: true });
  });

  it.each([
    'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  ])('%s: the server refused our certificate => auth_failed', (code) => {
    expect(outcomeOfFailure(classifyConnectionError(err(code)), 't').kind).toBe('auth_failed');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('%s => plain retry', (code) => {
    const o = outcomeOfFailure(classifyConnectionError(err(code)), 't');
    expect(o).toEqual({ kind: 'retry', reason: `t: failed: ${code}` });
  });

  it('a message that merely mentions a certificate is not classified by its text', () => {
    expect(classifyConnectionError(new Error('CERT_HAS_EXPIRED bad certificate')).kind).toBe('network');
  });

  it('back-off carries its wait as retryAfterMs', () => {
    expect(outcomeOfFailure({ kind: 'backoff', reason: 'reconnecting: x', retryAfterMs: 120 }, 't')).toEqual({
      kind: 'retry',
      reason: 't: reconnecting: x',
      retryAfterMs: 120,
    });
  });
});
