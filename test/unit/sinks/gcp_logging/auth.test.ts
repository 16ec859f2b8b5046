// Tests for service-account OAuth: key parsing and redaction, the RS256 assertion, the caching token source.
import { generateKeyPairSync, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  LOGGING_WRITE_SCOPE,
  SINK_AUTH_ERROR_CODE,
  ServiceAccountTokenSource,
  parseServiceAccountKey,
  signJwtAssertion,
  type TokenPost,
} from '../../../../src/sinks/gcp_logging/auth.js';
import type { HttpResponseInfo } from '../../../../src/sinks/transport/response.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const KEY_BODY = privateKey.split('\n')[1]!; // a line of the key's base64, to look for in outputs

const keyJson = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'acme-sec',
    private_key_id: 'kid-1',
    private_key: privateKey,
    client_email: 'logdriver@acme-sec.iam.gserviceaccount.com',
    token_uri: 'https://oauth2.googleapis.com/token',
    ...over,
  });

const key = parseServiceAccountKey(keyJson());

function decode(jwt: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  ok: boolean;
} {
  const [h, c, s] = jwt.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
    ok: verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, 'base64url')),
  };
}

const json = (status: number, body: unknown): HttpResponseInfo => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(body)),
});

/** A scripted token endpoint: counts calls, answers from `answer`, optionally after a gate opens. */
function endpoint(
  answer: (n: number, form: URLSearchParams) => HttpResponseInfo | Error,
  gate?: Promise<void>,
) {
  const calls: URLSearchParams[] = [];
  const post: TokenPost = async (_url, form) => {
    const params = new URLSearchParams(form);
    calls.push(params);
    if (gate) await gate;
    const a = answer(calls.length, params);
    if (a instanceof Error) throw a;
    return a;
  };
  return { post, calls };
}

const ok = (n: number): HttpResponseInfo =>
  json(200, { access_token: `tok-${n}`, expires_in: 3600, token_type: 'Bearer' });
const signal = new AbortController().signal;

