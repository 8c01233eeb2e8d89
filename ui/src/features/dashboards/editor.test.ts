import { describe, expect, it } from 'vitest';
import { cardKey, drawnEdges as drawn, editorReducer, initialState, isDirty, type EditorState } from './editor';
import type { NodeFacts, Snapshot } from './model';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const E1 = '00000000-0000-4000-8000-0000000000e1';
const E2 = '00000000-0000-4000-8000-0000000000e2';

const snapshot: Snapshot = {
  nodes: [
    { node_id: A, x: 0, y: 0 },
    { node_id: B, x: 400, y: 0 },
  ],
  groups: [],
  notes: [],
  hidden_edge_ids: [],
};
const facts = (id: string, status: NodeFacts['status'] = 'ok'): NodeFacts => ({
  node_id: id,
  missing: false,
  kind: 'dataset',
  namespace: 'ns',
  name: id.slice(-1),
  owner: null,
  status,
  status_message: null,
});
const edges = [{ id: E1, source_id: A, target_id: B }];

function run(state: EditorState, ...actions: Parameters<typeof editorReducer>[1][]): EditorState {
  return actions.reduce(editorReducer, state);
}

const drawnEdges = (state: EditorState) => drawn(state.edges, state.hidden, cardKey(state.nodes));
const fresh = () => initialState(snapshot, [facts(A), facts(B)], edges);
const drag = (id: string, x: number, y: number, dragging: boolean) => ({
  type: 'changes' as const,
  changes: [{ type: 'position' as const, id, position: { x, y }, dragging }],
});

describe('the dashboard editor', () => {
  it('takes one step of history per drag, when it is released', () => {
    const state = run(fresh(), drag(A, 5, 5, true), drag(A, 10, 12, true));
    expect(state.history.past).toHaveLength(0);
    expect(state.nodes.find((n) => n.id === A)!.position).toEqual({ x: 10, y: 12 });
    const done = run(state, drag(A, 11, 12, false));
    expect(done.history.past).toHaveLength(1);
    expect(done.history.present.nodes[0]).toEqual({ node_id: A, x: 11, y: 12 });
    expect(isDirty(done)).toBe(true);
  });

  it('undoes and redoes edits, and is clean again once back at the saved state', () => {
    const moved = run(fresh(), drag(A, 50, 60, false), { type: 'addNote', text: 'owner: finance', at: { x: 0, y: 200 } });
    expect(moved.history.present.notes).toEqual([{ id: 'note-1', text: 'owner: finance', x: 0, y: 200 }]);
    const back = run(moved, { type: 'undo' }, { type: 'undo' });
    expect(back.nodes.map((n) => n.id)).toEqual([A, B]);
    expect(back.nodes[0]!.position).toEqual({ x: 0, y: 0 });
    expect(isDirty(back)).toBe(false);
    const again = run(back, { type: 'redo' });
    expect(again.nodes[0]!.position).toEqual({ x: 50, y: 60 });
    expect(isDirty(again)).toBe(true);
  });

  it('is clean after a save of the present', () => {
    const moved = run(fresh(), drag(B, 1, 2, false));
    expect(isDirty(run(moved, { type: 'saved', snapshot: moved.history.present }))).toBe(false);
  });

  it('draws a group around the selected cards, and renames it', () => {
    const state = run(fresh(), { type: 'addGroup', label: 'Ingest', around: [A, B], at: { x: 0, y: 0 } }, { type: 'renameGroup', id: 'group-1', label: 'Revenue' });
    const [group] = state.history.present.groups;
    expect(group).toMatchObject({ id: 'group-1', label: 'Revenue', node_ids: [A, B] });
    expect(group!.x).toBeLessThan(0);
    expect(group!.x + group!.width).toBeGreaterThan(400 + 240);
    expect(state.nodes[0]!.type).toBe('frame');
    expect(state.history.past).toHaveLength(2);
  });

  it('removes a node from the canvas and from its group', () => {
    const state = run(fresh(), { type: 'addGroup', label: 'G', around: [A, B], at: { x: 0, y: 0 } }, { type: 'remove', ids: [A] });
    expect(state.history.present.nodes.map((n) => n.node_id)).toEqual([B]);
    expect(state.history.present.groups[0]!.node_ids).toEqual([B]);
  });

  it('adds cards once, with their facts', () => {
    const state = run(fresh(), { type: 'addCards', items: [{ node_id: C, x: 800, y: 0 }, { node_id: A, x: 9, y: 9 }], facts: [facts(C, 'error')] });
    expect(state.history.present.nodes).toEqual([...snapshot.nodes, { node_id: C, x: 800, y: 0 }]);
    const card = state.nodes.find((n) => n.id === C)!;
    expect(card.type === 'card' && card.data.facts?.status).toBe('error');
  });

  it('hides and shows edges', () => {
    const withE2 = run(fresh(), { type: 'addCards', items: [{ node_id: C, x: 800, y: 0 }], facts: [] }, { type: 'edges', edges: [{ id: E2, source_id: B, target_id: C }] });
    expect(drawnEdges(withE2).map((e) => e.id)).toEqual([E1, E2]);
    const hidden = run(withE2, { type: 'hideEdge', id: E1 });
    expect(drawnEdges(hidden).map((e) => e.id)).toEqual([E2]);
    expect(hidden.history.present.hidden_edge_ids).toEqual([E1]);
    expect(drawnEdges(run(hidden, { type: 'showEdges', ids: [E1] })).map((e) => e.id)).toEqual([E1, E2]);
  });

  it('refreshes live status without a step of history, and keeps unchanged cards as they were', () => {
    const state = fresh();
    const next = run(state, { type: 'facts', facts: [facts(A, 'error'), facts(B)] });
    expect(next.history).toBe(state.history);
    const a = next.nodes.find((n) => n.id === A)!;
    expect(a.type === 'card' && a.data.facts?.status).toBe('error');
    expect(a.ariaLabel).toBe('Node a, Error');
    expect(next.nodes.find((n) => n.id === B)).toBe(state.nodes.find((n) => n.id === B));
  });

  it('a resized card is saved with its size from then on', () => {
    const state = run(fresh(), { type: 'changes', changes: [{ type: 'dimensions', id: A, dimensions: { width: 300, height: 80 }, resizing: true, setAttributes: true }] }, { type: 'changes', changes: [{ type: 'dimensions', id: A, dimensions: { width: 320, height: 80 }, resizing: false, setAttributes: true }] });
    expect(state.history.present.nodes[0]).toEqual({ node_id: A, x: 0, y: 0, width: 320, height: 80 });
  });

  it('places nodes where the arranging put them, as one step', () => {
    const state = run(fresh(), { type: 'place', positions: { [A]: { x: 0, y: 100 }, [B]: { x: 300, y: 100 } } });
    expect(state.history.past).toHaveLength(1);
    expect(state.history.present.nodes.map((n) => [n.x, n.y])).toEqual([
      [0, 100],
      [300, 100],
    ]);
  });
});
