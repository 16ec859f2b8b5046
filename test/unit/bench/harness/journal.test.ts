// Integration: the journal scenario in process, on real SQLite files, with a tiny count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  prepareEvents,
  runCycle,
  runJournal,
  journalFindings,
  type JournalReport,
} from '../../../../bench/harness/journal.js';
import { JOURNAL_VARIANTS, PROTOTYPE_VARIANT } from '../../../../bench/scenarios/index.js';
import { CYCLE_BASELINE, CYCLE_VARIANTS } from '../../../../bench/scenarios/journal-variants.js';

describe('journal scenario', () => {
  let report: JournalReport;
  beforeAll(() => {
    // readBatch 8 over 50 tenants makes the heaviest (Zipf) tenants need several drain rounds.
    report = runJournal({ perEventCount: 50, groupCount: 200, batch: 64, tenants: 5, readBatch: 8 });
  });

  it('runs every variant with a positive rate, ratios against the prototype, and file sizes', () => {
    expect(report.variants.map((v) => v.variant.name)).toEqual(JOURNAL_VARIANTS.map((v) => v.name));
    for (const r of report.variants) {
      expect(r.events).toBe(r.variant.commit === 'per-event' ? 50 : 200);
      expect(r.eventsPerSec, r.variant.name).toBeGreaterThan(0);
      expect(Number.isFinite(r.ratioVsPrototype)).toBe(true);
      expect(r.bytesAfterRun).toBeGreaterThan(0);
    }
    expect(report.variants.find((v) => v.variant.name === PROTOTYPE_VARIANT)!.ratioVsPrototype).toBe(1);
    // Incremental auto_vacuum gives freed pages back; NONE keeps the file at its high-water mark.
    const logdriver = report.variants.find((v) => v.variant.name === 'logdriver')!;
    const noVacuum = report.variants.find((v) => v.variant.name === 'group-wal-full-clustered')!;
    expect(logdriver.bytesAfterDelete).toBeLessThan(logdriver.bytesAfterRun);
    expect(noVacuum.bytesAfterDelete).toBe(noVacuum.bytesAfterRun);
  });

  it('runs the full cycle per cycle variant and the drain empties the table in every one', () => {
    expect(report.cycles.map((c) => c.variant.name)).toEqual(CYCLE_VARIANTS.map((v) => v.name));
    for (const c of report.cycles) {
      const name = c.variant.name;
      expect(c.events, name).toBe(200);
      expect(c.tenants, name).toBeGreaterThan(10);
      expect(c.insertPerSec, name).toBeGreaterThan(0);
      expect(c.drainPerSec, name).toBeGreaterThan(0);
      expect(c.cyclePerSec, name).toBeGreaterThan(0);
      // The full cycle is slower than either half alone.
      expect(c.cyclePerSec, name).toBeLessThan(Math.min(c.insertPerSec, c.drainPerSec));
      expect(Number.isFinite(c.ratioVsBaseline), name).toBe(true);
      expect(c.rounds, name).toBeGreaterThan(1);
      expect(c.deleted, name).toBe(200);
      expect(c.rowsLeft, name).toBe(0);
    }
    expect(report.cycles.find((c) => c.variant.name === CYCLE_BASELINE)!.ratioVsBaseline).toBe(1);
  });

  it('reports a finding per variant and per cycle variant', () => {
    const findings = journalFindings(report);
    expect(findings).toHaveLength(JOURNAL_VARIANTS.length + CYCLE_VARIANTS.length);
    for (const v of CYCLE_VARIANTS) {
      const f = findings.find((x) => x.measure === `${v.name} full cycle`);
      expect(f?.unit).toBe('events/s');
      expect(f?.value).toBeGreaterThan(0);
      expect(f?.note).toMatch(/insert [\d,]+\/s, drain \(read\+delete\) [\d,]+\/s/);
    }
  });

  it('checkpoints the WAL once it passes the cap, still draining every row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logdriver-cycle-test-'));
    try {
      const events = prepareEvents(400, 7);
      for (const v of CYCLE_VARIANTS) {
        const c = runCycle(v, events, dir, { batch: 50, readBatch: 20, walMaxBytes: 64 * 1024 });
        expect(c.checkpoints, v.name).toBeGreaterThan(0);
        expect(c.deleted, v.name).toBe(400);
        expect(c.rowsLeft, v.name).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prepares ~500-byte events with their tenant numbers', () => {
    const events = prepareEvents(200, 5);
    const mean = events.reduce((a, e) => a + e.payload.length, 0) / events.length;
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(600);
    for (const e of events) {
      const tenant = (JSON.parse(e.payload.toString('utf8')) as { tenantId: string }).tenantId;
      expect(Number(tenant.slice('tenant-'.length))).toBe(e.tid);
    }
  });
});
