// `logdriver bench` argument handling: scenario names, quick and all.
import { describe, expect, it } from 'vitest';
import { benchCommand, resolveScenarios } from '../../../../src/cli/bench.js';
import { SUITE_NAMES } from '../../../../bench/scenarios/index.js';

describe('resolveScenarios', () => {
  it('maps quick to every suite scenario at quick sizes', () => {
    expect(resolveScenarios('quick', false)).toEqual({ names: [...SUITE_NAMES], quick: true });
  });

  it('maps all to every suite scenario, honouring --quick', () => {
    expect(resolveScenarios('all', false)).toEqual({ names: [...SUITE_NAMES], quick: false });
    expect(resolveScenarios('all', true).quick).toBe(true);
  });

  it('runs one named scenario', () => {
    expect(resolveScenarios('soak', true)).toEqual({ names: ['soak'], quick: true });
    expect(resolveScenarios('sinks', true)).toEqual({ names: ['sinks'], quick: true });
  });

  it('refuses an unknown name, listing the valid ones', () => {
    expect(() => resolveScenarios('nope', false)).toThrow(
      /journal, ingest, e2e, outage, soak, restart, tenants, sinks, flood, quick, all/,
    );
  });
});

describe('benchCommand', () => {
  it('is the `bench` subcommand with its flags', () => {
    const cmd = benchCommand();
    expect(cmd.name()).toBe('bench');
    const flags = cmd.options.map((o) => o.long);
    for (const f of ['--quick', '--out', '--count', '--no-progress', '--keep-data'])
      expect(flags).toContain(f);
  });
});
