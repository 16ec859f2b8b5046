// Parsing the service's stats CSV: RFC 4180 quoting, the header check, torn and malformed rows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMERIC_COLUMNS, parseStatsCsv, splitCsvLine } from '../../../../bench/harness/stats-csv.js';
import { STATS_COLUMNS, type StatsColumn } from '../../../../src/telemetry/stats.js';

function encodeCell(cell: string): string {
  return /[",\n]/.test(cell) || cell.startsWith(' ') ? `"${cell.replace(/"/g, '""')}"` : cell;
}

const HEADER = STATS_COLUMNS.join(',');

function dataRow(i: number, top = 'tenant-0001:5 tenant-0002:3'): string {
  return STATS_COLUMNS.map((c, j) =>
    c === 'top_tenants' ? `"${top.replace(/"/g, '""')}"` : String(i * 100 + j),
  ).join(',');
}

describe('splitCsvLine', () => {
  it('inverts RFC 4180 encoding of any cells without newlines', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !s.includes('\n')),
          { minLength: 1, maxLength: 8 },
        ),
        (cells) => {
          expect(splitCsvLine(cells.map(encodeCell).join(','))).toEqual(cells);
        },
      ),
    );
  });

  it('unescapes doubled quotes and keeps commas inside quotes', () => {
    expect(splitCsvLine('1,"a, ""b""",')).toEqual(['1', 'a, "b"', '']);
  });
});

describe('parseStatsCsv', () => {
  it('reads the columns the service writes, in its order: all numeric but the top-tenants text', () => {
    expect(NUMERIC_COLUMNS).toEqual(STATS_COLUMNS.filter((c) => c !== 'top_tenants'));
    expect(NUMERIC_COLUMNS).toContain('dead_lettered_per_s');
  });

  it('parses numeric cells as numbers and the top-tenants cell as text', () => {
    const rows = parseStatsCsv(`${HEADER}\n${dataRow(1, 'we"ird,name:4')}\n${dataRow(2)}\n`);
    expect(rows).toHaveLength(2);
    const idx = (c: StatsColumn): number => STATS_COLUMNS.indexOf(c);
    expect(rows[0]!.time_ms).toBe(100 + idx('time_ms'));
    expect(rows[1]!.rss_bytes).toBe(200 + idx('rss_bytes'));
    expect(rows[0]!.top_tenants).toBe('we"ird,name:4');
  });

  it('skips a torn last line and rows with non-numeric cells', () => {
    const torn = dataRow(3).slice(0, 20);
    const bad = dataRow(4).replace(/^\d+/, 'x');
    expect(parseStatsCsv(`${HEADER}\n${dataRow(1)}\n${bad}\n${torn}`)).toHaveLength(1);
  });

  it('accepts extra columns it does not know', () => {
    const rows = parseStatsCsv(`${HEADER},future_col\n${dataRow(1)},hello\n`);
    expect(rows).toHaveLength(1);
  });

  it('fails loudly when a column it reads is missing', () => {
    const header = STATS_COLUMNS.filter((c) => c !== 'wal_bytes').join(',');
    expect(() => parseStatsCsv(`${header}\n`)).toThrow(/wal_bytes/);
  });

  it('gives no rows for an empty file', () => {
    expect(parseStatsCsv('')).toEqual([]);
  });
});
