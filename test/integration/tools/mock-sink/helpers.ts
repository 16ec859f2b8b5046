// Helpers for mock sink integration tests: envelope bodies and an undici POST that always drains the reply.
import { request } from 'undici';

export interface Env {
  id: string;
  tenantId: string;
  receivedAt: number;
  event: Record<string, unknown>;
}

export function envs(tenant: string, seqs: readonly number[], bufferId = 'buf-1'): Env[] {
  return seqs.map((seq) => ({
    id: `${bufferId}-${seq}`,
    tenantId: tenant,
    receivedAt: Date.now(),
    event: { tenantId: tenant, iclFields: { event: 'DATA_DECRYPT', requestId: `req-${seq}` } },
  }));
}

export function ndjson(items: readonly Env[]): string {
  return items.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/x-ndjson' },
  timeoutMs = 5_000,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: unknown }> {
  const res = await request(url, {
    method: 'POST',
    body,
    headers,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}
