// One dashboard: its canvas restored as saved, live status, and (admins, at /edit) the editor.
import { useQueryClient } from '@tanstack/react-query';
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  Panel,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type Node,
  type NodeMouseHandler,
  type OnNodesChange,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Link, useBlocker, useLocation, useNavigate } from 'react-router';
import { ProblemView } from '../../components/ProblemView';
import { STATUS_COLOR } from '../../lib/exportSvg';
import { createLayoutClient } from '../../lib/layout/client';
import { ApiError } from '../../lib/problem';
import { CanvasModeContext, nodeTypes, type CanvasMode } from './Cards';
import { ConflictDialog, type Conflict } from './ConflictDialog';
import { DeleteDialog, LeaveDialog } from './Dialog';
import { EditTools, useUndoKeys } from './EditTools';
import { cardKey, drawnEdges, editorReducer, initialState, isDirty, type CatalogEdge } from './editor';
import { EditPanel, type Meta } from './EditPanel';
import { exportDashboard } from './exportPicture';
import { snapshotOf, withViewport, type DashNode, type NodeFacts } from './model';
import { dashboardKeys, deleteDashboard, duplicateDashboard, fetchDashboard, lastSave, saveDashboard, tagsOf, type DashboardRead } from './queries';
import { useArrange } from './useArrange';
import { ViewPanel } from './ViewPanel';

/** Above this many nodes only those in view are mounted... */
const CULL_ABOVE = 200;
/** ...except zoomed far out (names unreadable: cards become plain boxes), up to this many. */
const DETAIL_ZOOM = 0.45;
const MOUNT_ALL_UP_TO = 1_000;
/** The minimap draws every node again: above this many it is off until asked for (bench/ui.py:
 * with 1,000 nodes it added ~0.7 s to opening the dashboard). */
const MINIMAP_UP_TO = 300;

const metaOf = (d: DashboardRead): Meta => ({ name: d.name, description: d.description ?? '', owner: d.owner ?? '', tags: d.tags.join(', ') });
const sameMeta = (a: Meta, b: Meta) => a.name === b.name && a.description === b.description && a.owner === b.owner && a.tags === b.tags;

function minimapColor(n: Node): string {
  const node = n as DashNode;
  if (node.type === 'frame') return '#e6ebf1';
  if (node.type === 'note') return '#fff1a8';
  return node.data.facts?.missing ? '#afb8c1' : STATUS_COLOR[node.data.facts?.status ?? 'unknown'];
}

function catalogEdges(d: DashboardRead): CatalogEdge[] {
  return d.edges.map((e) => ({ id: e.id, source_id: e.source_id, target_id: e.target_id }));
}

