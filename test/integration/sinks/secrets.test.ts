// Secrets stay out of everything an operator sees. A run whose every sink refuses its credentials (Splunk HEC
// with a wrong token, Cloud Logging whose token endpoint refuses the JWT; http bearer and basic, Elasticsearch
// basic and API key, Datadog's DD-API-KEY and OTLP bearer and custom headers against a server reflecting the
// credential it was sent), secrets given the way operators do (${ENV} references, a key file; the admin token,
// the buffer's encryption key): every debug log line, /metrics, /health, /ready, the admin API's answers,
// `inspect` and `dlq list` are searched for the tokens, the password, the private key and any JWT; so are the
// errors of starts with a broken key.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGcpLogging } from '../../support/fakes/gcp-logging.js';
import { startFakeHec } from '../../support/fakes/splunk-hec.js';
import { MAIN, event, eventually, httpBase, startChild, tempDir, testConfig } from '../../support/service.js';

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
const key = rsa();
const stranger = rsa(); // the public key the GCP fake trusts instead: the JWT signature is refused
const EMAIL = 'forwarder@acme-sec.iam.gserviceaccount.com';
const KEY_ID = randomBytes(20).toString('hex');
const HEC_TOKEN = randomUUID();
const BEARER = `bt-${randomBytes(24).toString('base64url')}`;
const USER = 'logdriver';
const PASSWORD = `pw-${randomBytes(16).toString('hex')}`;
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const PEM_LINES = key.privateKey.split('\n').filter((l) => l.length === 64);
const ES_PASSWORD = `es-${randomBytes(16).toString('hex')}`;
const ES_API_KEY = `esk-${randomBytes(8).toString('hex')}:${randomBytes(16).toString('hex')}`;
const DD_API_KEY = randomBytes(16).toString('hex');
const OTLP_BEARER = `ob-${randomBytes(20).toString('base64url')}`;
const OTLP_HEADER = `oh-${randomBytes(20).toString('hex')}`;
const ADMIN_TOKEN = `adm-${randomBytes(20).toString('hex')}`;
const BUFFER_KEY = randomBytes(32).toString('base64');
const TENANTS = [
  'hec',
  'gcp-json',
  'gcp-file',
  'gcp-reflect',
  'http-bearer',
  'http-basic',
  'es-basic',
  'es-apikey',
  'datadog',
  'otlp-bearer',
  'otlp-header',
] as const;

const keyDoc = (extra: Record<string, unknown> = {}) => ({
  type: 'service_account',
  project_id: 'acme-sec',
  private_key_id: KEY_ID,
  private_key: key.privateKey,
  client_email: EMAIL,
  ...extra,
});

/** Every secret of this file that appears in `text`, by name (a JWT by its shape). */
function secretsIn(text: string): string[] {
  const found: string[] = [];
  const values: [string, string][] = [
    ['HEC token', HEC_TOKEN],
    ['bearer token', BEARER],
    ['basic password', PASSWORD],
    ['basic user:password', `${USER}:${PASSWORD}`],
    ['basic base64', BASIC],
    ['elasticsearch password', ES_PASSWORD],
    ['elasticsearch basic base64', Buffer.from(`elastic:${ES_PASSWORD}`).toString('base64')],
    ['elasticsearch api key', ES_API_KEY],
    ['elasticsearch api key secret part', ES_API_KEY.split(':')[1]!],
    ['elasticsearch api key base64', Buffer.from(ES_API_KEY).toString('base64')],
    ['datadog api key', DD_API_KEY],
    ['otlp bearer', OTLP_BEARER],
    ['otlp header value', OTLP_HEADER],
    ['admin token', ADMIN_TOKEN],
    ['buffer encryption key', BUFFER_KEY],
    ['buffer encryption key (hex)', Buffer.from(BUFFER_KEY, 'base64').toString('hex')],
    ['private key id', KEY_ID],
    ...PEM_LINES.map((l, i): [string, string] => [`private key line ${i}`, l]),
  ];
  for (const [name, v] of values) if (text.includes(v)) found.push(name);
  if (/eyJ[A-Za-z0-9_-]{20,}/.test(text)) found.push('a JWT');
  return found;
}

