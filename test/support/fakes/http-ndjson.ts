// A loopback fake of the generic http sink's protocol (README, "Sinks"): NDJSON or a JSON array of envelopes
// in, 2xx = all stored, 207 {"errors":[{"id","status","reason"}]} = those events failed, the rest stored.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { writeAnswer, type ScriptedAnswer } from './answer.js';

export interface FakeNdjson {
  readonly url: string;
  /** Envelope ids stored, in arrival order. */
  readonly stored: string[];
  readonly requests: number;
  answerNext(n: number, answer: ScriptedAnswer): void;
  /** The next request stores every event but the one at `index`, answered as a 400 in a 207. */
  rejectNextAt(index: number): void;
  close(): Promise<void>;
}

function idsOf(body: Buffer): string[] {
  const text = body.toString('utf8').trim();
  const docs = text.startsWith('[')
    ? (JSON.parse(text) as { id: string }[])
    : text.split('\n').map((l) => JSON.parse(l) as { id: string });
  return docs.map((d) => d.id);
}

export async function startFakeNdjson(): Promise<FakeNdjson> {
  const scripted: ScriptedAnswer[] = [];
  let rejectAt: number | undefined;
  let requests = 0;
  const stored: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const script = scripted.shift();
      if (script) return writeAnswer(res, script, 'application/json');
      const raw = Buffer.concat(chunks);
      let ids: string[];
      try {
        ids = idsOf(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
      } catch {
        return writeAnswer(
          res,
          { status: 400, body: { error: 'body is not NDJSON or a JSON array' } },
          'application/json',
        );
      }
      const bad = rejectAt;
      rejectAt = undefined;
      stored.push(...ids.filter((_, i) => i !== bad));
      if (bad === undefined) return writeAnswer(res, { status: 200 }, 'application/json');
      const errors = [{ id: ids[bad], status: 400, reason: 'field "n" is not a string' }];
      writeAnswer(res, { status: 207, body: { errors } }, 'application/json');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    stored,
    get requests() {
      return requests;
    },
    answerNext(n, answer) {
      for (let i = 0; i < n; i++) scripted.push(answer);
    },
    rejectNextAt(index) {
      rejectAt = index;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
