// Collapsing and grouping: which nodes the explorer draws. A container (a database, a DAG)
// can stand for the nodes it holds; in a big answer every namespace can. Edges are rerouted
// to what stands for their ends, merged (with a count) and dropped inside a group. Pure.
import type { NodeKind, NodeStatus } from '../api/client';
import { childrenOf, type GraphNode, type LineageModel } from './graph';

/** none: every node, containers collapsed on demand; parent/namespace: grouped by default. */
export type GroupMode = 'none' | 'parent' | 'namespace';

export interface CollapseState {
  mode: GroupMode;
  /** Groups whose default is flipped: collapsed in `none`, opened in the other modes. */
  toggled: ReadonlySet<string>;
}

export interface StatusCounts {
  error: number;
  late: number;
  at_risk: number;
  unknown: number;
  ok: number;
}

export interface ViewNode {
  /** A node's id; a container group's id is the container's; a namespace group's `ns:<ns>`. */
  id: string;
  type: 'node' | 'group';
  label: string;
  kind: NodeKind | null;
  namespace: string;
  status: NodeStatus;
  statusMessage: string | null;
  owners: string[];
  isRoot: boolean;
  /** The group key that would collapse this node (its container), when there is one. */
  collapsibleInto: string | null;
  /** For groups: how many model nodes it stands for, and their statuses. */
  members: string[];
  counts: StatusCounts | null;
}

export interface ViewEdge {
  id: string;
  source: string;
  target: string;
  relation: 'flow' | 'contains';
  stale: boolean;
  /** How many model edges this one stands for (>1 once rerouted to a group). */
  count: number;
  /** The model edge, when this view edge is exactly one between two drawn nodes. */
  single: { source: string; target: string } | null;
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** model node id -> the view node standing for it */
  representative: Map<string, string>;
  /** Group keys present (containers with children here, or namespaces), and if collapsed. */
  groups: Map<string, { label: string; collapsed: boolean; size: number }>;
}

const WORST: NodeStatus[] = ['error', 'late', 'at_risk', 'unknown', 'ok'];

export function worstStatus(counts: StatusCounts): NodeStatus {
  return WORST.find((s) => counts[s] > 0) ?? 'unknown';
}

export const nsKey = (namespace: string) => `ns:${namespace}`;

function isCollapsed(state: CollapseState, key: string, defaultCollapsed: boolean): boolean {
  return state.toggled.has(key) !== defaultCollapsed;
}

