// The lineage explorer's graph: built from one or more lineage answers (the root's, each
// expanded node's, a shortest path), merged by id. Pure: no React, no fetch.
import type { ContainerNode, LineageEdge, LineageGraph, LineageNode, NodeKind, NodeStatus } from '../api/client';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  namespace: string;
  name: string;
  owner: string | null;
  owners: string[];
  status: NodeStatus;
  status_message: string | null;
  parent_id: string | null;
  /** Only a container: in `parents` of an answer, reached by no flow. */
  containerOnly: boolean;
}

export interface GraphEdge {
  /** `source>target>relation`: lineage answers carry no edge id. */
  key: string;
  source: string;
  target: string;
  relation: 'flow' | 'contains';
  stale: boolean;
}

export interface LineageModel {
  rootId: string;
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
}

export function edgeKey(source: string, target: string, relation: string): string {
  return `${source}>${target}>${relation}`;
}

function fromLineage(n: LineageNode | ContainerNode, containerOnly: boolean): GraphNode {
  return {
    id: n.id,
    kind: n.kind,
    namespace: n.namespace,
    name: n.name,
    owner: n.owner,
    owners: n.owners,
    status: n.status,
    status_message: n.status_message,
    parent_id: n.parent_id,
    containerOnly,
  };
}

/** Merge lineage answers (later ones bring newer facts) into one model around `rootId`. */
export function buildModel(rootId: string, answers: (Pick<LineageGraph, 'nodes' | 'edges' | 'parents'> | undefined)[]): LineageModel {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  for (const answer of answers) {
    if (!answer) continue;
    for (const n of answer.nodes) nodes.set(n.id, fromLineage(n, false));
    for (const e of answer.edges) addEdge(edges, e);
  }
  // Containers last: a container that some answer reached by flow stays a flow node.
  for (const answer of answers) {
    if (!answer) continue;
    for (const p of answer.parents) if (!nodes.has(p.id)) nodes.set(p.id, fromLineage(p, true));
  }
  for (const [key, e] of edges) if (!nodes.has(e.source) || !nodes.has(e.target)) edges.delete(key);
  return { rootId, nodes, edges };
}

function addEdge(edges: Map<string, GraphEdge>, e: LineageEdge): void {
  const relation = e.relation ?? 'flow';
  const key = edgeKey(e.source_id, e.target_id, relation);
  edges.set(key, { key, source: e.source_id, target: e.target_id, relation, stale: e.stale ?? false });
}

/** The ids of the containers some node of the model sits in (its parent chain, as known). */
export function containerIds(model: LineageModel): Set<string> {
  const ids = new Set<string>();
  for (const n of model.nodes.values()) if (n.parent_id && model.nodes.has(n.parent_id)) ids.add(n.parent_id);
  return ids;
}

/** Children of each container present in the model. */
export function childrenOf(model: LineageModel): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const n of model.nodes.values()) {
    if (!n.parent_id || !model.nodes.has(n.parent_id)) continue;
    const list = children.get(n.parent_id);
    if (list) list.push(n.id);
    else children.set(n.parent_id, [n.id]);
  }
  return children;
}

/** Which side of the root each node is on, following flow edges: for coloring and layout hints. */
export function sides(model: LineageModel): Map<string, 'root' | 'up' | 'down' | 'both'> {
  const out = new Map<string, string[]>();
  const inn = new Map<string, string[]>();
  for (const e of model.edges.values()) {
    if (e.relation !== 'flow') continue;
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e.target);
    (inn.get(e.target) ?? inn.set(e.target, []).get(e.target)!).push(e.source);
  }
  const reach = (adjacency: Map<string, string[]>): Set<string> => {
    const seen = new Set<string>([model.rootId]);
    const queue = [model.rootId];
    while (queue.length) {
      const id = queue.pop()!;
      for (const next of adjacency.get(id) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return seen;
  };
  const down = reach(out);
  const up = reach(inn);
  const result = new Map<string, 'root' | 'up' | 'down' | 'both'>();
  for (const id of model.nodes.keys()) {
    if (id === model.rootId) result.set(id, 'root');
    else if (down.has(id) && up.has(id)) result.set(id, 'both');
    else if (down.has(id)) result.set(id, 'down');
    else if (up.has(id)) result.set(id, 'up');
  }
  return result;
}