export function Board({ data, editing, isAdmin }: { data: DashboardRead; editing: boolean; isAdmin: boolean }) {
  const flow = useReactFlow<DashNode, Edge>();
  const zoomedOut = useStore((s) => s.transform[2] < DETAIL_ZOOM);
  const navigate = useNavigate();
  const location = useLocation();
  // Just created: fitted to this screen; otherwise the saved viewport, exactly.
  const [fit] = useState(() => (location.state as { fit?: boolean } | null)?.fit === true);
  const client = useQueryClient();
  const [state, dispatch] = useReducer(editorReducer, data, (d) => initialState(snapshotOf(d.layout), d.node_facts, catalogEdges(d)));
  const [base, setBase] = useState(data.version);
  const [meta, setMeta] = useState<Meta>(() => metaOf(data));
  const [savedMeta, setSavedMeta] = useState<Meta>(() => metaOf(data));
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [minimap, setMinimap] = useState(() => data.node_count <= MINIMAP_UP_TO);
  const leaving = useRef(false);
  const layoutClient = useMemo(() => (editing ? createLayoutClient() : null), [editing]);
  useEffect(() => () => layoutClient?.dispose(), [layoutClient]);

  const dirty = editing && (isDirty(state) || !sameMeta(meta, savedMeta));

  // Live status from each refresh; in the viewer, someone's newer save replaces the canvas.
  // (Adjusted while rendering, once per answer from the server, not in an effect.)
  const [seen, setSeen] = useState(data);
  if (seen !== data) {
    setSeen(data);
    if (!editing && data.version !== base) {
      dispatch({ type: 'load', snapshot: snapshotOf(data.layout), facts: data.node_facts, edges: catalogEdges(data) });
      setBase(data.version);
      setMeta(metaOf(data));
      setSavedMeta(metaOf(data));
    } else {
      dispatch({ type: 'facts', facts: data.node_facts });
      if (data.version === base) dispatch({ type: 'edges', edges: catalogEdges(data) });
    }
  }
  const newerElsewhere = editing && data.version > base ? data.version : null;

  // Leaving with unsaved changes asks first (in the app, and when the tab closes).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const leave = (to: string) => {
    leaving.current = true;
    navigate(to);
  };

  // Edges are rebuilt when cards come or go, not on every frame of a drag.
  const cards = cardKey(state.nodes);
  const edges: Edge[] = useMemo(
    () =>
      drawnEdges(state.edges, state.hidden, cards).map((e) => ({
        ...e,
        markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14, color: e.id === selectedEdge ? '#0b5cad' : '#8c959f' },
        className: e.id === selectedEdge ? 'is-selected' : undefined,
        interactionWidth: 14,
        focusable: editing,
        ariaLabel: `Edge from ${state.facts.get(e.source)?.name ?? 'a missing node'} to ${state.facts.get(e.target)?.name ?? 'a missing node'}`,
      })),
    [state.edges, state.hidden, state.facts, cards, selectedEdge, editing],
  );

  const mode: CanvasMode = useMemo(
    () => ({
      editing,
      boxes: zoomedOut,
      renameGroup: (id, label) => dispatch({ type: 'renameGroup', id, label }),
      editNote: (id, text) => dispatch({ type: 'editNote', id, text }),
    }),
    [editing, zoomedOut],
  );

  const onNodesChange: OnNodesChange<DashNode> = useCallback((changes) => dispatch({ type: 'changes', changes }), []);
  // The viewer can select (to see a node's details) but not move, resize or delete.
  const onViewChange: OnNodesChange<DashNode> = useCallback((changes) => dispatch({ type: 'changes', changes: changes.filter((c) => c.type === 'select') }), []);

  const selected = state.nodes.filter((n) => n.selected);

  /** Where new nodes go: the middle of what is in view now. */
  const centre = () => inView(0.5, 0.5);
  /** Where new notes and frames go: the top left of the view, clear of the tools. */
  const corner = () => inView(0.04, 0.14);
  const inView = (fx: number, fy: number) => {
    const box = document.querySelector('.dash-canvas')?.getBoundingClientRect();
    const point = box ? flow.screenToFlowPosition({ x: box.x + box.width * fx, y: box.y + box.height * fy }) : { x: 0, y: 0 };
    return { x: Math.round(point.x), y: Math.round(point.y) };
  };

  const save = async (version: number) => {
    setProblem(null);
    setSaving(true);
    const snapshot = state.history.present;
    const { x, y, zoom } = flow.getViewport();
    try {
      const saved = await saveDashboard(data.id, {
        name: meta.name,
        description: meta.description.trim() || null,
        owner: meta.owner.trim() || null,
        tags: tagsOf(meta.tags),
        layout: withViewport(snapshot, { x, y, zoom }),
        version,
      });
      dispatch({ type: 'saved', snapshot });
      setBase(saved.version);
      setSavedMeta(meta);
      setConflict(null);
      setNotice(`Saved (version ${saved.version}).`);
      client.setQueryData(dashboardKeys.one(data.id), saved);
      void client.invalidateQueries({ queryKey: [...dashboardKeys.all, 'list'] });
    } catch (error) {
      const current = error instanceof ApiError ? error.problem.extra.current_version : undefined;
      if (error instanceof ApiError && error.problem.status === 409 && typeof current === 'number') {
        const who = await lastSave(data.id).catch(() => null);
        setConflict({ base, current, who });
      } else setProblem(error);
    } finally {
      setSaving(false);
    }
  };

  const { arrange, arranging } = useArrange(layoutClient, state, dispatch, setProblem);

  const onNodeClick: NodeMouseHandler<DashNode> = () => setSelectedEdge(null);
  const onNodeDoubleClick: NodeMouseHandler<DashNode> = (_, node) => {
    if (!editing && node.type === 'card' && node.data.facts && !node.data.facts.missing) navigate(`/nodes/${node.id}`);
  };

  useUndoKeys(editing, dispatch);

  const addFacts = (facts: NodeFacts[], at: { x: number; y: number }[]) => {
    dispatch({ type: 'addCards', items: facts.map((f, i) => ({ node_id: f.node_id, ...at[i]! })), facts });
  };

  const counts = useMemo(() => {
    let error = 0;
    let missing = 0;
    for (const n of state.nodes) {
      if (n.type !== 'card') continue;
      if (!n.data.facts || n.data.facts.missing) missing++;
      else if (n.data.facts.status === 'error') error++;
    }
    return { error, missing };
  }, [state.nodes]);
  const cardCount = state.nodes.filter((n) => n.type === 'card').length;

  return (
    <div className="dash-page">
      <header className="dash-header">
        <div>
          <p className="eyebrow">
            <Link to="/dashboards">Dashboards</Link> › {editing ? 'editing' : 'dashboard'}
          </p>
          <h1>{editing ? meta.name || '(no name)' : data.name}</h1>
          <p className="muted small dash-facts">
            {cardCount} node{cardCount === 1 ? '' : 's'}
            {counts.error > 0 && <span className="status-error"> · {counts.error} in error</span>}
            {counts.missing > 0 && <span className="warning"> · {counts.missing} missing</span>}
            {data.owner && <> · owner {data.owner}</>} · version {base}
            {data.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </p>
          {!editing && data.description && <p className="dash-description">{data.description}</p>}
        </div>
        <div className="page-actions">
          {editing ? (
            <>
              <button type="button" className="primary" onClick={() => void save(base)} disabled={saving || !dirty}>
                {saving ? 'Saving…' : 'Save'}
              </button>
              <button type="button" onClick={() => leave(`/dashboards/${data.id}`)} disabled={saving || dirty}>
                Done
              </button>
              {dirty && (
                <button type="button" onClick={() => navigate(`/dashboards/${data.id}`)}>
                  Discard changes
                </button>
              )}
            </>
          ) : (
            isAdmin && (
              <>
                <Link className="button primary" to={`/dashboards/${data.id}/edit`}>
                  Edit
                </Link>
                <button type="button" onClick={() => void duplicateDashboard(data.id).then((copy) => leave(`/dashboards/${copy.id}`), setProblem)}>
                  Duplicate
                </button>
                <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                  Delete
                </button>
              </>
            )
          )}
          <button type="button" onClick={() => void exportDashboard('png', data.name, state.nodes, edges).catch(setProblem)}>
            Export PNG
          </button>
          <button type="button" onClick={() => void exportDashboard('svg', data.name, state.nodes, edges).catch(setProblem)}>
            Export SVG
          </button>
        </div>
      </header>
      {/* Editing, the notices share one line of fixed height: someone's save arrives on the
          stream at any moment, and the canvas must not move under a card being dragged. */}
      {(editing || (notice && !dirty)) && (
        <div className={editing ? 'dash-status editing' : 'dash-status'} role="status">
          {newerElsewhere !== null ? (
            <p className="notice">
              Someone saved version {newerElsewhere} since you opened version {base}. Saving will ask what to do.
            </p>
          ) : (
            notice && !dirty && <p className="dash-saved">{notice}</p>
          )}
        </div>
      )}
      {problem !== null && <ProblemView error={problem} context="That did not work" />}
      <div className="dash-body">
        <div className={`dash-canvas${editing ? ' editing' : ''}${zoomedOut ? ' zoomed-out' : ''}`} data-state="ready" data-nodes={cardCount} data-arranging={arranging || undefined}>
          <CanvasModeContext.Provider value={mode}>
            <ReactFlow<DashNode, Edge>
              nodes={state.nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              defaultViewport={fit ? undefined : data.layout.viewport}
              fitView={fit}
              fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
              onNodesChange={editing ? onNodesChange : onViewChange}
              onNodeClick={onNodeClick}
              onNodeDoubleClick={onNodeDoubleClick}
              onEdgeClick={(_, edge) => setSelectedEdge(edge.id)}
              onPaneClick={() => setSelectedEdge(null)}
              nodesDraggable={editing}
              // Whole pixels: positions read the same in the picture, the API and a diff.
              snapToGrid={editing}
              snapGrid={[1, 1]}
              nodesConnectable={false}
              elementsSelectable
              selectNodesOnDrag={false}
              elevateNodesOnSelect={false}
              deleteKeyCode={editing ? ['Delete', 'Backspace'] : null}
              multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
              zoomOnDoubleClick={false}
              // Culling mounts only what is in view; zoomed far out, panning would mount and
              // unmount dozens of cards a frame instead (the explorer's rule, bench/ui.py).
              onlyRenderVisibleElements={state.nodes.length > CULL_ABOVE && !(zoomedOut && state.nodes.length <= MOUNT_ALL_UP_TO)}
              minZoom={0.05}
              maxZoom={2}
              proOptions={{ hideAttribution: true }}
              aria-label="Dashboard canvas"
            >
              <Background gap={24} size={1} />
              <Controls showInteractive={false} aria-label="Zoom controls" />
              {minimap && <MiniMap pannable zoomable ariaLabel="Minimap" nodeColor={minimapColor} />}
              <Panel position="bottom-left" className="minimap-toggle">
                <button type="button" className="small" aria-pressed={minimap} onClick={() => setMinimap(!minimap)}>
                  {minimap ? 'Hide minimap' : 'Show minimap'}
                </button>
              </Panel>
              {editing && <EditTools state={state} dispatch={dispatch} corner={corner} arrange={(onlySelection) => void arrange(onlySelection)} dirty={dirty} />}
            </ReactFlow>
          </CanvasModeContext.Provider>
        </div>
        <aside className="side" aria-label="Details">
          {editing ? (
            <EditPanel
              state={state}
              dispatch={dispatch}
              meta={meta}
              setMeta={setMeta}
              selectedEdge={selectedEdge}
              clearEdge={() => setSelectedEdge(null)}
              addFacts={addFacts}
              centre={centre}
              onProblem={setProblem}
            />
          ) : (
            <ViewPanel selected={selected} />
          )}
        </aside>
      </div>
      {conflict && (
        <ConflictDialog
          conflict={conflict}
          name={meta.name}
          onClose={() => setConflict(null)}
          onReload={() =>
            void fetchDashboard(data.id).then((fresh) => {
              client.setQueryData(dashboardKeys.one(data.id), fresh);
              dispatch({ type: 'load', snapshot: snapshotOf(fresh.layout), facts: fresh.node_facts, edges: catalogEdges(fresh) });
              setBase(fresh.version);
              setMeta(metaOf(fresh));
              setSavedMeta(metaOf(fresh));
              setConflict(null);
              setNotice(`Reloaded version ${fresh.version}: your changes were discarded.`);
            }, setProblem)
          }
          onOverwrite={() => void save(conflict.current)}
          onCopy={(copy) => leave(`/dashboards/${copy}`)}
          copyBody={() => {
            const { x, y, zoom } = flow.getViewport();
            return {
              description: meta.description.trim() || null,
              owner: meta.owner.trim() || null,
              tags: tagsOf(meta.tags),
              layout: withViewport(state.history.present, { x, y, zoom }),
            };
          }}
        />
      )}
      {confirmDelete && (
        <DeleteDialog
          name={data.name}
          onClose={() => setConfirmDelete(false)}
          onDelete={() =>
            void deleteDashboard(data.id, base).then(
              () => {
                void client.invalidateQueries({ queryKey: dashboardKeys.all });
                leave('/dashboards');
              },
              (error: unknown) => {
                setConfirmDelete(false);
                setProblem(error);
              },
            )
          }
        />
      )}
      {blocker.state === 'blocked' && <LeaveDialog stay={() => blocker.reset()} leave={() => blocker.proceed()} />}
    </div>
  );
}
