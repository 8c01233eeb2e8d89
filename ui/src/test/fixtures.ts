import type { ContainerNode, LineageGraph, LineageNode, NodeKind } from '../api/client';

export function lnode(id: string, extra: Partial<LineageNode> = {}): LineageNode {
  return {
    id,
    kind: 'dataset' as NodeKind,
    namespace: 'postgres://db:5432',
    name: id,
    owner: 'team',
    owners: ['team'],
    status: 'ok',
    status_message: null,
    parent_id: null,
    distance: 0,
    ...extra,
  };
}

export function container(id: string, extra: Partial<ContainerNode> = {}): ContainerNode {
  return { id, kind: 'postgres', namespace: 'postgres://db:5432', name: id, owner: 'dba', owners: ['dba'], status: 'ok', status_message: null, parent_id: null, ...extra };
}

export function answer(nodes: LineageNode[], edges: [string, string, ('flow' | 'contains')?][], parents: ContainerNode[] = []): LineageGraph {
  return {
    root_id: nodes[0]?.id ?? '',
    direction: 'both',
    depth: null,
    nodes,
    edges: edges.map(([s, t, relation]) => ({ source_id: s, target_id: t, relation: relation ?? 'flow', stale: false })),
    parents,
    truncated: false,
    as_of: null,
  };
}
