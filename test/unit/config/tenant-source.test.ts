// tenantSource keys: defaults, the refresh interval's default with a broker, and the refused URL forms.
import { describe, expect, it } from 'vitest';
import { BROKER_REFRESH_DEFAULT_MS, loadConfig, resolveConfig } from '../../../src/config/index.js';

describe('tenantSource', () => {
  it('is off by default and the refresh interval stays 0 (the file is not polled)', () => {
    const c = loadConfig({ env: {} });
    expect(c.tenantSource.url).toBeUndefined();
    expect(c.tenantSource.timeoutMs).toBe(10_000);
    expect(c.tenantSource.maxBytes).toBe(16 * 1024 * 1024);
    expect(c.configRefreshIntervalMs).toBe(0);
  });

  it('makes the refresh interval default to 600 s when a broker is set, and keeps an explicit value', () => {
    const url = 'https://broker.example/v1/tenants';
    expect(BROKER_REFRESH_DEFAULT_MS).toBe(600_000);
    expect(loadConfig({ env: { LOGDRIVER_TENANT_SOURCE_URL: url } }).configRefreshIntervalMs).toBe(600_000);
    expect(
      resolveConfig({ tenantSource: { url }, configRefreshIntervalMs: 0 }, {}).config.configRefreshIntervalMs,
    ).toBe(0);
    expect(
      loadConfig({ env: { LOGDRIVER_TENANT_SOURCE_URL: url, LOGDRIVER_CONFIG_REFRESH_INTERVAL: '5000' } })
        .configRefreshIntervalMs,
    ).toBe(5000);
  });

  it('takes plain http only for a broker on loopback', () => {
    for (const url of ['http://broker.example/tenants', 'http://10.0.0.5:8080/t', 'http://127.0.0.1.evil/x'])
      expect(() => resolveConfig({ tenantSource: { url } }, {}), url).toThrow(
        /tenantSource\.url: must be https \(plain http only for a broker on loopback\)/,
      );
    for (const url of [
      'https://broker.example/t',
      'http://127.0.0.1:8080/t',
      'http://localhost/t',
      'http://[::1]:9/t',
    ])
      expect(resolveConfig({ tenantSource: { url } }, {}).config.tenantSource.url, url).toBe(url);
  });

  it('refuses a URL that is not http(s) or carries credentials, without quoting it', () => {
    for (const url of ['ftp://broker.example/x', 'https://user:pw-secret@broker.example/x', 'not a url']) {
      expect(() => resolveConfig({ tenantSource: { url } }, {})).toThrow(/tenantSource\.url/);
      try {
        resolveConfig({ tenantSource: { url } }, {});
      } catch (err) {
        expect((err as Error).message).not.toContain('pw-secret');
      }
    }
  });
});
