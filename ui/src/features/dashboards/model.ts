// A dashboard's canvas both ways: the API's layout <-> React Flow nodes. Pure: no React, no
// fetch. The stored layout comes back exactly as it was saved (optional fields a client never
// set stay unset, styles and flags it does not know are carried through), so opening and
// saving a dashboard without touching it changes nothing.
import { Position, type Node, type NodeChange, type NodeHandle } from '@xyflow/react';
import type { Schemas } from '../../api/client';
import { STATUS_LABEL } from '../../components/StatusBadge';

export type Layout = Schemas['Layout'];
export type LayoutNode = Schemas['LayoutNode'];
export type LayoutGroup = Schemas['LayoutGroup'];
export type LayoutNote = Schemas['LayoutNote'];
export type NodeFacts = Schemas['NodeFacts'];
export type Viewport = Schemas['Viewport'];

/** What undo/redo and saving deal in: the layout without the viewport (looking is not editing). */
export interface Snapshot {
  nodes: LayoutNode[];
  groups: LayoutGroup[];
  notes: LayoutNote[];
  hidden_edge_ids: string[];
}

/** Sizes drawn when the layout does not give one (the server lays out 240 x 64). */
export const NODE_W = 240;
export const NODE_H = 64;
export const NOTE_W = 200;
export const NOTE_H = 120;
/** A new group frame drawn around the selection leaves this much room inside. */
export const FRAME_PAD = 32;
export const FRAME_HEADER = 28;

export interface CardData extends Record<string, unknown> {
  /** The stored item, for what React Flow does not hold (style, collapsed, ...). */
  item: LayoutNode;
  facts: NodeFacts | undefined;
  /** The layout gave a size (or the editor resized it): saved with one. */
  sized: boolean;
}
export interface FrameData extends Record<string, unknown> {
  item: LayoutGroup;
}
export interface NoteData extends Record<string, unknown> {
  item: LayoutNote;
  sized: boolean;
}

export type CardNode = Node<CardData, 'card'>;
export type FrameNode = Node<FrameData, 'frame'>;
export type NoteNode = Node<NoteData, 'note'>;
export type DashNode = CardNode | FrameNode | NoteNode;

export function emptySnapshot(): Snapshot {
  return { nodes: [], groups: [], notes: [], hidden_edge_ids: [] };
}

export function snapshotOf(layout: Layout): Snapshot {
  return {
    nodes: layout.nodes ?? [],
    groups: layout.groups ?? [],
    notes: layout.notes ?? [],
    hidden_edge_ids: layout.hidden_edge_ids ?? [],
  };
}

export function withViewport(snapshot: Snapshot, viewport: Viewport): Layout {
  return { ...snapshot, viewport };
}

/** Known size and handles: React Flow need not mount a node to measure it (1,000 nodes). */
function sizeOf(width: number, height: number) {
  return { width, height, measured: { width, height } };
}

const HANDLE = 6;
const handlesCache = new Map<string, NodeHandle[]>();

/**
 * A card's two handles (edges in on the left, out on the right), given up front: React Flow
 * would otherwise mount every card once to find them. Kept in step with the card's size.
 */
export function cardHandles(width: number, height: number): NodeHandle[] {
  const key = `${width}x${height}`;
  let handles = handlesCache.get(key);
  if (!handles) {
    const y = height / 2 - HANDLE / 2;
    handles = [
      { type: 'target', position: Position.Left, x: -HANDLE / 2, y, width: HANDLE, height: HANDLE },
      { type: 'source', position: Position.Right, x: width - HANDLE / 2, y, width: HANDLE, height: HANDLE },
    ];
    handlesCache.set(key, handles);
  }
  return handles;
}

export function cardNode(item: LayoutNode, facts: NodeFacts | undefined): CardNode {
  const width = item.width ?? NODE_W;
  const height = item.height ?? NODE_H;
  return {
    id: item.node_id,
    type: 'card',
    position: { x: item.x, y: item.y },
    ...sizeOf(width, height),
    handles: cardHandles(width, height),
    zIndex: 1,
    data: { item, facts, sized: item.width != null || item.height != null },
    ariaLabel: cardLabel(facts, item.node_id),
  };
}

export function cardLabel(facts: NodeFacts | undefined, id: string): string {
  if (!facts || facts.missing) return `Missing node ${id}`;
  return `Node ${facts.name ?? id}, ${STATUS_LABEL[facts.status ?? 'unknown']}`;
}

export function frameNode(item: LayoutGroup): FrameNode {
  return {
    id: item.id,
    type: 'frame',
    position: { x: item.x, y: item.y },
    ...sizeOf(item.width, item.height),
    zIndex: 0,
    data: { item },
    ariaLabel: `Group ${item.label || '(unnamed)'}`,
  };
}

export function noteNode(item: LayoutNote): NoteNode {
  return {
    id: item.id,
    type: 'note',
    position: { x: item.x, y: item.y },
    ...sizeOf(item.width ?? NOTE_W, item.height ?? NOTE_H),
    zIndex: 2,
    data: { item, sized: item.width != null || item.height != null },
    ariaLabel: `Note: ${item.text.slice(0, 60)}`,
  };
}

