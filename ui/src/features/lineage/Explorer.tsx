import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  Panel,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type NodeHandle,
  type NodeMouseHandler,
  type Viewport,
} from '@xyflow/react';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { saveBlob } from '../../api/client';
import { STATUS_LABEL } from '../../components/StatusBadge';
import { structureKey, type ViewGraph } from '../../lib/collapse';
import { STATUS_COLOR, toSvg } from '../../lib/exportSvg';
import { svgToPng } from '../../lib/exportImage';
import type { LineageModel } from '../../lib/graph';
import { SupersededError, type Algorithm, type LayoutClient } from '../../lib/layout/protocol';
import { GROUP_H, GROUP_W, NODE_H, NODE_W, nodeTypes, type CardNode } from './NodeCards';
import { MAX_DRAWN, type ExplorerParams } from './params';
import { EdgePanel, Legend, NodePanel, type Actions } from './SidePanel';
import type { usePathBothWays } from './usePathBothWays';

/** Up to this many nodes the whole graph is fitted in view; above, the view starts on the root. */
const FIT_ALL = 200;
/** Above this many nodes only those in view are mounted (React Flow's onlyRenderVisibleElements). */
const CULL_ABOVE = 200;
/** Below this zoom names are unreadable anyway: cards are drawn as plain boxes (cheap to paint). */
const DETAIL_ZOOM = 0.45;

type Selection = { type: 'node'; id: string } | { type: 'edge'; id: string } | null;

interface Placed {
  key: string;
  positions: Record<string, { x: number; y: number }>;
  algorithm: Algorithm;
  ms: number;
}

/** Small graphs are fitted in view; big ones open on their root, at a readable zoom. */
function firstViewport(
  positions: Record<string, { x: number; y: number }>,
  nodes: { id: string; width: number; height: number }[],
  rootId: string,
  canvas: HTMLElement | null,
): Viewport | 'fit' {
  const root = positions[rootId];
  const size = nodes.find((n) => n.id === rootId);
  if (nodes.length <= FIT_ALL || !root || !size || !canvas) return 'fit';
  const zoom = 0.85;
  const { width, height } = canvas.getBoundingClientRect();
  return { x: width / 2 - (root.x + size.width / 2) * zoom, y: height / 2 - (root.y + size.height / 2) * zoom, zoom };
}

const HANDLE = 6;
const handlesCache = new Map<number, NodeHandle[]>();
function handlesOf(size: { width: number; height: number }): NodeHandle[] {
  let handles = handlesCache.get(size.width);
  if (!handles) {
    const y = size.height / 2 - HANDLE / 2;
    handles = [
      { type: 'target', position: Position.Left, x: -HANDLE / 2, y, width: HANDLE, height: HANDLE },
      { type: 'source', position: Position.Right, x: size.width - HANDLE / 2, y, width: HANDLE, height: HANDLE },
    ];
    handlesCache.set(size.width, handles);
  }
  return handles;
}

const sizeOf = (type: 'node' | 'group') => (type === 'group' ? { width: GROUP_W, height: GROUP_H } : { width: NODE_W, height: NODE_H });

