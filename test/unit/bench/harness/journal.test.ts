// Integration: the journal scenario in process, on real SQLite files, with a tiny count.
import { describe, expect, it } from 'vitest';
import { prepareEvents, runJournal, journalFindings } from '../../../../bench/harness/journal.js';
import { JOURNAL_VARIANTS, PROTOTYPE_VARIANT } from '../../../../bench/scenarios/index.js';

describe('journal scenario', () => {
  it('runs every variant with a positive rate, ratios against the prototype, and file sizes', () => {
    const report = runJournal({ perEventCount: 50, groupCount: 200, batch: 64, tenants: 5 });
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
    expect(journalFindings(report)).toHaveLength(JOURNAL_VARIANTS.length);
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