export function collapse(model: LineageModel, state: CollapseState): ViewGraph {
  const children = childrenOf(model);
  const groups = new Map<string, { label: string; collapsed: boolean; size: number }>();
  const representative = new Map<string, string>();

  if (state.mode === 'namespace') {
    const sizes = new Map<string, number>();
    const grouped = (n: GraphNode) => n.id !== model.rootId && !n.containerOnly;
    for (const n of model.nodes.values()) if (grouped(n)) sizes.set(n.namespace, (sizes.get(n.namespace) ?? 0) + 1);
    for (const [ns, size] of sizes) {
      const key = nsKey(ns);
      // A namespace of one node is that node: a group would only hide its name.
      const collapsed = size > 1 && isCollapsed(state, key, true);
      groups.set(key, { label: ns, collapsed, size });
    }
    for (const n of model.nodes.values()) {
      const key = nsKey(n.namespace);
      representative.set(n.id, grouped(n) && groups.get(key)?.collapsed ? key : n.id);
    }
  } else {
    const defaultCollapsed = state.mode === 'parent';
    for (const [id, kids] of children) {
      const container = model.nodes.get(id)!;
      // The root's own container stays open by default: the root must stay in sight.
      const holdsRoot = kids.includes(model.rootId);
      const collapsed = isCollapsed(state, id, defaultCollapsed && !holdsRoot) && id !== model.rootId;
      groups.set(id, { label: container.name, collapsed, size: kids.length });
    }
    // The outermost collapsed container along each node's parent chain stands for it.
    for (const n of model.nodes.values()) {
      let rep = n.id;
      let cursor: GraphNode | undefined = n;
      const seen = new Set<string>();
      while (cursor?.parent_id && !seen.has(cursor.parent_id)) {
        seen.add(cursor.parent_id);
        const parent = model.nodes.get(cursor.parent_id);
        if (!parent) break;
        if (groups.get(parent.id)?.collapsed) rep = parent.id;
        cursor = parent;
      }
      if (n.id === model.rootId) rep = n.id;
      representative.set(n.id, rep);
    }
  }

  // View nodes: one per representative.
  const members = new Map<string, string[]>();
  for (const [id, rep] of representative) {
    const list = members.get(rep);
    if (list) list.push(id);
    else members.set(rep, [id]);
  }
  const nodes: ViewNode[] = [];
  for (const [rep, ids] of members) {
    const own = model.nodes.get(rep);
    const grouped = groups.get(rep)?.collapsed === true;
    if (!grouped && own) {
      const nsGroup = nsKey(own.namespace);
      const collapsibleInto =
        own.id === model.rootId
          ? null
          : state.mode === 'namespace'
            ? (groups.get(nsGroup)?.size ?? 0) > 1
              ? nsGroup
              : null
            : own.parent_id && groups.has(own.parent_id)
              ? own.parent_id
              : null;
      // A container only listed in `parents` is drawn only as a group (or not at all).
      if (own.containerOnly) continue;
      nodes.push({
        id: own.id,
        type: 'node',
        label: own.name,
        kind: own.kind,
        namespace: own.namespace,
        status: own.status,
        statusMessage: own.status_message,
        owners: own.owners,
        isRoot: own.id === model.rootId,
        collapsibleInto,
        members: [own.id],
        counts: null,
      });
      continue;
    }
    const counts: StatusCounts = { error: 0, late: 0, at_risk: 0, unknown: 0, ok: 0 };
    const inside = ids.filter((id) => id !== rep || !model.nodes.get(id)?.containerOnly);
    for (const id of inside) counts[model.nodes.get(id)!.status] += 1;
    const owners = [...new Set(inside.flatMap((id) => model.nodes.get(id)!.owners))];
    nodes.push({
      id: rep,
      type: 'group',
      label: own ? own.name : (groups.get(rep)?.label ?? rep),
      kind: own ? own.kind : null,
      namespace: own ? own.namespace : (groups.get(rep)?.label ?? ''),
      status: own && own.status === 'error' ? 'error' : worstStatus(counts),
      statusMessage: own?.status_message ?? null,
      owners,
      isRoot: false,
      collapsibleInto: null,
      members: inside,
      counts,
    });
  }

  // Edges, rerouted and merged.
  const merged = new Map<string, ViewEdge>();
  for (const e of model.edges.values()) {
    const s = representative.get(e.source);
    const t = representative.get(e.target);
    if (!s || !t || s === t) continue;
    const id = `${s}>${t}>${e.relation}`;
    const existing = merged.get(id);
    if (existing) {
      existing.count += 1;
      existing.stale = existing.stale && e.stale;
      existing.single = null;
    } else {
      const single = s === e.source && t === e.target ? { source: e.source, target: e.target } : null;
      merged.set(id, { id, source: s, target: t, relation: e.relation, stale: e.stale, count: 1, single });
    }
  }
  const drawn = new Set(nodes.map((n) => n.id));
  const edges = [...merged.values()].filter((e) => drawn.has(e.source) && drawn.has(e.target));
  return { nodes, edges, representative, groups };
}

/** A key that changes when what is drawn changes (not when a status does): relayout on it. */
export function structureKey(view: ViewGraph): string {
  const ids = view.nodes.map((n) => `${n.type[0]}${n.id}`).sort();
  const edges = view.edges.map((e) => e.id).sort();
  return `${ids.join(',')}|${edges.join(',')}`;
}
