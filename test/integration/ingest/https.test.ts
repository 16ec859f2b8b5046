// HTTPS ingest over real TLS on loopback: events accepted with the server verified against a test CA, a client
// trusting another CA refused, client certificates required when clientCaFile is set, unusable files refused
// at start with their name, and rotated files served without a restart (a broken rotation keeps the old ones).
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import type { IncomingEvent } from '../../../src/buffer/types.js';
import { createHttpIngest, type HttpIngest } from '../../../src/ingest/http.js';
import type { ListenerTlsConfig } from '../../../src/tls/index.js';
import { silentLogger, type Logger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { issueCert, makeCa, type Pem } from '../../support/certs.js';
import { eventually, tempDir } from '../../support/service.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function certDir(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

function agent(ca: Pem, client?: Pem): Agent {
  const a = new Agent({
    connect: { ca: ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) },
  });
  cleanups.push(() => a.close());
  return a;
}

async function start(tls: ListenerTlsConfig, log: Logger = silentLogger()) {
  const appended: IncomingEvent[] = [];
  const ingest: HttpIngest = createHttpIngest({
    listen: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    maxEventBytes: 64 * 1024,
    tls,
    buffer: {
      append: (events: readonly IncomingEvent[]) => {
        appended.push(...events);
        return Promise.resolve();
      },
      admission: () => 'open',
    },
    telemetry: new Telemetry(silentLogger(), { defaultMetrics: false }),
    log,
  });
  cleanups.push(() => ingest.close());
  const { port } = await ingest.start();
  return { ingest, port, url: `https://127.0.0.1:${port}/v1/events`, appended };
}

const body = (tenant: string, n: number): string =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ tenantId: tenant, i })).join('\n');

/** The serial number of the certificate the server presents now. */
function servedSerial(port: number, ca: Pem): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.cert }, () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      socket.end();
      resolve(cert.serialNumber);
    });
    socket.once('error', reject);
  });
}

const serialOf = async (pem: Pem): Promise<string> => {
  const { X509Certificate } = await import('node:crypto');
  return new X509Certificate(pem.cert).serialNumber;
};

describe('HTTPS ingest', () => {
  it('accepts events from a client that verifies the server against its CA', async () => {
    const dir = certDir();
    const ca = makeCa(dir);
    const server = issueCert(dir, ca, 'ingest');
    const { url, appended } = await start({ certFile: server.certFile, keyFile: server.keyFile });
    const res = await request(url, {
      method: 'POST',
      body: body('acme', 3),
      headers: { 'content-type': 'application/x-ndjson' },
      dispatcher: agent(ca),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(appended.map((e) => e.tenant)).toEqual(['acme', 'acme', 'acme']);
  });

  it('is refused by a client trusting another CA, and does not answer plain HTTP', async () => {
    const dir = certDir();
    const ca = makeCa(dir);
    const other = makeCa(dir, 'other-ca');
    const server = issueCert(dir, ca, 'ingest');
    const { url, port, appended } = await start({ certFile: server.certFile, keyFile: server.keyFile });
    await expect(
      request(url, { method: 'POST', body: body('acme', 1), dispatcher: agent(other) }),
    ).rejects.toThrow(/certificate/i);
    const plain = request(`http://127.0.0.1:${port}/v1/events`, { method: 'POST', body: body('acme', 1) });
    await expect(plain.then((r) => r.statusCode)).rejects.toThrow();
    expect(appended).toHaveLength(0);
  });

  it('with clientCaFile, takes only clients presenting a certificate that CA signed', async () => {
    const dir = certDir();
    const ca = makeCa(dir);
    const clientCa = makeCa(dir, 'client-ca');
    const strangerCa = makeCa(dir, 'stranger-ca');
    const server = issueCert(dir, ca, 'ingest');
    const client = issueCert(dir, clientCa, 'producer', 'client');
    const stranger = issueCert(dir, strangerCa, 'stranger', 'client');
    const { url, appended } = await start({
      certFile: server.certFile,
      keyFile: server.keyFile,
      clientCaFile: clientCa.certFile,
    });
    const post = (a: Agent) => request(url, { method: 'POST', body: body('acme', 1), dispatcher: a });

    await expect(post(agent(ca))).rejects.toThrow();
    await expect(post(agent(ca, stranger))).rejects.toThrow();
    expect(appended).toHaveLength(0);

    const res = await post(agent(ca, client));
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(appended).toHaveLength(1);
  });

  it('refuses to start on a missing or unusable file, naming it', async () => {
    const dir = certDir();
    const ca = makeCa(dir);
    const server = issueCert(dir, ca, 'ingest');
    const missing = join(dir, 'nope.crt');
    await expect(start({ certFile: missing, keyFile: server.keyFile })).rejects.toThrow(
      `ingest.http: tls.certFile ${missing} cannot be read (ENOENT)`,
    );
    const other = issueCert(dir, ca, 'other');
    await expect(start({ certFile: server.certFile, keyFile: other.keyFile })).rejects.toThrow(
      /ingest\.http: the TLS certificate, key or client CA is unusable/,
    );
  });

  it('serves rotated files without a restart, and keeps the old ones when the new ones are broken', async () => {
    const dir = certDir();
    const ca = makeCa(dir);
    const first = issueCert(dir, ca, 'first');
    const served = { certFile: join(dir, 'served.crt'), keyFile: join(dir, 'served.key') };
    copyFileSync(first.certFile, served.certFile);
    copyFileSync(first.keyFile, served.keyFile);
    const warnings: string[] = [];
    const log = silentLogger();
    const spy = Object.assign(Object.create(log) as Logger, {
      warn: (_obj: unknown, msg: string) => void warnings.push(msg),
    });
    const { port, ingest } = await start(served, spy);
    expect(await servedSerial(port, ca)).toBe(await serialOf(first));

    // A rotation the way tools do it: new files written aside, then renamed over the served ones.
    const second = issueCert(dir, ca, 'second');
    copyFileSync(second.keyFile, `${served.keyFile}.new`);
    copyFileSync(second.certFile, `${served.certFile}.new`);
    renameSync(`${served.keyFile}.new`, served.keyFile);
    renameSync(`${served.certFile}.new`, served.certFile);
    expect(ingest.reloadTls()).toBe(true); // what SIGHUP does; the file watcher would do it within seconds
    expect(await servedSerial(port, ca)).toBe(await serialOf(second));

    // A half-written certificate: refused with a warning, the second certificate stays in use.
    writeFileSync(served.certFile, second.cert.slice(0, 100));
    expect(ingest.reloadTls()).toBe(false);
    expect(warnings.some((w) => /cannot be used; the previous certificate stays in use/.test(w))).toBe(true);
    expect(await servedSerial(port, ca)).toBe(await serialOf(second));

    // The file watcher picks up a repaired file by itself.
    const third = issueCert(dir, ca, 'third');
    copyFileSync(third.keyFile, served.keyFile);
    copyFileSync(third.certFile, served.certFile);
    const thirdSerial = await serialOf(third);
    await eventually(
      'the watcher serves the repaired files',
      async () => (await servedSerial(port, ca)) === thirdSerial,
    );
  });
});
