// Shared test fixtures: temp directories cleaned up after each test, a silent Telemetry, SqliteBuffer options.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBuffer, type SqliteBufferOptions } from '../../src/buffer/index.js';
import type { IncomingEvent } from '../../src/buffer/types.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

/** Temp directories made by one test file; call cleanup() in afterEach. */
export class TempDirs {
  readonly #dirs: string[] = [];

  make(prefix = 'logdriver-unit-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export function silentTelemetry(): Telemetry {
  return new Telemetry(silentLogger(), { defaultMetrics: false });
}

/** A SqliteBuffer in `dir` with test-friendly defaults (any option can be overridden). */
export function openSqlite(dir: string, overrides: Partial<SqliteBufferOptions> = {}): SqliteBuffer {
  return new SqliteBuffer({
    dataDir: dir,
    synchronous: 'normal',
    maxBytes: Number.MAX_SAFE_INTEGER,
    commitWindowMs: 0,
    commitMaxBytes: 4 * 1024 * 1024,
    commitMaxEvents: 20_000,
    maxPendingEvents: 50_000,
    chunkMaxEvents: 1000,
    chunkMaxBytes: 1024 * 1024,
    cacheMaxBytes: 32 * 1024 * 1024,
    walMaxBytes: 64 * 1024 * 1024,
    autoVacuum: 'incremental',
    telemetry: silentTelemetry(),
    ...overrides,
  });
}

/** `n` events of one tenant whose payloads are JSON objects numbered from `from`. */
export function eventsFor(tenant: string, n: number, from = 0, receivedAt = Date.now()): IncomingEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    tenant,
    receivedAt,
    payload: Buffer.from(JSON.stringify({ tenantId: tenant, n: from + i })),
  }));
}

/** The `n` field of an event made by eventsFor. */
export function numberOf(e: { payload: Buffer }): number {
  return (JSON.parse(e.payload.toString('utf8')) as { n: number }).n;
}
