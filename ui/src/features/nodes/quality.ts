// How a dataset's data quality reads: an assertion in words, a metrics row in a line.
// Pure: unit-tested without a browser.
import type { Schemas } from '../../api/client';

export type QualityRead = Schemas['QualityRead'];
export type AssertionRead = Schemas['AssertionRead'];
export type MetricsRead = Schemas['MetricsRead'];

/** "failed", "failed (warn)" or "passed": text, so color is never the only signal. */
export function assertionOutcome(a: AssertionRead): string {
  if (a.success) return 'passed';
  return a.severity === 'warn' ? 'failed (warn)' : 'failed';
}

/** Failures first (blocking before warnings), then by column and name: what to read first. */
export function sortAssertions(items: AssertionRead[]): AssertionRead[] {
  const rank = (a: AssertionRead) => (a.success ? 2 : a.severity === 'warn' ? 1 : 0);
  return [...items].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.column ?? '').localeCompare(b.column ?? '') ||
      a.assertion.localeCompare(b.assertion),
  );
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1234567 -> "1.2M"; a missing count is a dash. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : COMPACT.format(value);
}

/** 52428800 -> "50 MB" (binary steps, one decimal below 10). */
export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < UNITS.length - 1) {
    size /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || size >= 10 ? 0 : 1;
  return `${size.toFixed(digits)} ${UNITS[unit]}`;
}

/** The columns with nulls, most first: "id: 2 nulls, email: 1 null" (empty when none). */
export function nullSummary(columns: MetricsRead['columns'], limit = 3): string {
  const nulls = Object.entries(columns)
    .map(([name, m]) => [name, typeof m.nullCount === 'number' ? m.nullCount : 0] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = nulls.slice(0, limit).map(([name, n]) => `${name}: ${formatCount(n)} null${n === 1 ? '' : 's'}`);
  const more = nulls.length > limit ? `, +${nulls.length - limit} more` : '';
  return shown.join(', ') + more;
}

/** Row count change against the previous (older) report: "+20", "−5", "" when unknown. */
export function rowDelta(current: MetricsRead, previous: MetricsRead | undefined): string {
  if (!previous || current.row_count === null || previous.row_count === null) return '';
  const delta = current.row_count - previous.row_count;
  if (delta === 0) return '±0';
  return delta > 0 ? `+${formatCount(delta)}` : `−${formatCount(-delta)}`;
}
