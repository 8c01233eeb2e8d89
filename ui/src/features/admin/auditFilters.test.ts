import { describe, expect, it } from 'vitest';
import { auditQuery, describeChanges, localToUtc, utcToLocal } from './auditFilters';

describe('audit filters', () => {
  it('send only the filters that are set, trimmed', () => {
    const query = auditQuery(new URLSearchParams('actor=+root+&action=user.create&target_id=&cursor=abc'));
    expect(query).toEqual({
      actor: 'root',
      action: 'user.create',
      target_type: undefined,
      target_id: undefined,
      since: undefined,
      until: undefined,
      cursor: 'abc',
    });
  });

  it('send local times as UTC with their offset resolved', () => {
    const local = '2026-12-07T10:30';
    const query = auditQuery(new URLSearchParams({ since: local, until: 'not a time' }));
    expect(query.since).toBe(new Date(2026, 11, 7, 10, 30).toISOString());
    expect(query.since).toMatch(/Z$/);
    expect(query.until).toBeUndefined();
  });

  it('round-trip a time through the datetime-local field', () => {
    const iso = localToUtc('2026-03-01T08:05')!;
    expect(utcToLocal(iso)).toBe('2026-03-01T08:05');
  });
});

describe('audit changes', () => {
  it('read as field: before → after, masked values as the API sent them', () => {
    expect(
      describeChanges({ role: { from: 'viewer', to: 'admin' }, password: '***', disabled: { from: false, to: true } }),
    ).toBe('role: viewer → admin; password: ***; disabled: false → true');
  });

  it('show nested values as JSON and missing ones as a dash', () => {
    expect(describeChanges({ tags: ['a'], expires_at: null })).toBe('tags: ["a"]; expires_at: —');
  });
});