/**
 * A hostile endpoint: 401 to everything, reflecting what it was sent: the bare credential, the whole
 * Authorization header and, for Basic, the decoded user:password (http sinks); or the JWT assertion, the whole
 * form and the unsigned header.claims part (a token endpoint).
 */
async function startReflector() {
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      // Datadog's key and an OTLP receiver's custom header come as their own headers: reflected like the rest.
      const custom = req.headers['dd-api-key'] ?? req.headers['x-api-key'];
      const auth = req.headers.authorization ?? (typeof custom === 'string' ? `Key ${custom}` : undefined);
      const form = Buffer.concat(chunks).toString('utf8');
      const assertion = new URLSearchParams(form).get('assertion') ?? '';
      const decoded = auth?.startsWith('Basic ')
        ? `; decoded ${Buffer.from(auth.slice(6), 'base64').toString('utf8')}`
        : '';
      const text = auth
        ? `unknown credential (${auth.slice(auth.indexOf(' ') + 1)}); you sent authorization=${auth}${decoded}`
        : `assertion ${assertion} refused (${form}); claims ${assertion.split('.').slice(0, 2).join('.')}`;
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': auth ?? 'Bearer' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    base: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, text: `${r.stdout}\n${r.stderr}` };
}

const gcpSink = (credentials: object, endpoint: string, tokenUri?: string) => ({
  type: 'gcp_logging',
  credentials,
  endpoint,
  ...(tokenUri ? { tokenUri } : {}),
});

function authFailures(metrics: string, sink: string): number {
  const m = new RegExp(`^logdriver_delivery_auth_failures_total\\{sink="${sink}"\\} (\\d+)`, 'm').exec(
    metrics,
  );
  return m ? Number(m[1]) : 0;
}

