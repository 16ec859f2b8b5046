// The buffer's worker thread: owns the SQLite connection and runs every statement, in request order.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEngine } from './engine.js';
import { letterCounts, lettersForReplay, listLetters, purgeLetters } from './letter-queries.js';
import type { LetterOp, Reply, Request, WorkerData } from './protocol.js';

const port = parentPort!;
const engine = new SqliteEngine(workerData as WorkerData, (maintenance) =>
  port.postMessage({ id: -1, ok: true, maintenance } satisfies Reply),
);

port.on('message', (req: Request) => {
  try {
    switch (req.op) {
      case 'commit':
        port.postMessage({ id: req.id, ok: true, result: engine.commit(req.ops) } satisfies Reply);
        break;
      case 'load': {
        const packed = engine.load(req.ids);
        port.postMessage({ id: req.id, ok: true, result: packed } satisfies Reply, [
          packed.data as ArrayBuffer,
        ]);
        break;
      }
      case 'vacuum':
        port.postMessage({ id: req.id, ok: true, result: engine.vacuumStep() } satisfies Reply);
        break;
      case 'relieve':
        port.postMessage({ id: req.id, ok: true, result: engine.relieve() } satisfies Reply);
        break;
      case 'letters':
        port.postMessage({ id: req.id, ok: true, result: letterOp(req.query) } satisfies Reply);
        break;
      case 'close':
        engine.close();
        port.postMessage({ id: req.id, ok: true, result: null } satisfies Reply);
        port.close();
        break;
    }
  } catch (err) {
    const e = err as { message?: string; code?: string };
    port.postMessage({
      id: req.id,
      ok: false,
      error: { message: e.message ?? String(err), code: e.code },
    } satisfies Reply);
  }
});

function letterOp(op: LetterOp): unknown {
  switch (op.kind) {
    case 'list':
      return listLetters(engine, op.query);
    case 'forReplay':
      return lettersForReplay(engine, op.tenant, op.afterSeq, op.limit);
    case 'purge':
      return purgeLetters(engine, op.tenant);
    case 'counts':
      return letterCounts(engine);
  }
}
