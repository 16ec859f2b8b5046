// The scenario table is well-formed: names, sizes, runners, journal variants.
import { describe, expect, it } from 'vitest';
import { RUNNERS } from '../../../../bench/harness/runners/index.js';
import {
  JOURNAL_VARIANTS,
  PROTOTYPE_VARIANT,
  SCENARIOS,
  SCENARIO_NAMES,
  SUITE_NAMES,
  isScenarioName,
  param,
  paramsFor,
  scenarioSpec,
} from '../../../../bench/scenarios/index.js';
import { configSchema } from '../../../../src/config/index.js';
import { baseServiceConfig, deepMerge } from '../../../../bench/harness/service.js';

describe('scenario table', () => {
  it('lists the seven suite scenarios once each, in suite order, and sinks by name only', () => {
    expect(SUITE_NAMES).toEqual(['journal', 'ingest', 'e2e', 'outage', 'soak', 'restart', 'tenants']);
    expect(SCENARIO_NAMES).toEqual([...SUITE_NAMES, 'sinks', 'flood']);
    expect(new Set(SCENARIO_NAMES).size).toBe(SCENARIOS.length);
  });

  it('gives full and quick sizes the same keys, all positive finite numbers, quick never larger', () => {
    for (const s of SCENARIOS) {
      expect(Object.keys(s.quick).sort(), s.name).toEqual(Object.keys(s.full).sort());
      for (const [k, v] of Object.entries(s.full)) {
        expect(Number.isFinite(v) && v > 0, `${s.name}.full.${k}`).toBe(true);
        expect(s.quick[k]! > 0 && s.quick[k]! <= v, `${s.name}.quick.${k}`).toBe(true);
      }
      expect(s.title.length).toBeGreaterThan(10);
    }
  });

  it('has a runner for every scenario and no runner without a scenario', () => {
    expect(Object.keys(RUNNERS).sort()).toEqual([...SCENARIO_NAMES].sort());
  });

  it('sizes the soak and restart runs as the issue asks', () => {
    for (const name of ['soak', 'restart'] as const) {
      expect(scenarioSpec(name).full.count).toBeGreaterThanOrEqual(1_000_000);
      expect(scenarioSpec(name).quick.count).toBe(200_000);
    }
    expect(scenarioSpec('tenants').full.tenants).toBe(51);
    expect(scenarioSpec('tenants').quick.tenants).toBe(51);
  });

  it('keeps outage windows inside the load', () => {
    for (const size of ['full', 'quick'] as const) {
      const p = scenarioSpec('outage')[size];
      expect(p.outageStart! < p.outageEnd!).toBe(true);
      expect(p.outageEnd! < p.seconds!).toBe(true);
    }
  });

  it('produces service configs the real config schema accepts', () => {
    for (const s of SCENARIOS) {
      const base = baseServiceConfig({
        dataDir: '/tmp/x',
        statsFile: '/tmp/x/stats.csv',
        ports: { zmq: 5555, http: 9000, admin: 9100 },
        sinkUrl: 'http://127.0.0.1:8080',
      });
      const parsed = configSchema.safeParse(deepMerge(base, s.service ?? {}));
      expect(parsed.success, `${s.name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it('resolves params with quick sizes and overrides, and names a missing one', () => {
    const spec = scenarioSpec('soak');
    expect(paramsFor(spec, true).count).toBe(200_000);
    expect(paramsFor(spec, false, { count: 7 }).count).toBe(7);
    expect(() => param({}, 'count')).toThrow(/count/);
    expect(isScenarioName('soak')).toBe(true);
    expect(isScenarioName('quick')).toBe(false);
  });
});

describe('journal variants', () => {
  it('have unique names and include the prototype baseline and logdriver’s own choice', () => {
    const names = JOURNAL_VARIANTS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    const proto = JOURNAL_VARIANTS.find((v) => v.name === PROTOTYPE_VARIANT);
    expect(proto).toMatchObject({ journal: 'wal', synchronous: 'full', commit: 'per-event' });
    expect(JOURNAL_VARIANTS.find((v) => v.name === 'logdriver')).toMatchObject({
      journal: 'wal',
      commit: 'group',
      schema: 'clustered',
      autoVacuum: 'incremental',
    });
  });

  it('cover each choice both ways', () => {
    const seen = (k: keyof (typeof JOURNAL_VARIANTS)[number]): Set<string> =>
      new Set(JOURNAL_VARIANTS.map((v) => v[k]));
    expect(seen('journal')).toEqual(new Set(['delete', 'wal']));
    expect(seen('synchronous')).toEqual(new Set(['full', 'normal']));
    expect(seen('commit')).toEqual(new Set(['per-event', 'group']));
    expect(seen('schema')).toEqual(new Set(['rowid-index', 'clustered', 'no-index']));
    expect(seen('autoVacuum')).toEqual(new Set(['none', 'incremental']));
  });
});
