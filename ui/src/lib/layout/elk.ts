// ELK layered, run inside the layout worker. elkjs's bundled build, loaded in a worker,
// installs itself as the worker's message handler: that handler is removed at once (the
// layout worker speaks its own protocol) and ELK runs in-process, in this worker's thread.
import type { LayoutEdgeIn, LayoutNodeIn } from './protocol';

interface ElkLike {
  layout(graph: unknown, options?: unknown): Promise<{ children?: { id: string; x?: number; y?: number }[] }>;
}

let elk: Promise<ElkLike> | null = null;

function loadElk(): Promise<ElkLike> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((module) => {
    if (typeof self !== 'undefined' && 'onmessage' in self) (self as { onmessage: unknown }).onmessage = null;
    const ELK = module.default as unknown as new () => ElkLike;
    return new ELK();
  });
  return elk;
}

export const ELK_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '20',
  'elk.layered.spacing.nodeNodeBetweenLayers': '64',
  'elk.layered.spacing.edgeNodeBetweenLayers': '20',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  'elk.separateConnectedComponents': 'false',
};

export async function elkLayout(nodes: LayoutNodeIn[], edges: LayoutEdgeIn[]): Promise<Record<string, { x: number; y: number }>> {
  const engine = await loadElk();
  const known = new Set(nodes.map((n) => n.id));
  const result = await engine.layout({
    id: 'root',
    layoutOptions: ELK_OPTIONS,
    children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: edges
      .filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target)
      .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const positions: Record<string, { x: number; y: number }> = {};
  for (const child of result.children ?? []) positions[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  return positions;
}
