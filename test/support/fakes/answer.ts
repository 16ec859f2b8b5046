// How protocol fakes write a scripted answer: a status and body, or the failures a network adds (a response
// cut off mid-body, an answer slower than the client's timeout).
import type { ServerResponse } from 'node:http';

export interface ScriptedAnswer {
  readonly status: number;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send the headers and half the body, then destroy the connection (status 0: destroy before any answer). */
  readonly reset?: boolean;
  /** Answer only after this long (the client's timeout should fire first). */
  readonly delayMs?: number;
}

export function writeAnswer(res: ServerResponse, answer: ScriptedAnswer, contentType: string): void {
  const { status, body, headers, reset, delayMs } = answer;
  if (delayMs !== undefined && delayMs > 0) {
    const timer = setTimeout(() => writeAnswer(res, { ...answer, delayMs: 0 }, contentType), delayMs);
    timer.unref();
    res.on('close', () => clearTimeout(timer));
    return;
  }
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  if (reset && status === 0) {
    // No answer at all: the connection dies after the request was read.
    res.socket?.destroy();
    return;
  }
  if (reset) {
    // A declared length the body never reaches: the client sees the connection die mid-response.
    const full = Buffer.from(text.length > 0 ? text : '{"text":"Success","code":0}');
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(full.length), ...headers });
    res.write(full.subarray(0, Math.floor(full.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(text);
}