describe('service account key', () => {
  it('parses the console key file and never prints the private key', () => {
    expect(key).toMatchObject({
      clientEmail: 'logdriver@acme-sec.iam.gserviceaccount.com',
      privateKeyId: 'kid-1',
      projectId: 'acme-sec',
    });
    expect(key.privateKey).toBe(privateKey);
    for (const out of [
      inspect(key),
      inspect(key, { showHidden: true, depth: 5 }),
      JSON.stringify(key),
      JSON.stringify({ key }),
    ]) {
      expect(out).not.toContain(KEY_BODY);
      expect(out).not.toContain('BEGIN PRIVATE KEY');
    }
    expect(Object.keys(key)).not.toContain('privateKey');
    expect(parseServiceAccountKey(keyJson({ token_uri: undefined })).tokenUri).toBe(
      'https://oauth2.googleapis.com/token',
    );
  });

  it.each([
    ['not JSON', `{"private_key": ${JSON.stringify(privateKey)}`],
    ['wrong type', keyJson({ type: 'authorized_user' })],
    ['missing email', keyJson({ client_email: undefined })],
    ['bad token_uri', keyJson({ token_uri: 'ftp://x' })],
    [
      'key not PEM',
      keyJson({ private_key: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' }),
    ],
    ['truncated key', keyJson({ private_key: privateKey.slice(0, 400) })],
  ])('%s: SINK_CONFIG error naming fields, never values', (_name, text) => {
    let err: unknown;
    try {
      parseServiceAccountKey(text);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'LOGDRIVER_ERR_SINK_CONFIG' });
    const all = `${(err as Error).message} ${inspect(err)} ${String((err as Error).cause)}`;
    expect(all).not.toContain(KEY_BODY);
    expect(all).not.toContain('acme-sec.iam');
  });
});

describe('JWT assertion', () => {
  it('is RS256 with kid, iss, scope, aud = token_uri, iat and exp ≤ 1 h', () => {
    const jwt = signJwtAssertion(key, {
      scope: LOGGING_WRITE_SCOPE,
      nowMs: 1_764_000_000_999,
      lifetimeS: 99_999,
    });
    const { header, claims, ok: valid } = decode(jwt);
    expect(valid).toBe(true);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    expect(claims).toEqual({
      iss: key.clientEmail,
      scope: LOGGING_WRITE_SCOPE,
      aud: key.tokenUri,
      iat: 1_764_000_000,
      exp: 1_764_003_600,
    });
    expect(
      decode(signJwtAssertion(key, { scope: 's', audience: 'https://x', nowMs: 0, lifetimeS: 60 })).claims,
    ).toMatchObject({ aud: 'https://x', exp: 60 });
  });
});

describe('token source', () => {
  it('posts the JWT bearer grant and caches the token until the refresh margin', async () => {
    let now = 1_000_000;
    const ep = endpoint(ok);
    const src = new ServiceAccountTokenSource(key, { post: ep.post, now: () => now });
    expect(await src.token(signal)).toBe('tok-1');
    expect(ep.calls[0]!.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(decode(ep.calls[0]!.get('assertion')!).ok).toBe(true);
    now += 54 * 60_000; // 54 min: within the 60 min lifetime minus the 5 min margin
    expect(await src.token(signal)).toBe('tok-1');
    expect(ep.calls).toHaveLength(1);
    now += 2 * 60_000; // 56 min: inside the margin, refreshed before expiry
    expect(await src.token(signal)).toBe('tok-2');
    expect(ep.calls).toHaveLength(2);
    src.invalidate('tok-1'); // stale: not the cached token, nothing happens
    expect(await src.token(signal)).toBe('tok-2');
    src.invalidate();
    expect(await src.token(signal)).toBe('tok-3');
  });

  it('clamps the margin to half a short lifetime', async () => {
    let now = 0;
    const ep = endpoint((n) => json(200, { access_token: `t${n}`, expires_in: 60, token_type: 'Bearer' }));
    const src = new ServiceAccountTokenSource(key, { post: ep.post, now: () => now });
    expect(await src.token(signal)).toBe('t1');
    now = 29_000;
    expect(await src.token(signal)).toBe('t1');
    now = 30_000;
    expect(await src.token(signal)).toBe('t2');
  });

  it('one refresh at a time: 10 concurrent callers share one request', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const ep = endpoint(ok, gate);
    const src = new ServiceAccountTokenSource(key, { post: ep.post });
    const all = Promise.all(Array.from({ length: 10 }, () => src.token(signal)));
    await new Promise((r) => setTimeout(r, 10));
    open();
    expect(await all).toEqual(Array(10).fill('tok-1'));
    expect(ep.calls).toHaveLength(1);
  });

  it('a caller that aborts leaves the shared refresh to the others', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const ep = endpoint(ok, gate);
    const src = new ServiceAccountTokenSource(key, { post: ep.post });
    const quitter = new AbortController();
    const a = src.token(quitter.signal);
    const b = src.token(signal);
    quitter.abort(new Error('timeout'));
    await expect(a).rejects.toThrow('timeout');
    open();
    expect(await b).toBe('tok-1');
  });

  it.each([
    [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, true],
    [401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }, true],
    [403, { error: 'access_denied' }, true],
    [429, { error: 'rate_limited' }, false],
    [503, '<html>unavailable</html>', false],
  ])(
    'HTTP %i from the token endpoint: authRejected %s, message without secrets',
    async (status, body, rejected) => {
      const ep = endpoint(() => json(status, typeof body === 'string' ? body : { ...body, echo: 'x' }));
      const src = new ServiceAccountTokenSource(key, { post: ep.post });
      const err = await src.token(signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: SINK_AUTH_ERROR_CODE, authRejected: rejected, status });
      const assertion = ep.calls[0]!.get('assertion')!;
      const text = `${(err as Error).message} ${inspect(err)}`;
      expect(text).not.toContain(KEY_BODY);
      expect(text).not.toContain(assertion.split('.')[2]);
    },
  );

  it('echoed assertions and transport errors are scrubbed; authRejected false for transport', async () => {
    const ep = endpoint((_n, form) =>
      json(400, { error: 'invalid_grant', error_description: `bad ${form.get('assertion')}` }),
    );
    const err = await new ServiceAccountTokenSource(key, { post: ep.post })
      .token(signal)
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('invalid_grant');
    expect((err as Error).message).not.toContain(ep.calls[0]!.get('assertion')!.split('.')[2]);
    const down = endpoint(() =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    );
    const e2 = await new ServiceAccountTokenSource(key, { post: down.post })
      .token(signal)
      .catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: SINK_AUTH_ERROR_CODE, authRejected: false });
    expect((e2 as Error).message).toContain('ECONNREFUSED');
  });

  it('a malformed 200 is an error; a failed refresh falls back on the still-valid token', async () => {
    const bad = endpoint(() => json(200, { access_token: 'x', token_type: 'mac', expires_in: 10 }));
    await expect(new ServiceAccountTokenSource(key, { post: bad.post }).token(signal)).rejects.toMatchObject({
      authRejected: false,
    });
    let now = 0;
    const flaky = endpoint((n) => (n === 1 ? ok(1) : json(503, 'down')));
    const src = new ServiceAccountTokenSource(key, { post: flaky.post, now: () => now });
    expect(await src.token(signal)).toBe('tok-1');
    now = 58 * 60_000; // inside the margin, not yet expired
    expect(await src.token(signal)).toBe('tok-1');
    now = 61 * 60_000; // expired: the failure surfaces
    await expect(src.token(signal)).rejects.toMatchObject({ status: 503 });
  });
});

describe('token source abort', () => {
  it('when every waiter aborts, the request is aborted and the next caller starts afresh', async () => {
    const seen: AbortSignal[] = [];
    let n = 0;
    const post: TokenPost = (_url, _form, s) => {
      seen.push(s);
      n++;
      if (n === 1)
        return new Promise((_r, reject) => s.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.resolve(ok(n));
    };
    const src = new ServiceAccountTokenSource(key, { post });
    const ac = new AbortController();
    const first = src.token(ac.signal);
    ac.abort(new Error('gave up'));
    await expect(first).rejects.toThrow('gave up');
    expect(seen[0]!.aborted).toBe(true);
    expect(await src.token(signal)).toBe('tok-2');
  });
});
