// The syslog sink's config: defaults, what the schema refuses, what building the sink refuses, the example.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, sinkSchema } from '../../../../src/config/index.js';
import { ErrorCodes, isLogdriverError } from '../../../../src/errors.js';
import { createSink } from '../../../../src/sinks/catalog.js';
import {
  SyslogSink,
  resolveSyslogSettings,
  type SyslogSinkConfig,
} from '../../../../src/sinks/syslog/index.js';

const parse = (raw: Record<string, unknown>): SyslogSinkConfig =>
  sinkSchema.parse({ type: 'syslog', host: '127.0.0.1', ...raw }) as SyslogSinkConfig;

function buildError(cfg: SyslogSinkConfig): unknown {
  try {
    resolveSyslogSettings(cfg);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('syslog sink config', () => {
  it('defaults: TLS on 6514 with verification, authpriv, close-confirmed, 8000-byte messages', () => {
    const s = resolveSyslogSettings(parse({}));
    expect(s.port).toBe(6514);
    expect(s.confirm).toBe('close');
    expect(s.tls).toBeDefined();
    expect(s.tls).not.toHaveProperty('rejectUnauthorized');
    expect(s.encode).toMatchObject({
      facility: 'authpriv',
      appName: 'logdriver',
      bom: true,
      defaultSeverity: 'info',
    });
    expect(s.encode.hostname).toMatch(/^[\x21-\x7e]{1,255}$/);
    expect(s.maxMessageBytes).toBe(8000);
    expect(s.limits.maxEventBytes).toBe(8000);
    expect(s.target).toBe('tls://127.0.0.1:6514');
  });

  it('plain TCP defaults to port 514 and has no TLS options', () => {
    const s = resolveSyslogSettings(parse({ transport: 'tcp' }));
    expect(s.port).toBe(514);
    expect(s.tls).toBeUndefined();
  });

  it.each([
    [{ appName: 'has space' }, 'appName'],
    [{ appName: 'x'.repeat(49) }, 'appName'],
    [{ hostname: 'hôte' }, 'hostname'],
    [{ facility: 'local8' }, 'facility'],
    [{ transport: 'udp' }, 'transport'],
    [{ port: 70000 }, 'port'],
    [{ maxMessageBytes: 100 }, 'maxMessageBytes'],
    [{ tls: { rejectUnauthorized: false } }, 'tls'],
    [{ tls: { certFile: '/c.pem' } }, 'tls'],
    [{ severity: { default: 'loud' } }, 'severity'],
  ])('refuses %j', (raw, key) => {
    const r = sinkSchema.safeParse({ type: 'syslog', host: 'h', ...raw });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe(key);
  });

  it('refuses tls settings with transport tcp, and unreadable PEM files, with SINK_CONFIG', () => {
    expect(
      isLogdriverError(
        buildError(parse({ transport: 'tcp', tls: { caFile: '/x' } })),
        ErrorCodes.SINK_CONFIG,
      ),
    ).toBe(true);
    const err = buildError(parse({ tls: { caFile: '/nonexistent/ca.pem' } }));
    expect(isLogdriverError(err, ErrorCodes.SINK_CONFIG)).toBe(true);
    expect((err as Error).message).toContain('tls.caFile');
  });

  it('is built by the catalog', async () => {
    const sink = createSink(parse({ transport: 'tcp', port: 9 }));
    expect(sink).toBeInstanceOf(SyslogSink);
    expect(JSON.stringify(sink)).toBe('{"type":"syslog","target":"tcp://127.0.0.1:9"}');
    await sink.close();
  });
});

describe('examples/syslog.yaml', () => {
  it('loads, and spells out the default of every key it sets', () => {
    const c = loadConfig({ file: join(import.meta.dirname, '../../../../examples/syslog.yaml'), env: {} });
    const sink = c.tenants.acme!.sink;
    if (sink.type !== 'syslog') throw new Error('the example tenant must use syslog');
    const minimal = sinkSchema.parse({ type: 'syslog', host: sink.host });
    expect(sink).toEqual(minimal);
  });
});
