// The editor's side panel: the dashboard's details, the selection's actions, adding nodes
// from search, and the hidden edges.
import { useQueries } from '@tanstack/react-query';
import { useEffect, useState, type Dispatch } from 'react';
import type { NodeKind, NodeStatus } from '../../api/client';
import { fetchLineage, useNodes } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';
import { StatusBadge } from '../../components/StatusBadge';
import { useDebounced } from '../../lib/useDebounced';
import type { EditorAction, EditorState } from './editor';
import { boxOf, column, NODE_H, NODE_W, type CardNode, type NodeFacts } from './model';
import { edgeById, edgesOf } from './queries';

export interface Meta {
  name: string;
  description: string;
  owner: string;
  /** Comma-separated, as typed. */
  tags: string;
}

interface CatalogNode {
  id: string;
  kind: NodeKind;
  namespace: string;
  name: string;
  owner: string | null;
  status: NodeStatus;
  status_message: string | null;
}

export const factsOf = (n: CatalogNode): NodeFacts => ({
  node_id: n.id,
  missing: false,
  kind: n.kind,
  namespace: n.namespace,
  name: n.name,
  owner: n.owner,
  status: n.status,
  status_message: n.status_message,
});

export function EditPanel(props: {
  state: EditorState;
  dispatch: Dispatch<EditorAction>;
  meta: Meta;
  setMeta: (meta: Meta) => void;
  selectedEdge: string | null;
  clearEdge: () => void;
  addFacts: (facts: NodeFacts[], at: { x: number; y: number }[]) => void;
  centre: () => { x: number; y: number };
  onProblem: (error: unknown) => void;
}) {
  const { state, dispatch, meta, setMeta } = props;
  const selected = state.nodes.filter((n) => n.selected);
  const card = selected.length === 1 && selected[0]!.type === 'card' ? (selected[0] as CardNode) : null;
  const group = selected.length === 1 && selected[0]!.type === 'frame' ? selected[0] : null;
  const note = selected.length === 1 && selected[0]!.type === 'note' ? selected[0] : null;

  /** The edges of nodes just added, to the other nodes of the canvas. */
  const loadEdges = (ids: string[]) =>
    Promise.all(ids.map(edgesOf)).then((lists) => dispatch({ type: 'edges', edges: lists.flat() }), props.onProblem);

  const addNeighbours = async (anchor: CardNode, direction: 'upstream' | 'downstream') => {
    try {
      const graph = await fetchLineage(anchor.id, direction, 1);
      const present = new Set(state.nodes.map((n) => n.id));
      const fresh = graph.nodes.filter((n) => n.id !== anchor.id && !present.has(n.id));
      if (fresh.length === 0) return;
      const x = direction === 'upstream' ? anchor.position.x - NODE_W - 100 : anchor.position.x + boxOf(anchor).width + 100;
      const y = anchor.position.y - ((fresh.length - 1) * (NODE_H + 24)) / 2;
      props.addFacts(fresh.map(factsOf), column(fresh.length, { x, y }));
      await loadEdges(fresh.map((n) => n.id));
    } catch (error) {
      props.onProblem(error);
    }
  };

  return (
    <div className="side-content edit-panel">
      <section aria-labelledby="details-title">
        <h2 id="details-title" className="side-title">
          Dashboard
        </h2>
        <div className="field">
          <label htmlFor="dash-name">Name</label>
          <input id="dash-name" value={meta.name} maxLength={200} onChange={(e) => setMeta({ ...meta, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dash-description">Description</label>
          <textarea id="dash-description" rows={2} value={meta.description} onChange={(e) => setMeta({ ...meta, description: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dash-owner">Owner</label>
          <input id="dash-owner" value={meta.owner} maxLength={200} onChange={(e) => setMeta({ ...meta, owner: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="dash-tags">Tags (comma-separated)</label>
          <input id="dash-tags" value={meta.tags} onChange={(e) => setMeta({ ...meta, tags: e.target.value })} />
        </div>
      </section>

      {card && (
        <section aria-label="Selected node">
          <h3>{card.data.facts?.missing || !card.data.facts ? 'Missing node' : card.data.facts.name}</h3>
          {card.data.facts && !card.data.facts.missing && <StatusBadge status={card.data.facts.status ?? 'unknown'} />}
          <div className="side-actions">
            <button type="button" onClick={() => void addNeighbours(card, 'upstream')} disabled={!card.data.facts || card.data.facts.missing}>
              Add upstream
            </button>
            <button type="button" onClick={() => void addNeighbours(card, 'downstream')} disabled={!card.data.facts || card.data.facts.missing}>
              Add downstream
            </button>
            <button type="button" className="danger" onClick={() => dispatch({ type: 'remove', ids: [card.id] })}>
              Remove from dashboard
            </button>
          </div>
        </section>
      )}
      {group?.type === 'frame' && (
        <section aria-label="Selected group">
          <h3>Group</h3>
          <GroupName key={`${group.id}:${group.data.item.label}`} label={group.data.item.label} onCommit={(label) => dispatch({ type: 'renameGroup', id: group.id, label })} />
          <p className="muted small">{(group.data.item.node_ids ?? []).length} nodes inside. Drag the frame to move them with it.</p>
          <button type="button" className="danger" onClick={() => dispatch({ type: 'remove', ids: [group.id] })}>
            Delete group
          </button>
        </section>
      )}
      {note?.type === 'note' && (
        <section aria-label="Selected note">
          <h3>Note</h3>
          <NoteText key={`${note.id}:${note.data.item.text}`} text={note.data.item.text} onCommit={(text) => dispatch({ type: 'editNote', id: note.id, text })} />
          <button type="button" className="danger" onClick={() => dispatch({ type: 'remove', ids: [note.id] })}>
            Delete note
          </button>
        </section>
      )}
      {props.selectedEdge && !state.hidden.includes(props.selectedEdge) && (
        <section aria-label="Selected edge">
          <h3>Edge</h3>
          <p className="small">{edgeName(state, props.selectedEdge)}</p>
          <button
            type="button"
            onClick={() => {
              dispatch({ type: 'hideEdge', id: props.selectedEdge! });
              props.clearEdge();
            }}
          >
            Hide this edge
          </button>
        </section>
      )}
      <AddNodes state={state} addFacts={props.addFacts} centre={props.centre} loadEdges={loadEdges} />
      <HiddenEdges state={state} dispatch={dispatch} />
      <p className="muted small">
        Drag to move, drag a corner of the selection to resize, Shift-click to select several, Delete to remove. Double-click a group's name or a note to edit it.
      </p>
    </div>
  );
}

function edgeName(state: EditorState, id: string): string {
  const e = state.edges.get(id);
  if (!e) return 'an edge not on the canvas';
  const name = (nodeId: string) => state.facts.get(nodeId)?.name ?? 'a missing node';
  return `${name(e.source_id)} → ${name(e.target_id)}`;
}

function GroupName({ label, onCommit }: { label: string; onCommit: (label: string) => void }) {
  const [text, setText] = useState(label);
  return (
    <div className="field">
      <label htmlFor="group-label">Group name</label>
      <input id="group-label" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} onBlur={() => text !== label && onCommit(text)} onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()} />
    </div>
  );
}

function NoteText({ text, onCommit }: { text: string; onCommit: (text: string) => void }) {
  const [draft, setDraft] = useState(text);
  return (
    <div className="field">
      <label htmlFor="note-text">Text</label>
      <textarea id="note-text" rows={4} value={draft} maxLength={10_000} onChange={(e) => setDraft(e.target.value)} onBlur={() => draft !== text && onCommit(draft)} />
    </div>
  );
}

function AddNodes(props: {
  state: EditorState;
  addFacts: (facts: NodeFacts[], at: { x: number; y: number }[]) => void;
  centre: () => { x: number; y: number };
  loadEdges: (ids: string[]) => Promise<void>;
}) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 300);
  const results = useNodes({ q, limit: 8 }, q.length > 0);
  const present = new Set(props.state.nodes.map((n) => n.id));
  return (
    <section aria-labelledby="add-nodes-title">
      <h3 id="add-nodes-title">Add nodes</h3>
      <label htmlFor="add-node-search" className="sr-only">
        Find a node to add
      </label>
      <input id="add-node-search" type="search" placeholder="Find a node to add" value={text} onChange={(e) => setText(e.target.value)} />
      {q && results.data && (
        <ul className="plain-list add-results">
          {results.data.items.length === 0 && <li className="muted small">No node matches.</li>}
          {results.data.items.map((n) => (
            <li key={n.id}>
              <KindIcon kind={n.kind} /> <span className="add-name">{n.name}</span>{' '}
              {present.has(n.id) ? (
                <span className="muted small">on the canvas</span>
              ) : (
                <button
                  type="button"
                  aria-label={`Add ${n.name}`}
                  onClick={() => {
                    props.addFacts([factsOf(n)], [props.centre()]);
                    void props.loadEdges([n.id]);
                  }}
                >
                  Add
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function HiddenEdges({ state, dispatch }: { state: EditorState; dispatch: Dispatch<EditorAction> }) {
  // Hidden edges come without their ends: ask for them, to name them here.
  const unknown = state.hidden.filter((id) => !state.edges.has(id)).slice(0, 50);
  const fetched = useQueries({
    queries: unknown.map((id) => ({ queryKey: ['edge', id], queryFn: () => edgeById(id), staleTime: Infinity, retry: false })),
  });
  const found = fetched.flatMap((r) => (r.data ? [r.data] : []));
  const foundKey = found.map((e) => e.id).join(',');
  useEffect(() => {
    if (found.length) dispatch({ type: 'edges', edges: found });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per newly resolved set
  }, [foundKey]);
  if (state.hidden.length === 0) return null;
  return (
    <section aria-labelledby="hidden-edges-title">
      <h3 id="hidden-edges-title">Hidden edges ({state.hidden.length})</h3>
      <ul className="plain-list small">
        {state.hidden.slice(0, 20).map((id) => (
          <li key={id}>
            {edgeName(state, id)}{' '}
            <button type="button" className="link-button" onClick={() => dispatch({ type: 'showEdges', ids: [id] })}>
              Show
            </button>
          </li>
        ))}
      </ul>
      {state.hidden.length > 1 && (
        <button type="button" onClick={() => dispatch({ type: 'showEdges', ids: state.hidden })}>
          Show all hidden edges
        </button>
      )}
    </section>
  );
}
