import { describe, expect, it } from 'vitest';
import { followFrames, fromFlow, NODE_H, NODE_W, snapshotOf, toFlow, withMembership, type Layout, type NodeFacts, type Snapshot } from './model';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

const stored: Layout = {
  nodes: [
    { node_id: A, x: 10.5, y: -20 },
    { node_id: B, x: 400, y: 0, width: 300, height: 90, collapsed: true, style: { borderColor: 'red' } },
  ],
  groups: [{ id: 'g1', label: 'Ingest', x: -40, y: -80, width: 340, height: 200, node_ids: [A], style: { background: '#eee' } }],
  notes: [{ id: 'n1', text: 'SLA 06:00 UTC', x: 0, y: 300 }],
  viewport: { x: 1, y: 2, zoom: 0.5 },
  hidden_edge_ids: ['00000000-0000-4000-8000-0000000000e1'],
};

const facts = (id: string, status: NodeFacts['status'] = 'ok'): NodeFacts => ({
  node_id: id,
  missing: false,
  kind: 'dataset',
  namespace: 'ns',
  name: `n-${id.slice(-1)}`,
  owner: null,
  status,
  status_message: null,
});

describe('API layout <-> React Flow nodes', () => {
  it('round-trips a stored layout exactly, optional fields left unset', () => {
    const snapshot = snapshotOf(stored);
    const nodes = toFlow(snapshot, new Map([[A, facts(A)]]));
    const back = fromFlow(nodes, snapshot.hidden_edge_ids);
    expect(back).toEqual(snapshot);
    expect(JSON.stringify(back)).toBe(JSON.stringify(snapshot));
    expect('width' in back.nodes[0]!).toBe(false);
    expect('width' in back.notes[0]!).toBe(false);
  });

  it('draws frames under cards and notes above, with known sizes', () => {
    const nodes = toFlow(snapshotOf(stored), new Map());
    expect(nodes.map((n) => [n.type, n.id])).toEqual([
      ['frame', 'g1'],
      ['card', A],
      ['card', B],
      ['note', 'n1'],
    ]);
    const a = nodes[1]!;
    expect([a.width, a.height, a.measured]).toEqual([NODE_W, NODE_H, { width: NODE_W, height: NODE_H }]);
    expect(nodes[2]!.width).toBe(300);
    expect(a.ariaLabel).toBe(`Missing node ${A}`);
  });

  it('saves moved positions and a new size', () => {
    const nodes = toFlow(snapshotOf(stored), new Map());
    const moved = nodes.map((n) => (n.id === A && n.type === 'card' ? { ...n, position: { x: 123.25, y: 7 }, width: 260, data: { ...n.data, sized: true } } : n));
    const back = fromFlow(moved, []);
    expect(back.nodes[0]).toEqual({ node_id: A, x: 123.25, y: 7, width: 260, height: NODE_H });
    expect(back.hidden_edge_ids).toEqual([]);
  });
});

describe('groups', () => {
  const snapshot: Snapshot = {
    nodes: [
      { node_id: A, x: 0, y: 0 },
      { node_id: B, x: 1000, y: 0 },
      { node_id: C, x: 100, y: 50 },
    ],
    groups: [{ id: 'g', label: 'G', x: -50, y: -50, width: 500, height: 300, node_ids: [A] }],
    notes: [],
    hidden_edge_ids: [],
  };

  it('hold the cards whose centre is inside the frame, keeping the order of those kept', () => {
    const nodes = withMembership(toFlow(snapshot, new Map()));
    const frame = nodes.find((n) => n.type === 'frame')!;
    expect(frame.data.item).toMatchObject({ node_ids: [A, C] });
  });

  it('keep the same frame object when nothing changed (memoized frames do not redraw)', () => {
    const nodes = toFlow({ ...snapshot, groups: [{ ...snapshot.groups[0]!, node_ids: [A, C] }] }, new Map());
    expect(withMembership(nodes)[0]).toBe(nodes[0]);
  });

  it('carry their members when the frame is dragged', () => {
    const nodes = toFlow({ ...snapshot, groups: [{ ...snapshot.groups[0]!, node_ids: [A, C] }] }, new Map());
    const changes = followFrames([{ type: 'position', id: 'g', position: { x: -40, y: -30 }, dragging: true }], nodes);
    expect(changes).toEqual([
      { type: 'position', id: 'g', position: { x: -40, y: -30 }, dragging: true },
      { type: 'position', id: A, position: { x: 10, y: 20 }, dragging: true },
      { type: 'position', id: C, position: { x: 110, y: 70 }, dragging: true },
    ]);
  });

  it('do not move a member twice when it is dragged with its frame', () => {
    const nodes = toFlow(snapshot, new Map());
    const changes = followFrames(
      [
        { type: 'position', id: 'g', position: { x: -40, y: -50 }, dragging: true },
        { type: 'position', id: A, position: { x: 10, y: 0 }, dragging: true },
      ],
      nodes,
    );
    expect(changes).toHaveLength(2);
  });
});