/** The canvas of a snapshot: frames first (drawn under), then the cards, then the notes. */
export function toFlow(snapshot: Snapshot, facts: ReadonlyMap<string, NodeFacts>): DashNode[] {
  return [
    ...snapshot.groups.map(frameNode),
    ...snapshot.nodes.map((n) => cardNode(n, facts.get(n.node_id))),
    ...snapshot.notes.map(noteNode),
  ];
}

function widthOf(n: DashNode): number {
  return n.width ?? n.measured?.width ?? 0;
}
function heightOf(n: DashNode): number {
  return n.height ?? n.measured?.height ?? 0;
}

/** The snapshot the canvas shows now (what a save sends, with the viewport). */
export function fromFlow(nodes: readonly DashNode[], hidden: readonly string[]): Snapshot {
  const out = emptySnapshot();
  for (const n of nodes) {
    const { x, y } = n.position;
    if (n.type === 'card') {
      const item: LayoutNode = { ...n.data.item, x, y };
      if (n.data.sized) Object.assign(item, { width: widthOf(n), height: heightOf(n) });
      out.nodes.push(item);
    } else if (n.type === 'frame') {
      out.groups.push({ ...n.data.item, x, y, width: widthOf(n), height: heightOf(n) });
    } else {
      const item: LayoutNote = { ...n.data.item, x, y };
      if (n.data.sized) Object.assign(item, { width: widthOf(n), height: heightOf(n) });
      out.notes.push(item);
    }
  }
  out.hidden_edge_ids = [...hidden];
  return out;
}

/** Stable text of a snapshot, to tell whether anything changed. */
export function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function boxOf(n: DashNode): Box {
  return { x: n.position.x, y: n.position.y, width: widthOf(n), height: heightOf(n) };
}

/** The smallest box around these boxes (null for none). */
export function bounds(boxes: readonly Box[]): Box | null {
  if (boxes.length === 0) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

function centreInside(n: DashNode, frame: Box): boolean {
  const b = boxOf(n);
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  return cx >= frame.x && cx <= frame.x + frame.width && cy >= frame.y && cy <= frame.y + frame.height;
}

/**
 * Each group holds the cards whose centre lies inside its frame: after a card or a frame
 * moved or was resized. Members still inside keep their order; a group whose members did
 * not change keeps its node object (memoized frames do not redraw).
 */
export function withMembership(nodes: readonly DashNode[]): DashNode[] {
  const cards = nodes.filter((n): n is CardNode => n.type === 'card');
  return nodes.map((n) => {
    if (n.type !== 'frame') return n;
    const frame = boxOf(n);
    const inside = new Set(cards.filter((c) => centreInside(c, frame)).map((c) => c.id));
    const before = n.data.item.node_ids ?? [];
    const kept = before.filter((id) => inside.has(id));
    const added = [...inside].filter((id) => !before.includes(id));
    const members = [...kept, ...added];
    if (members.length === before.length && members.every((id, i) => id === before[i])) return n;
    return { ...n, data: { item: { ...n.data.item, node_ids: members } } };
  });
}

/**
 * A frame dragged carries its members: for each frame's position change, the same move for
 * each member that is not itself being moved (a selection dragged together moves once).
 */
export function followFrames(changes: NodeChange<DashNode>[], nodes: readonly DashNode[]): NodeChange<DashNode>[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const moving = new Set(changes.filter((c) => c.type === 'position').map((c) => c.id));
  const extra: NodeChange<DashNode>[] = [];
  for (const change of changes) {
    if (change.type !== 'position' || !change.position) continue;
    const frame = byId.get(change.id);
    if (frame?.type !== 'frame') continue;
    const dx = change.position.x - frame.position.x;
    const dy = change.position.y - frame.position.y;
    if (dx === 0 && dy === 0 && change.dragging !== false) continue;
    for (const id of frame.data.item.node_ids ?? []) {
      const member = byId.get(id);
      if (!member || moving.has(id)) continue;
      moving.add(id);
      extra.push({
        type: 'position',
        id,
        position: { x: member.position.x + dx, y: member.position.y + dy },
        dragging: change.dragging,
      });
    }
  }
  return extra.length ? [...changes, ...extra] : changes;
}

/** New nodes' top-left corners: a column from `at` downwards, spaced by a card and a gap. */
export function column(count: number, at: { x: number; y: number }, gap = 24): { x: number; y: number }[] {
  return Array.from({ length: count }, (_, i) => ({ x: at.x, y: at.y + i * (NODE_H + gap) }));
}

/** An item id not used on the canvas yet (nodes, groups and notes share one id space). */
export function freshId(prefix: 'group' | 'note', taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let i = 1; ; i++) {
    const id = `${prefix}-${i}`;
    if (!used.has(id)) return id;
  }
}