export function Explorer(props: {
  client: LayoutClient;
  rootId: string;
  model: LineageModel;
  view: ViewGraph;
  params: ExplorerParams;
  update: (patch: Partial<ExplorerParams>) => void;
  path: ReturnType<typeof usePathBothWays>;
  fetching: boolean;
}) {
  const { client, rootId, model, view, params, update, path } = props;
  const flow = useReactFlow<CardNode, Edge>();
  const zoomedOut = useStore((s) => s.transform[2] < DETAIL_ZOOM);
  const key = useMemo(() => structureKey(view), [view]);
  const [placed, setPlaced] = useState<Placed | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection>(null);
  const [find, setFind] = useState('');
  const [findIndex, setFindIndex] = useState(0);
  const [exportError, setExportError] = useState<string | null>(null);
  const focusAfterLayout = useRef<string | null>(null);
  const canvasRef = useRef<HTMLDivElement>(null);
  // The canvas mounts with its first layout, already looking at the right place: drawing a
  // big graph once at the origin and again around the root cost a second at 2,000 nodes.
  const [initial, setInitial] = useState<Viewport | 'fit' | null>(null);

  // Place the graph whenever what is drawn changes (a status change keeps the positions).
  useEffect(() => {
    let live = true;
    const nodes = view.nodes.map((n) => ({ id: n.id, ...sizeOf(n.type) }));
    const edges = view.edges.map((e) => ({ id: e.id, source: e.source, target: e.target }));
    client.layout(rootId, nodes, edges).then(
      (result) => {
        if (!live) return;
        setLayoutError(null);
        setPlaced({ key, ...result });
        const viewport = firstViewport(result.positions, nodes, rootId, canvasRef.current);
        setInitial((current) => current ?? viewport);
      },
      (error: unknown) => {
        if (live && !(error instanceof SupersededError)) setLayoutError(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- relayout only when the structure changes
  }, [key, client, rootId]);

  const positions = placed?.positions;
  const ready = placed?.key === key;

  // Highlights: the path, search matches, the selection.
  const pathIds = useMemo(() => {
    const nodes = new Set<string>();
    const edges = new Set<string>();
    if (path.data) {
      for (const n of path.data.nodes) nodes.add(view.representative.get(n.id) ?? n.id);
      for (const e of path.data.edges) {
        const s = view.representative.get(e.source_id);
        const t = view.representative.get(e.target_id);
        if (s && t) edges.add(`${s}>${t}>${e.relation ?? 'flow'}`);
      }
    }
    return { nodes, edges };
  }, [path.data, view]);
  const matches = useMemo(() => {
    const q = find.trim().toLowerCase();
    if (!q) return [] as string[];
    return view.nodes
      .filter((n) => n.label.toLowerCase().includes(q) || n.namespace.toLowerCase().includes(q) || n.owners.some((o) => o.toLowerCase().includes(q)))
      .map((n) => n.id);
  }, [find, view]);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const dimOthers = pathIds.nodes.size > 0;

  const nodes: CardNode[] = useMemo(() => {
    if (!positions) return [];
    const out: CardNode[] = [];
    for (const v of view.nodes) {
      const p = positions[v.id];
      if (!p) continue; // new since the last layout: drawn once placed
      const size = sizeOf(v.type);
      out.push({
        id: v.id,
        type: v.type === 'group' ? 'group' : 'lineage',
        position: p,
        width: size.width,
        height: size.height,
        // Known size and handles: React Flow would otherwise mount every node once to measure
        // it (then unmount those out of view), a second's work at 2,000 nodes.
        measured: size,
        handles: handlesOf(size),
        data: {
          view: v,
          match: matchSet.has(v.id),
          onPath: pathIds.nodes.has(v.id),
          dimmed: dimOthers && !pathIds.nodes.has(v.id),
          selected: selection?.type === 'node' && selection.id === v.id,
        },
        ariaLabel: `${v.type === 'group' ? 'Group' : 'Node'} ${v.label}, ${STATUS_LABEL[v.status]}`,
      });
    }
    return out;
  }, [view, positions, matchSet, pathIds, dimOthers, selection]);

  const drawn = useMemo(() => new Set(nodes.map((n) => n.id)), [nodes]);
  const edges: Edge[] = useMemo(
    () =>
      view.edges
        .filter((e) => drawn.has(e.source) && drawn.has(e.target))
        .map((e) => {
          const onPath = pathIds.edges.has(e.id);
          const selected = selection?.type === 'edge' && selection.id === e.id;
          const color = onPath || selected ? '#0b5cad' : e.relation === 'contains' ? '#afb8c1' : '#8c959f';
          return {
            id: e.id,
            source: e.source,
            target: e.target,
            className: [
              `rel-${e.relation}`,
              e.stale ? 'is-stale' : '',
              onPath ? 'on-path' : '',
              selected ? 'is-selected' : '',
              dimOthers && !onPath ? 'dimmed' : '',
            ]
              .filter(Boolean)
              .join(' '),
            label: e.count > 1 ? String(e.count) : undefined,
            markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14, color },
            interactionWidth: 14,
            ariaLabel: `Edge from ${model.nodes.get(e.source)?.name ?? e.source} to ${model.nodes.get(e.target)?.name ?? e.target}`,
          };
        }),
    [view, drawn, pathIds, selection, dimOthers, model],
  );

  // After an expansion or a collapse, the view follows the node acted on.
  useEffect(() => {
    if (!ready || !positions || !focusAfterLayout.current) return;
    const focusId = focusAfterLayout.current;
    const frame = requestAnimationFrame(() => {
      focusAfterLayout.current = null;
      center(focusId, undefined, 300);
    });
    return () => cancelAnimationFrame(frame);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per new layout
  }, [placed]);

  function center(id: string, zoom?: number, duration = 300) {
    const p = positions?.[id];
    const v = view.nodes.find((n) => n.id === id);
    if (!p || !v) return;
    const size = sizeOf(v.type);
    void flow.setCenter(p.x + size.width / 2, p.y + size.height / 2, { zoom: zoom ?? Math.max(flow.getZoom(), 0.8), duration });
  }

  const toggle = (group: string, collapse: boolean) => {
    // In "none" mode a toggled container is collapsed; in the grouping modes it is open.
    const wantToggled = params.mode === 'none' ? collapse : !collapse;
    const next = new Set(params.toggled);
    if (wantToggled) next.add(group);
    else next.delete(group);
    update({ toggled: [...next] });
  };

  const actions: Actions = {
    expand: (id) => {
      if (!params.expanded.includes(id)) {
        focusAfterLayout.current = id;
        update({ expanded: [...params.expanded, id] });
      }
    },
    collapseInto: (group) => {
      focusAfterLayout.current = group;
      setSelection({ type: 'node', id: group });
      toggle(group, true);
    },
    openGroup: (group) => {
      setSelection(null);
      toggle(group, false);
    },
    pathFrom: (id) => update({ from: id }),
    pathTo: (id) => update({ to: id }),
    focus: (id) => center(id),
  };

  const onNodeClick: NodeMouseHandler<CardNode> = (_, node) => setSelection({ type: 'node', id: node.id });
  const onNodeDoubleClick: NodeMouseHandler<CardNode> = (_, node) => {
    if (node.data.view.type === 'group') actions.openGroup(node.id);
    else actions.expand(node.id);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const element = (event.target as HTMLElement).closest<HTMLElement>('.react-flow__node');
    const id = element?.dataset.id;
    if (!id) return;
    event.preventDefault();
    setSelection({ type: 'node', id });
  };

  const goToMatch = (index: number) => {
    if (matches.length === 0) return;
    const i = ((index % matches.length) + matches.length) % matches.length;
    setFindIndex(i);
    setSelection({ type: 'node', id: matches[i]! });
    center(matches[i]!, Math.max(flow.getZoom(), 0.9));
  };

  const exportPicture = async (format: 'svg' | 'png') => {
    setExportError(null);
    if (!positions) return;
    const root = model.nodes.get(rootId);
    const title = `Lineage of ${root?.name ?? rootId} (${params.direction}, depth ${params.depth ?? 'all'})`;
    const { svg, width, height } = toSvg(
      title,
      nodes.map((n) => ({
        id: n.id,
        x: n.position.x,
        y: n.position.y,
        width: n.width ?? NODE_W,
        height: n.height ?? NODE_H,
        label: n.data.view.label,
        kind: n.data.view.kind,
        status: n.data.view.status,
        detail: n.data.view.type === 'group' ? `${n.data.view.members.length} inside` : (n.data.view.owners[0] ?? 'no owner'),
        isRoot: n.data.view.isRoot,
        highlighted: n.data.onPath,
      })),
      edges.map((e) => {
        const ve = view.edges.find((x) => x.id === e.id);
        return { source: e.source, target: e.target, relation: ve?.relation ?? 'flow', count: ve?.count ?? 1, highlighted: pathIds.edges.has(e.id) };
      }),
    );
    const base = `lineage-${(root?.name ?? rootId).replace(/[^\w.-]+/g, '_')}`;
    try {
      if (format === 'svg') saveBlob(new Blob([svg], { type: 'image/svg+xml' }), `${base}.svg`);
      else saveBlob(await svgToPng(svg, width, height), `${base}.png`);
    } catch (error) {
      setExportError(error instanceof Error ? error.message : String(error));
    }
  };

  const selectedNode = selection?.type === 'node' ? view.nodes.find((n) => n.id === selection.id) : undefined;
  const selectedEdge = selection?.type === 'edge' ? view.edges.find((e) => e.id === selection.id) : undefined;
  // Culling mounts only the cards in view: a fast first draw, and cheap panning close up.
  // Zoomed far out, panning would mount and unmount dozens of cards a frame instead: up to
  // MAX_DRAWN nodes then stay mounted, drawn as plain boxes (bench/ui.py measures both).
  const cull = view.nodes.length > CULL_ABOVE && !(zoomedOut && view.nodes.length <= MAX_DRAWN);

  return (
    <div className="explorer">
      <div
        ref={canvasRef}
        className={zoomedOut ? 'canvas zoomed-out' : 'canvas'}
        data-state={ready ? 'ready' : 'placing'}
        data-layout={placed?.algorithm}
        data-layout-ms={placed?.ms}
        data-nodes={view.nodes.length}
        onKeyDown={onKeyDown}
      >
        {!ready && (
          <p className="placing" role="status">
            {layoutError ? `Could not place the graph: ${layoutError}` : `Placing ${view.nodes.length.toLocaleString('en')} nodes…`}
          </p>
        )}
        {initial !== null && (
        <ReactFlow<CardNode, Edge>
          defaultViewport={initial === 'fit' ? undefined : initial}
          fitView={initial === 'fit'}
          fitViewOptions={{ padding: 0.12, maxZoom: 1.1 }}
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodeClick={onNodeClick}
          onNodeDoubleClick={onNodeDoubleClick}
          onEdgeClick={(_, edge) => setSelection({ type: 'edge', id: edge.id })}
          onPaneClick={() => setSelection(null)}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          zoomOnDoubleClick={false}
          onlyRenderVisibleElements={cull}
          minZoom={0.05}
          maxZoom={2}
          proOptions={{ hideAttribution: true }}
          aria-label="Lineage graph"
        >
          <Background gap={24} size={1} />
          <Controls showInteractive={false} aria-label="Zoom controls" />
          <MiniMap
            pannable
            zoomable
            ariaLabel="Minimap"
            nodeColor={(n) => STATUS_COLOR[(n.data as CardNode['data']).view.status]}
            nodeStrokeWidth={0}
          />
          <Panel position="top-left" className="canvas-tools">
            <form
              role="search"
              className="find"
              onSubmit={(e) => {
                e.preventDefault();
                goToMatch(findIndex + (matches[findIndex] === (selection?.type === 'node' ? selection.id : null) ? 1 : 0));
              }}
            >
              <label htmlFor="find-in-graph" className="sr-only">
                Find in graph
              </label>
              <input
                id="find-in-graph"
                type="search"
                placeholder="Find in graph"
                value={find}
                onChange={(e) => {
                  setFind(e.target.value);
                  setFindIndex(0);
                }}
              />
              <span className="muted small" aria-live="polite">
                {find.trim() ? (matches.length ? `${findIndex + 1} of ${matches.length}` : 'no match') : ''}
              </span>
              <button type="submit" disabled={matches.length === 0}>
                Next
              </button>
            </form>
            <button type="button" onClick={() => void exportPicture('png')} disabled={!ready}>
              Export PNG
            </button>
            <button type="button" onClick={() => void exportPicture('svg')} disabled={!ready}>
              Export SVG
            </button>
            {exportError && <span className="warning small">Export failed: {exportError}</span>}
            {props.fetching && <span className="muted small">refreshing…</span>}
          </Panel>
        </ReactFlow>
        )}
      </div>
      <aside className="side" aria-label="Details">
        {selectedNode ? (
          <NodePanel node={selectedNode} model={model} view={view} actions={actions} expanded={params.expanded.includes(selectedNode.id)} />
        ) : selectedEdge ? (
          <EdgePanel edge={selectedEdge} model={model} />
        ) : (
          <Legend view={view} actions={actions} mode={params.mode} />
        )}
      </aside>
    </div>
  );
}
