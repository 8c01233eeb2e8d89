import { describe, expect, it } from 'vitest';
import { assertionOutcome, formatBytes, formatCount, nullSummary, rowDelta, sortAssertions, type MetricsRead } from './quality';

const metrics = (row_count: number | null, columns: MetricsRead['columns'] = {}): MetricsRead => ({
  observed_at: '2026-12-07T05:00:00Z',
  job: 'great_expectations/orders_suite',
  row_count,
  bytes: null,
  columns,
});

describe('the quality section', () => {
  it('says how an assertion ended in words, a warn failure apart', () => {
    const base = { assertion: 'not_null', column: 'id', severity: null };
    expect(assertionOutcome({ ...base, success: true })).toBe('passed');
    expect(assertionOutcome({ ...base, success: false })).toBe('failed');
    expect(assertionOutcome({ ...base, success: false, severity: 'warn' })).toBe('failed (warn)');
  });

  it('lists failures first, warnings next, then by column', () => {
    const sorted = sortAssertions([
      { assertion: 'unique', column: 'a', success: true, severity: null },
      { assertion: 'not_null', column: 'b', success: false, severity: 'warn' },
      { assertion: 'not_null', column: 'c', success: false, severity: 'error' },
    ]);
    expect(sorted.map((a) => a.column)).toEqual(['c', 'b', 'a']);
  });

  it('formats counts, bytes and the row count change', () => {
    expect(formatCount(1234567)).toBe('1.2M');
    expect(formatCount(null)).toBe('–');
    expect(formatBytes(52428800)).toBe('50 MB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(100)).toBe('100 B');
    expect(rowDelta(metrics(120), metrics(100))).toBe('+20');
    expect(rowDelta(metrics(95), metrics(100))).toBe('−5');
    expect(rowDelta(metrics(100), undefined)).toBe('');
  });

  it('names the columns with nulls, most first', () => {
    const m = metrics(10, { id: { nullCount: 2 }, email: { nullCount: 1 }, amount: { nullCount: 0 } });
    expect(nullSummary(m.columns)).toBe('id: 2 nulls, email: 1 null');
    expect(nullSummary(m.columns, 1)).toBe('id: 2 nulls, +1 more');
  });
});
