// The dashboard editor's state and every edit as a pure reducer: React Flow's node changes,
// adding and removing, groups, notes, hidden edges, arranging, undo/redo. A step of history
// is taken when an edit is complete (a drag or a resize released, a note's text committed).
import { applyNodeChanges, type Edge, type NodeChange } from '@xyflow/react';
import { canRedo, canUndo, push, redo, start, undo, type History } from './history';
import {
  bounds,
  boxOf,
  cardHandles,
  cardLabel,
  cardNode,
  followFrames,
  FRAME_HEADER,
  FRAME_PAD,
  frameNode,
  freshId,
  fromFlow,
  noteNode,
  sameSnapshot,
  toFlow,
  withMembership,
  type DashNode,
  type LayoutNode,
  type NodeFacts,
  type Snapshot,
} from './model';

export interface CatalogEdge {
  id: string;
  source_id: string;
  target_id: string;
}

export interface EditorState {
  nodes: DashNode[];
  hidden: string[];
  history: History<Snapshot>;
  /** What the server holds (the last load or save): unsaved when the present differs. */
  saved: Snapshot;
  facts: Map<string, NodeFacts>;
  /** Catalog edges between nodes of the canvas, hidden ones included once known. */
  edges: Map<string, CatalogEdge>;
}

type Point = { x: number; y: number };

export type EditorAction =
  | { type: 'load'; snapshot: Snapshot; facts: readonly NodeFacts[]; edges: readonly CatalogEdge[] }
  | { type: 'saved'; snapshot: Snapshot }
  | { type: 'changes'; changes: NodeChange<DashNode>[] }
  | { type: 'addCards'; items: { node_id: string; x: number; y: number }[]; facts: readonly NodeFacts[] }
  | { type: 'remove'; ids: readonly string[] }
  | { type: 'addGroup'; label: string; around: readonly string[]; at: Point }
  | { type: 'renameGroup'; id: string; label: string }
  | { type: 'addNote'; text: string; at: Point }
  | { type: 'editNote'; id: string; text: string }
  | { type: 'hideEdge'; id: string }
  | { type: 'showEdges'; ids: readonly string[] }
  | { type: 'place'; positions: Record<string, Point>; refitFrames?: boolean }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'facts'; facts: readonly NodeFacts[] }
  | { type: 'edges'; edges: readonly CatalogEdge[] };

export function initialState(snapshot: Snapshot, facts: readonly NodeFacts[], edges: readonly CatalogEdge[]): EditorState {
  const known = new Map(facts.map((f) => [f.node_id, f]));
  return {
    nodes: toFlow(snapshot, known),
    hidden: snapshot.hidden_edge_ids,
    history: start(snapshot),
    saved: snapshot,
    facts: known,
    edges: new Map(edges.map((e) => [e.id, e])),
  };
}

/** The present as the canvas shows it, as one step of history. */
function commit(state: EditorState, nodes: DashNode[] = state.nodes, hidden: string[] = state.hidden): EditorState {
  return { ...state, nodes, hidden, history: push(state.history, fromFlow(nodes, hidden), sameSnapshot) };
}

function restore(state: EditorState, history: History<Snapshot>): EditorState {
  return { ...state, history, nodes: toFlow(history.present, state.facts), hidden: history.present.hidden_edge_ids };
}

/** A drag or a resize released, or a node deleted with the keyboard: the edit is complete. */
function completes(change: NodeChange<DashNode>): boolean {
  if (change.type === 'position') return change.dragging === false;
  if (change.type === 'dimensions') return change.resizing === false;
  return change.type === 'remove';
}

/** Resized by hand: from now on saved with its size (a card's handles follow its edges). */
function markSized(nodes: DashNode[], changes: NodeChange<DashNode>[]): DashNode[] {
  const resized = new Set(changes.flatMap((c) => (c.type === 'dimensions' && c.resizing !== undefined ? [c.id] : [])));
  if (resized.size === 0) return nodes;
  return nodes.map((n) => {
    if (!resized.has(n.id) || n.type === 'frame') return n;
    const sized = { ...n, data: { ...n.data, sized: true } } as DashNode;
    if (n.type === 'card') sized.handles = cardHandles(boxOf(n).width, boxOf(n).height);
    return sized;
  });
}

function removeIds(nodes: DashNode[], ids: ReadonlySet<string>): DashNode[] {
  return nodes
    .filter((n) => !ids.has(n.id))
    .map((n) => {
      if (n.type !== 'frame') return n;
      const members = n.data.item.node_ids ?? [];
      if (!members.some((id) => ids.has(id))) return n;
      return { ...n, data: { item: { ...n.data.item, node_ids: members.filter((id) => !ids.has(id)) } } };
    });
}

/** The room a frame leaves around its members (and its label above them). */
function frameAround(box: { x: number; y: number; width: number; height: number }) {
  return {
    x: box.x - FRAME_PAD,
    y: box.y - FRAME_PAD - FRAME_HEADER,
    width: box.width + 2 * FRAME_PAD,
    height: box.height + 2 * FRAME_PAD + FRAME_HEADER,
  };
}