describe('secrets never reach logs, metrics, admin answers or CLI output', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('a run whose sinks all refuse their credentials, at debug level', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const hec = await startFakeHec({ token: randomUUID() });
    // A hostile HEC first: its refusals quote the token it was sent.
    hec.failNext(2, {
      status: 403,
      body: { text: `Invalid token Splunk ${HEC_TOKEN} (${HEC_TOKEN})`, code: 4 },
    });
    const gcpA = await startFakeGcpLogging({ publicKeyPem: stranger.publicKey, clientEmail: EMAIL });
    const gcpB = await startFakeGcpLogging({ publicKeyPem: key.publicKey, clientEmail: `x${EMAIL}` });
    const echo = await startReflector();
    for (const f of [hec, gcpA, gcpB, echo]) cleanups.push(() => f.close());
    const keyFile = join(dir.path, 'sa-key.json');
    writeFileSync(keyFile, JSON.stringify(keyDoc()));

    const raw = testConfig(join(dir.path, 'data'), {
      log: { level: 'debug' }, // startChild forces info in the file; LOGDRIVER_LOG_LEVEL below wins over it
      tenants: {
        hec: { sink: { type: 'splunk_hec', url: hec.url, token: '${HEC_TOKEN}' } },
        'gcp-json': { sink: gcpSink({ keyJson: '${GCP_KEY_JSON}' }, gcpA.apiBase) },
        'gcp-file': { sink: gcpSink({ keyFile }, gcpB.apiBase, gcpB.tokenUri) },
        'gcp-reflect': { sink: gcpSink({ keyJson: '${GCP_KEY_JSON}' }, gcpA.apiBase, echo.url) },
        'http-bearer': { sink: { type: 'http', url: echo.url, auth: { bearer: '${SINK_BEARER}' } } },
        'http-basic': {
          sink: {
            type: 'http',
            url: echo.url,
            auth: { basic: { username: USER, password: '${SINK_PASSWORD}' } },
          },
        },
        'es-basic': {
          sink: {
            type: 'elasticsearch',
            url: echo.base,
            auth: { basic: { username: 'elastic', password: '${ES_PASSWORD}' } },
          },
        },
        'es-apikey': { sink: { type: 'elasticsearch', url: echo.base, auth: { apiKey: '${ES_API_KEY}' } } },
        datadog: { sink: { type: 'datadog', url: echo.base, apiKey: '${DD_API_KEY}' } },
        'otlp-bearer': { sink: { type: 'otlp', url: echo.base, bearer: '${OTLP_BEARER}' } },
        'otlp-header': { sink: { type: 'otlp', url: echo.base, headers: { 'X-Api-Key': '${OTLP_HEADER}' } } },
      },
    });
    // The admin API behind a token, and the buffer encrypted with a key given as ${ENV}: neither may show.
    Object.assign(raw, {
      admin: { ...(raw.admin as object), token: '${ADMIN_TOKEN}' },
      buffer: { ...(raw.buffer as object), encryption: { keys: [{ id: 'k1', key: '${BUFFER_KEY}' }] } },
    });
    const env = {
      ADMIN_TOKEN,
      BUFFER_KEY,
      ES_PASSWORD,
      ES_API_KEY,
      DD_API_KEY,
      OTLP_BEARER,
      OTLP_HEADER,
      LOGDRIVER_LOG_LEVEL: 'debug',
      HEC_TOKEN,
      GCP_KEY_JSON: JSON.stringify(keyDoc({ token_uri: gcpA.tokenUri })),
      SINK_BEARER: BEARER,
      SINK_PASSWORD: PASSWORD,
    };
    const child = await startChild(raw, dir.path, env);
    const closed = new Promise((resolve) => child.proc.once('close', resolve));
    cleanups.push(() => void child.proc.kill('SIGKILL'));
    const admin = `http://127.0.0.1:${child.endpoints.admin!.port}`;
    const get = async (path: string) =>
      (await fetch(admin + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();

    const body = TENANTS.flatMap((t) => [0, 1, 2].map((n) => event(t, n))).join('\n');
    const res = await fetch(`${httpBase(child.endpoints)}/v1/events`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: TENANTS.length * 3 });

    const refused = (t: string) =>
      child.stderr.some((l) => l.includes('sink refused the credentials') && l.includes(`"tenant":"${t}"`));
    let metrics = '';
    await eventually('every sink tried several times, every tenant refused', async () => {
      metrics = await get('/metrics');
      return (
        authFailures(metrics, 'splunk_hec') >= 4 &&
        authFailures(metrics, 'gcp_logging') >= 12 &&
        authFailures(metrics, 'http') >= 8 &&
        authFailures(metrics, 'elasticsearch') >= 4 &&
        authFailures(metrics, 'datadog') >= 2 &&
        authFailures(metrics, 'otlp') >= 4 &&
        TENANTS.every(refused)
      );
    });
    expect(gcpA.tokenRequests).toBeGreaterThanOrEqual(3);
    expect(gcpB.tokenRequests).toBeGreaterThanOrEqual(3);
    expect(gcpA.writeRequests + gcpB.writeRequests).toBe(0);
    expect(hec.eventRequests).toBeGreaterThanOrEqual(4);
    expect(echo.requests()).toBeGreaterThanOrEqual(12);
    expect(metrics).toMatch(/^logdriver_delivery_dead_lettered_events_total 0$/m);
    const admin200 = [await get('/health'), await get('/ready')];
    const api = {
      status: await get('/v1/status'),
      tenants: await get('/v1/tenants?limit=100'),
      deadLetters: await get('/v1/dead-letters'),
    };
    expect(JSON.parse(api.tenants)).toMatchObject({ total: TENANTS.length }); // answered, with the token

    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    await closed; // every stderr line read
    const logs = child.stderr.join('\n');
    // Not vacuous: the logs name each tenant's failure and its cause.
    for (const t of TENANTS) expect(refused(t), t).toBe(true);
    expect(logs).toMatch(/"tenant":"hec"[^\n]*HTTP 403[^\n]*Invalid token/);
    expect(logs).toMatch(/"tenant":"gcp-json"[^\n]*token endpoint answered HTTP 400[^\n]*Signature/);
    expect(logs).toMatch(/"tenant":"gcp-file"[^\n]*token endpoint answered HTTP 400[^\n]*iss/);
    expect(logs).toMatch(
      /"tenant":"gcp-reflect"[^\n]*token endpoint answered HTTP 401: assertion \[redacted\]/,
    );
    // The reflected credentials reached the reasons, scrubbed.
    for (const t of [
      'http-bearer',
      'http-basic',
      'es-basic',
      'es-apikey',
      'datadog',
      'otlp-bearer',
      'otlp-header',
    ])
      expect(logs).toMatch(
        new RegExp(`"tenant":"${t}"[^\\n]*HTTP 401[^\\n]*credential \\(\\[redacted\\]\\)`),
      );
    expect(logs).toMatch(/"tenant":"hec"[^\n]*Invalid token Splunk \[redacted\]/);
    expect(logs).toMatch(/sink failed to start/);

    const cliConfig = join(dir.path, 'cli-config.json');
    writeFileSync(cliConfig, JSON.stringify(raw));
    const data = join(dir.path, 'data');
    // An encrypted buffer is read with its keys, i.e. with the config.
    const runs = [
      cli(['inspect', '--config', cliConfig, '--data-dir', data, '--json'], env),
      cli(['dlq', 'list', '--config', cliConfig, '--data-dir', data], env),
      cli(['inspect', '--config', cliConfig], env),
      cli(['dlq', 'list', '--config', cliConfig], env),
    ];
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(runs[0]!.stdout)).toMatchObject({ events: TENANTS.length * 3, deadLetters: 0 });
    expect(runs[1]!.stdout.trim()).toBe('');
    expect(runs[2]!.stdout).toContain('http-basic'); // the table, config read with its secrets

    const seen = { logs, metrics, health: admin200[0]!, ready: admin200[1]!, ...api };
    runs.forEach((r, i) => Object.assign(seen, { [`cli ${i}`]: r.text }));
    for (const [where, text] of Object.entries(seen)) expect(secretsIn(text), where).toEqual([]);
  });

  it('a start refused for a broken service account key names the problem, never the key', () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const pem = key.privateKey;
    const badFile = join(dir.path, 'truncated-key.json');
    // Valid JSON whose private_key is cut in half (still "-----BEGIN…", its first lines intact).
    writeFileSync(badFile, JSON.stringify(keyDoc({ private_key: pem.slice(0, pem.length / 2) })));
    const variants = [
      { credentials: { keyFile: badFile }, env: {} },
      // The key JSON cut in the middle of the private key: not JSON at all (parser messages may quote input).
      {
        credentials: { keyJson: '${GCP_KEY_JSON}' },
        env: { GCP_KEY_JSON: JSON.stringify(keyDoc()).slice(0, 900) },
      },
      {
        credentials: { keyJson: '${GCP_KEY_JSON}' },
        env: { GCP_KEY_JSON: JSON.stringify(keyDoc({ private_key: pem.slice(0, pem.length / 2) })) },
      },
    ];
    for (const [i, v] of variants.entries()) {
      const file = join(dir.path, `bad-${i}.json`);
      const sink = gcpSink(v.credentials, 'http://127.0.0.1:9');
      writeFileSync(
        file,
        JSON.stringify(testConfig(join(dir.path, 'data'), { tenants: { acme: { sink } } })),
      );
      const r = cli(['run', '--config', file], { ...v.env, LOGDRIVER_LOG_LEVEL: 'debug' });
      expect(r.status, r.text).toBe(2);
      expect(r.stderr).toMatch(/invalid configuration: tenants\.acme\.sink: gcp_logging service account key/);
      expect(r.stderr).toMatch(i === 1 ? /not valid JSON/ : /private_key is not an RSA private key/);
      expect(r.stderr).toContain('"msg":"start failure details"'); // debug level: the error and its causes
      expect(secretsIn(r.text), `variant ${i}`).toEqual([]);
    }
  });
});
