// Tests for NDJSON streaming: chunked writing and line-by-line reading round-trip byte for byte.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readNdjson, writeNdjson } from '../../../../src/tools/load/ndjson.js';

const dir = mkdtempSync(join(tmpdir(), 'logdriver-ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const tmpFile = (): string => join(dir, `f${fileNo++}.ndjson`);

async function readAll(path: string, maxLineBytes?: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const line of readNdjson(path, maxLineBytes === undefined ? {} : { maxLineBytes }))
    out.push(line);
  return out;
}

async function writeToBuffer(
  events: Buffer[],
  chunkBytes: number,
): Promise<{ bytes: Buffer; count: number }> {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (b: Buffer) => parts.push(b));
  const count = await writeNdjson(events, sink, chunkBytes);
  sink.end();
  return { bytes: Buffer.concat(parts), count };
}

// Lines of arbitrary bytes other than \n, not ending in \r, non-empty: what readNdjson returns unchanged.
const line = fc
  .uint8Array({ minLength: 1, maxLength: 300 })
  .map((a) => Buffer.from(a.map((b) => (b === 0x0a ? 0x20 : b))))
  .filter((b) => b[b.length - 1] !== 0x0d);

describe('writeNdjson + readNdjson', () => {
  it('round-trips any lines byte for byte, across write chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 60 }),
        fc.integer({ min: 16, max: 2048 }),
        async (lines, chunk) => {
          const { bytes, count } = await writeToBuffer(lines, chunk);
          expect(count).toBe(lines.length);
          expect(bytes.equals(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])))).toBe(true);
          const path = tmpFile();
          writeFileSync(path, bytes);
          const back = await readAll(path);
          expect(back.map((b) => b.toString('hex'))).toEqual(lines.map((b) => b.toString('hex')));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('strips CR, skips empty lines and returns a last line without a newline', async () => {
    const path = tmpFile();
    writeFileSync(path, '{"a":1}\r\n\n\r\n{"b":2}\n{"c":3}');
    expect((await readAll(path)).map(String)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('returns a line that spans several 1 MiB read chunks intact', async () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024, 0x61);
    const path = tmpFile();
    writeFileSync(path, Buffer.concat([Buffer.from('x\n'), big, Buffer.from('\ny\n')]));
    const back = await readAll(path);
    expect(back).toHaveLength(3);
    expect(back[1]?.equals(big)).toBe(true);
    expect(String(back[2])).toBe('y');
  });

  it('refuses a line longer than maxLineBytes', async () => {
    const path = tmpFile();
    writeFileSync(path, Buffer.alloc(4096, 0x61));
    await expect(readAll(path, 1000)).rejects.toThrow(/longer than 1000 bytes/);
  });

  it('writes an event larger than the chunk size on its own', async () => {
    const events = [Buffer.from('a'), Buffer.alloc(100, 0x62), Buffer.from('c')];
    const { bytes } = await writeToBuffer(events, 16);
    expect(bytes.toString()).toBe(`a\n${'b'.repeat(100)}\nc\n`);
  });

  it('writes to a real file', async () => {
    const { createWriteStream } = await import('node:fs');
    const { finished } = await import('node:stream/promises');
    const path = tmpFile();
    const out = createWriteStream(path);
    await writeNdjson([Buffer.from('{"tenantId":"t"}')], out);
    out.end();
    await finished(out);
    expect(readFileSync(path, 'utf8')).toBe('{"tenantId":"t"}\n');
  });
});