/** After the whole canvas was rearranged, each group's frame goes around its members again. */
function refitFrames(nodes: DashNode[]): DashNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return nodes.map((n) => {
    if (n.type !== 'frame') return n;
    const members = (n.data.item.node_ids ?? []).map((id) => byId.get(id)).filter((m) => m !== undefined);
    const box = bounds(members.map(boxOf));
    if (!box) return n;
    const frame = frameAround(box);
    return { ...n, position: { x: frame.x, y: frame.y }, width: frame.width, height: frame.height, measured: { width: frame.width, height: frame.height } };
  });
}

function withFacts(state: EditorState, facts: readonly NodeFacts[]): EditorState {
  const known = new Map(state.facts);
  const changed = new Set<string>();
  for (const f of facts) {
    const before = known.get(f.node_id);
    if (!before || JSON.stringify(before) !== JSON.stringify(f)) changed.add(f.node_id);
    known.set(f.node_id, f);
  }
  if (changed.size === 0) return state;
  const nodes = state.nodes.map((n) => {
    if (n.type !== 'card' || !changed.has(n.id)) return n;
    const f = known.get(n.id);
    return { ...n, data: { ...n.data, facts: f }, ariaLabel: cardLabel(f, n.id) };
  });
  return { ...state, facts: known, nodes };
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  switch (action.type) {
    case 'load':
      return initialState(action.snapshot, action.facts, action.edges);
    case 'saved':
      return { ...state, saved: action.snapshot };
    case 'changes': {
      const changes = followFrames(action.changes, state.nodes);
      const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
      let nodes = markSized(applyNodeChanges(changes, state.nodes), changes);
      if (removed.size) nodes = removeIds(nodes, removed);
      if (!changes.some(completes)) return { ...state, nodes };
      return commit(state, withMembership(nodes));
    }
    case 'addCards': {
      const state2 = withFacts(state, action.facts);
      const present = new Set(state2.nodes.map((n) => n.id));
      const added = action.items
        .filter((i) => !present.has(i.node_id))
        .map((i) => cardNode({ node_id: i.node_id, x: i.x, y: i.y } as LayoutNode, state2.facts.get(i.node_id)));
      if (added.length === 0) return state2;
      return commit(state2, withMembership([...state2.nodes, ...added]));
    }
    case 'remove':
      return commit(state, removeIds(state.nodes, new Set(action.ids)));
    case 'addGroup': {
      const members = state.nodes.filter((n) => n.type === 'card' && action.around.includes(n.id));
      const box = bounds(members.map(boxOf));
      const frame = box ? frameAround(box) : { x: action.at.x, y: action.at.y, width: 420, height: 260 };
      const id = freshId('group', state.nodes.map((n) => n.id));
      const group = frameNode({ id, label: action.label, ...frame, node_ids: [] });
      // Frames are drawn under the cards: first in the list.
      return commit(state, withMembership([group, ...state.nodes]));
    }
    case 'renameGroup':
      return commit(
        state,
        state.nodes.map((n) =>
          n.id === action.id && n.type === 'frame' ? { ...n, data: { item: { ...n.data.item, label: action.label } }, ariaLabel: `Group ${action.label || '(unnamed)'}` } : n,
        ),
      );
    case 'addNote': {
      const id = freshId('note', state.nodes.map((n) => n.id));
      return commit(state, [...state.nodes, noteNode({ id, text: action.text, x: action.at.x, y: action.at.y })]);
    }
    case 'editNote':
      return commit(
        state,
        state.nodes.map((n) => (n.id === action.id && n.type === 'note' ? { ...n, data: { ...n.data, item: { ...n.data.item, text: action.text } }, ariaLabel: `Note: ${action.text.slice(0, 60)}` } : n)),
      );
    case 'hideEdge':
      return state.hidden.includes(action.id) ? state : commit(state, state.nodes, [...state.hidden, action.id]);
    case 'showEdges':
      return commit(state, state.nodes, state.hidden.filter((id) => !action.ids.includes(id)));
    case 'place': {
      let nodes = state.nodes.map((n) => {
        const p = action.positions[n.id];
        return p ? { ...n, position: p } : n;
      });
      if (action.refitFrames) nodes = refitFrames(nodes);
      return commit(state, withMembership(nodes));
    }
    case 'undo':
      return canUndo(state.history) ? restore(state, undo(state.history)) : state;
    case 'redo':
      return canRedo(state.history) ? restore(state, redo(state.history)) : state;
    case 'facts':
      return withFacts(state, action.facts);
    case 'edges': {
      const edges = new Map(state.edges);
      for (const e of action.edges) edges.set(e.id, e);
      return { ...state, edges };
    }
  }
}

export const isDirty = (state: EditorState): boolean => !sameSnapshot(state.history.present, state.saved);

/** The ids of the canvas's cards, as one string: unchanged while nodes only move. */
export function cardKey(nodes: readonly DashNode[]): string {
  let key = '';
  for (const n of nodes) if (n.type === 'card') key += `${n.id},`;
  return key;
}

/** The catalog edges to draw: both ends on the canvas (`cards`, from cardKey), not hidden. */
export function drawnEdges(edges: ReadonlyMap<string, CatalogEdge>, hidden: readonly string[], cards: string): Edge[] {
  const onCanvas = new Set(cards.split(','));
  const hiddenSet = new Set(hidden);
  const out: Edge[] = [];
  for (const e of edges.values()) {
    if (hiddenSet.has(e.id) || !onCanvas.has(e.source_id) || !onCanvas.has(e.target_id)) continue;
    out.push({ id: e.id, source: e.source_id, target: e.target_id });
  }
  return out;
}
