import { describe, expect, it } from 'vitest';
import { answer, container, lnode } from '../test/fixtures';
import { collapse, nsKey, structureKey, type CollapseState } from './collapse';
import { buildModel } from './graph';

// raw.orders -> task -> mart.revenue -> ml.job ; tables in db "shop", task in dag "pipeline"
const model = buildModel('revenue', [
  answer(
    [
      lnode('revenue', { parent_id: 'shop' }),
      lnode('orders', { parent_id: 'shop', status: 'error' }),
      lnode('payments', { parent_id: 'shop', status: 'at_risk' }),
      lnode('task', { kind: 'job', namespace: 'airflow', parent_id: 'pipeline' }),
      lnode('task2', { kind: 'job', namespace: 'airflow', parent_id: 'pipeline' }),
      lnode('ml', { kind: 'job', namespace: 'spark' }),
    ],
    [
      ['orders', 'task'],
      ['payments', 'task2'],
      ['task', 'revenue'],
      ['task2', 'revenue'],
      ['revenue', 'ml'],
    ],
    [container('shop'), container('pipeline', { kind: 'job', namespace: 'airflow' })],
  ),
]);

const state = (mode: CollapseState['mode'], toggled: string[] = []): CollapseState => ({ mode, toggled: new Set(toggled) });

describe('collapse', () => {
  it('draws every flow node and no container-only node when nothing is collapsed', () => {
    const view = collapse(model, state('none'));
    expect(view.nodes.map((n) => n.id).sort()).toEqual(['ml', 'orders', 'payments', 'revenue', 'task', 'task2']);
    expect(view.edges).toHaveLength(5);
    expect(view.groups.get('pipeline')).toEqual({ label: 'pipeline', collapsed: false, size: 2 });
  });

  it('folds a collapsed container’s children into it and merges their edges with a count', () => {
    const view = collapse(model, state('none', ['pipeline']));
    const group = view.nodes.find((n) => n.id === 'pipeline');
    expect(group?.type).toBe('group');
    expect(group?.members.sort()).toEqual(['task', 'task2']);
    const intoRevenue = view.edges.find((e) => e.source === 'pipeline' && e.target === 'revenue');
    expect(intoRevenue?.count).toBe(2);
    expect(intoRevenue?.single).toBeNull();
    expect(view.nodes.some((n) => n.id === 'task')).toBe(false);
  });

  it('never folds the root away: its container stays open by default in parent mode', () => {
    const view = collapse(model, state('parent'));
    expect(view.nodes.some((n) => n.id === 'revenue' && n.isRoot)).toBe(true);
    expect(view.groups.get('shop')?.collapsed).toBe(false);
    expect(view.groups.get('pipeline')?.collapsed).toBe(true);
  });

  it('shows a group’s worst status, counting each member', () => {
    const view = collapse(model, state('none', ['shop']));
    // the root stays out of the group, its siblings go in
    const shop = view.nodes.find((n) => n.id === 'shop');
    expect(shop?.counts).toEqual({ error: 1, late: 0, at_risk: 1, unknown: 0, ok: 0 });
    expect(shop?.status).toBe('error');
    expect(view.nodes.some((n) => n.id === 'revenue')).toBe(true);
  });

  it('groups by namespace, leaving the root and one-node namespaces as they are', () => {
    const view = collapse(model, state('namespace'));
    const ids = view.nodes.map((n) => n.id).sort();
    expect(ids).toEqual(['ml', nsKey('airflow'), nsKey('postgres://db:5432'), 'revenue'].sort());
    const airflow = view.nodes.find((n) => n.id === nsKey('airflow'));
    expect(airflow?.members.sort()).toEqual(['task', 'task2']);
  });

  it('opens a namespace group when it is toggled', () => {
    const view = collapse(model, state('namespace', [nsKey('airflow')]));
    expect(view.nodes.some((n) => n.id === 'task')).toBe(true);
    expect(view.nodes.find((n) => n.id === 'task')?.collapsibleInto).toBe(nsKey('airflow'));
  });

  it('keeps the structure key when only a status changes, not when a node goes', () => {
    const before = structureKey(collapse(model, state('none')));
    const recolored = buildModel('revenue', [answer([...model.nodes.values()].filter((n) => !n.containerOnly).map((n) => lnode(n.id, { ...n, status: 'error', distance: 0 })), [...model.edges.values()].map((e) => [e.source, e.target]), [container('shop'), container('pipeline')])]);
    expect(structureKey(collapse(recolored, state('none')))).toBe(before);
    expect(structureKey(collapse(model, state('none', ['pipeline'])))).not.toBe(before);
  });
});
