// The harness stays out of the product: nothing in src/ loads bench/harness or the charting libraries at
// import time (only `logdriver bench` loads them, dynamically), and the harness needs no buffer internals.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Module specifiers of a file: static (`from '…'`, `import '…'`) and dynamic (`import('…')`) apart. */
function imports(file: string): { static: string[]; dynamic: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const all = (re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1]!);
  return {
    static: [...all(/\bfrom\s+'([^']+)'/g), ...all(/^import\s+'([^']+)'/gm)],
    dynamic: all(/\bimport\(\s*'([^']+)'\s*\)/g),
  };
}

const HARNESS_ONLY = /^(vega|vega-lite|cli-progress)$|\/bench\/harness\//;

describe('layout', () => {
  it('src/ never imports the harness or its libraries statically, and bench/ only from the bench command', () => {
    const offending: string[] = [];
    for (const file of tsFiles('src')) {
      for (const spec of imports(file).static) {
        const bench = spec.includes('/bench/');
        if (HARNESS_ONLY.test(spec) || (bench && file !== join('src', 'cli', 'bench.ts'))) {
          offending.push(`${file}: ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
    expect(imports(join('src', 'cli', 'bench.ts')).dynamic).toContain('../../bench/harness/index.js');
  });

  it('the harness talks to the service as processes and files, never through buffer internals', () => {
    // bench/encode.ts and bench/encryption.ts are the in-process micro-benchmarks of the sinks' pure encoders
    // and of the buffer's record encryption: calling them is what they measure. They are standalone scripts,
    // not part of the harness, and nothing imports them.
    const micro = new Set([join('bench', 'encode.ts'), join('bench', 'encryption.ts')]);
    const offending = tsFiles('bench')
      .filter((file) => !micro.has(file))
      .flatMap((file) =>
        imports(file)
          .static.filter((spec) => /\/src\/(buffer|delivery|ingest|sinks)\//.test(spec))
          .map((spec) => `${relative(ROOT, join(ROOT, file))}: ${spec}`),
      );
    expect(offending).toEqual([]);
  });
});
