// The configuration broker client: GET tenantSource.url with a bearer token and If-None-Match, TLS verified, a
// timeout and a size cap; the last accepted answer (and its ETag) is kept in memory and in the cache file.
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { ErrorCodes, LogdriverError } from '../errors.js';
import { HttpTransport } from '../sinks/transport/index.js';
import { readCache, writeCache, type CachedAnswer } from './cache.js';
import { parseTenantDocument, type TenantDocument } from './document.js';

export type BrokerFetch =
  /** A new, valid document. `accept()` once it is in force: it becomes the known copy and is cached. */
  | {
      readonly kind: 'changed';
      readonly doc: TenantDocument;
      /** Returns the reason the cache could not be written (the document is in force anyway). */
      readonly accept: () => string | undefined;
    }
  /** 304, or the same body as the known copy. */
  | { readonly kind: 'unchanged' }
  /** No answer, or not a usable one (`refused`: it came, and is wrong). */
  | { readonly kind: 'failed' | 'refused'; readonly reason: string };

export type CacheLoad =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unusable'; readonly reason: string }
  | { readonly kind: 'found'; readonly doc: TenantDocument; readonly savedAt: string };

type Source = Config['tenantSource'] & { readonly url: string };

export class BrokerSource {
  readonly url: string;
  /** The URL without its query (which might carry a credential), for logs. */
  readonly shownUrl: string;
  readonly cacheFile: string;
  readonly #source: Source;
  readonly #transport: HttpTransport;
  readonly #stop = new AbortController();
  /** The answer in force (from the broker or the cache): its ETag goes into If-None-Match. */
  #known: CachedAnswer | undefined;

  /** Throws LogdriverError(CONFIG_READ) when tenantSource.caFile cannot be read. */
  constructor(source: Source, dataDir: string) {
    this.#source = source;
    this.url = source.url;
    const u = new URL(source.url);
    this.shownUrl = `${u.origin}${u.pathname}`;
    this.cacheFile = source.cacheFile ?? join(dataDir, 'tenants-cache.json');
    try {
      this.#transport = new HttpTransport({
        url: source.url,
        timeoutMs: source.timeoutMs,
        maxConnections: 1,
        caFile: source.caFile,
        sinkType: 'tenantSource',
      });
    } catch (err) {
      throw new LogdriverError(
        ErrorCodes.CONFIG_READ,
        `tenantSource.caFile: cannot read ${source.caFile ?? ''}`,
        { cause: err },
      );
    }
  }

  /** Reads and validates the cache file; a usable copy becomes the known one (its ETag is sent next). */
  loadCache(): CacheLoad {
    const read = readCache(this.cacheFile, this.url);
    if (read.kind !== 'found') return read;
    const parsed = parseTenantDocument(read.answer.body, read.answer.contentType);
    if (!parsed.ok) return { kind: 'unusable', reason: parsed.reason };
    this.#known = read.answer;
    return { kind: 'found', doc: parsed.doc, savedAt: read.answer.savedAt };
  }

  /** Forgets the known copy (it could not be put in force): the next fetch asks for the whole document. */
  forget(): void {
    this.#known = undefined;
  }

  /** One GET. Never throws; reasons never contain the token or the document's content. */
  async fetch(): Promise<BrokerFetch> {
    const token = this.#source.token?.reveal();
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'logdriver' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (this.#known?.etag !== undefined) headers['if-none-match'] = this.#known.etag;
    const u = new URL(this.url);
    const limit = this.#source.maxBytes;
    const ex = await this.#transport.exchange(
      { method: 'GET', path: `${u.pathname}${u.search}`, headers },
      this.#stop.signal,
      (status) => (status === 200 ? limit : 0),
      token === undefined ? [] : [token],
    );
    if (!ex.ok) return { kind: 'failed', reason: ex.outcome.reason };
    const { status, headers: h, body, bodyTruncated } = ex.response;
    if (status === 304) {
      return this.#known
        ? { kind: 'unchanged' }
        : { kind: 'failed', reason: 'HTTP 304 to a request without If-None-Match' };
    }
    if (status === 401 || status === 403)
      return { kind: 'failed', reason: `the broker refused the token (HTTP ${status})` };
    if (status >= 300 && status < 400)
      return { kind: 'failed', reason: `HTTP ${status}: redirects are not followed` };
    if (status !== 200) return { kind: 'failed', reason: `HTTP ${status}` };
    if (bodyTruncated) {
      return {
        kind: 'refused',
        reason: `the answer is larger than tenantSource.maxBytes (${limit} bytes) or was cut off`,
      };
    }
    const text = body.toString('utf8');
    const contentType = header(h['content-type']);
    const etag = header(h.etag);
    if (this.#known && text === this.#known.body && contentType === this.#known.contentType) {
      // A broker without ETags sends the same document each time: nothing to apply, but keep a new ETag.
      if (etag !== undefined && etag !== this.#known.etag) this.#known = { ...this.#known, etag };
      return { kind: 'unchanged' };
    }
    const parsed = parseTenantDocument(text, contentType);
    if (!parsed.ok) return { kind: 'refused', reason: parsed.reason };
    const answer: CachedAnswer = {
      version: 1,
      url: this.url,
      ...(etag === undefined ? {} : { etag }),
      ...(contentType === undefined ? {} : { contentType }),
      savedAt: new Date().toISOString(),
      body: text,
    };
    return {
      kind: 'changed',
      doc: parsed.doc,
      accept: () => {
        this.#known = answer;
        try {
          writeCache(this.cacheFile, answer);
          return undefined;
        } catch (err) {
          return `cannot write ${this.cacheFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
        }
      },
    };
  }

  /** Aborts a fetch in flight and closes the connection. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#transport.close();
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
