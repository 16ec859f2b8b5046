// Per-tenant log lines (retries, holds, dead letters) share one budget per kind across tenants: a flood of
// tenant ids behind a failing sink does not flood the log, and the next line says how many were held back.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

function capture(): { telemetry: Telemetry; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { telemetry: new Telemetry(log, { defaultMetrics: false }), lines };
}

describe('log lines about tenants', () => {
  it('logs at most 50 retry lines per window over 5,000 tenants, each tenant still throttled on its own', () => {
    const { telemetry, lines } = capture();
    for (let i = 0; i < 5000; i++) telemetry.batchRetried(`t${i}`, 1, 'HTTP 503', 1000, 1);
    const retries = lines.filter((l) => l.msg === 'batch will be retried');
    expect(retries).toHaveLength(50);
    expect(new Set(retries.map((l) => l.tenant)).size).toBe(50);
  });

  it('budgets each kind on its own: dead letters are not silenced by retries', () => {
    const { telemetry, lines } = capture();
    for (let i = 0; i < 200; i++) telemetry.batchRetried(`t${i}`, 1, 'HTTP 503', 1000, 1);
    for (let i = 0; i < 200; i++) telemetry.batchDeadLettered(`t${i}`, 1, 'HTTP 400', 400);
    expect(lines.filter((l) => l.msg === 'events moved to the dead-letter table')).toHaveLength(50);
    expect(lines.filter((l) => l.msg === 'batch will be retried')).toHaveLength(50);
  });
});
