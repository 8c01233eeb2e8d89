import { describe, expect, it } from 'vitest';
import type { ImpactReport } from '../api/client';
import { lnode } from '../test/fixtures';
import { groupAffected, ownersText, summaryLine } from './impact';

describe('groupAffected', () => {
  it('groups by distance, then kind (datasets first), red first within a group', () => {
    const groups = groupAffected([
      lnode('b', { distance: 2 }),
      lnode('job1', { kind: 'job', distance: 1 }),
      lnode('a-ok', { distance: 1 }),
      lnode('z-err', { distance: 1, status: 'error' }),
    ]);
    expect(groups.map((g) => [g.distance, g.count])).toEqual([
      [1, 3],
      [2, 1],
    ]);
    expect(groups[0]!.kinds.map((k) => k.kind)).toEqual(['dataset', 'job']);
    expect(groups[0]!.kinds[0]!.nodes.map((n) => n.id)).toEqual(['z-err', 'a-ok']);
  });
});

const report = (over: Partial<ImpactReport>): ImpactReport => ({
  root: lnode('r'),
  direction: 'downstream',
  depth: null,
  affected_count: 0,
  truncated: false,
  by_kind: [],
  by_distance: [],
  owners: [],
  in_error: [],
  at_risk: [],
  late: [],
  quality_failures: [],
  likely_root_causes: [],
  parents: [],
  affected: [],
  as_of: null,
  ...over,
});

describe('ownersText', () => {
  it('is one line of the named owners, for pasting', () => {
    expect(ownersText(report({ owners: [{ owner: 'analytics', nodes: [] }, { owner: null, nodes: [] }, { owner: 'finance', nodes: [] }] }))).toBe(
      'analytics, finance',
    );
  });
});

describe('summaryLine', () => {
  it('counts nodes by kind and the furthest hop', () => {
    const line = summaryLine(
      report({
        affected_count: 15,
        by_kind: [
          { kind: 'dataset', count: 9 },
          { kind: 'job', count: 6 },
        ],
        by_distance: [
          { distance: 1, count: 8 },
          { distance: 3, count: 7 },
        ],
      }),
    );
    expect(line).toBe('15 nodes affected downstream: 9 datasets, 6 jobs; up to 3 hops');
  });

  it('says nothing is affected plainly', () => {
    expect(summaryLine(report({ direction: 'upstream' }))).toBe('0 nodes upstream');
  });
});
