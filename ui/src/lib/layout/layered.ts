// DLV's own layered layout, for graphs too big for ELK's time: columns by longest path (flow
// goes left to right; cycles broken where a depth-first walk finds them), rows ordered by
// barycenter sweeps, then straightened. Linear-ish in nodes + edges: 2,000 nodes take a few ms.
import type { LayoutEdgeIn, LayoutNodeIn } from './protocol';

export interface LayeredOptions {
  gapX: number;
  gapY: number;
  sweeps: number;
}

const DEFAULTS: LayeredOptions = { gapX: 64, gapY: 20, sweeps: 4 };

export function layered(
  nodes: LayoutNodeIn[],
  edges: LayoutEdgeIn[],
  rootId: string | null,
  options: Partial<LayeredOptions> = {},
): Record<string, { x: number; y: number }> {
  const { gapX, gapY, sweeps } = { ...DEFAULTS, ...options };
  const n = nodes.length;
  if (n === 0) return {};
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const out: number[][] = Array.from({ length: n }, () => []);
  const inn: number[][] = Array.from({ length: n }, () => []);
  const seenPairs = new Set<string>();
  for (const e of edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    const pair = `${s}>${t}`;
    if (seenPairs.has(pair)) continue;
    seenPairs.add(pair);
    out[s]!.push(t);
    inn[t]!.push(s);
  }

  // Visit order: from the root, breadth first over both directions (keeps neighbours near).
  const rootIndex = rootId !== null ? (index.get(rootId) ?? 0) : 0;
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const queueFrom = (start: number) => {
    const queue = [start];
    visited[start] = 1;
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head]!;
      order.push(v);
      for (const w of [...out[v]!, ...inn[v]!]) {
        if (!visited[w]) {
          visited[w] = 1;
          queue.push(w);
        }
      }
    }
  };
  queueFrom(rootIndex);
  for (let v = 0; v < n; v++) if (!visited[v]) queueFrom(v);

  // Break cycles: an edge to a node on the depth-first stack is set aside.
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const back = new Set<string>();
  for (const start of order) {
    if (state[start]) continue;
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      if (i < out[v]!.length) {
        top[1] = i + 1;
        const w = out[v]![i]!;
        if (state[w] === 1) back.add(`${v}>${w}`);
        else if (state[w] === 0) {
          state[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        state[v] = 2;
        stack.pop();
      }
    }
  }
  const fwd: number[][] = out.map((targets, v) => targets.filter((w) => !back.has(`${v}>${w}`)));
  const bwd: number[][] = Array.from({ length: n }, () => []);
  fwd.forEach((targets, v) => targets.forEach((w) => bwd[w]!.push(v)));

  // Topological order (Kahn), then the longest path from the sources.
  const indegree = bwd.map((preds) => preds.length);
  const topo: number[] = [];
  const ready = order.filter((v) => indegree[v] === 0);
  for (let head = 0; head < ready.length; head++) {
    const v = ready[head]!;
    topo.push(v);
    for (const w of fwd[v]!) if (--indegree[w]! === 0) ready.push(w);
  }
  const rank = new Int32Array(n);
  for (const v of topo) for (const w of fwd[v]!) rank[w] = Math.max(rank[w]!, rank[v]! + 1);
  // Pull each node right, next to its nearest consumer: sources no longer pile up in column 0.
  for (let i = topo.length - 1; i >= 0; i--) {
    const v = topo[i]!;
    if (fwd[v]!.length === 0) continue;
    let nearest = Infinity;
    for (const w of fwd[v]!) nearest = Math.min(nearest, rank[w]!);
    if (nearest - 1 > rank[v]!) rank[v] = nearest - 1;
  }

  // Layers, in visit order to start with.
  let maxRank = 0;
  for (let v = 0; v < n; v++) maxRank = Math.max(maxRank, rank[v]!);
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (const v of order) layers[rank[v]!]!.push(v);
  const pos = new Float64Array(n);
  const place = (layer: number[]) => layer.forEach((v, i) => (pos[v] = i - (layer.length - 1) / 2));
  layers.forEach(place);

  const barycenter = (v: number, neighbours: number[]): number => {
    if (neighbours.length === 0) return pos[v]!;
    let sum = 0;
    for (const w of neighbours) sum += pos[w]!;
    return sum / neighbours.length;
  };
  const sortLayer = (layer: number[], neighbours: number[][]) => {
    const keys = new Map<number, number>();
    for (const v of layer) keys.set(v, barycenter(v, neighbours[v]!));
    layer.sort((a, b) => keys.get(a)! - keys.get(b)! || pos[a]! - pos[b]!);
    place(layer);
  };
  for (let s = 0; s < sweeps; s++) {
    if (s % 2 === 0) for (let r = 1; r <= maxRank; r++) sortLayer(layers[r]!, bwd);
    else for (let r = maxRank - 1; r >= 0; r--) sortLayer(layers[r]!, fwd);
  }

  // Coordinates: columns by rank; rows packed, then pulled toward their producers.
  const height = nodes.map((node) => node.height);
  const width = Math.max(...nodes.map((node) => node.width));
  const y = new Float64Array(n);
  const separate = (layer: number[], desired: number[]): number[] => {
    const k = layer.length;
    const a = new Array<number>(k);
    const b = new Array<number>(k);
    for (let i = 0; i < k; i++) {
      const gap = i === 0 ? -Infinity : a[i - 1]! + (height[layer[i - 1]!]! + height[layer[i]!]!) / 2 + gapY;
      a[i] = Math.max(desired[i]!, gap);
    }
    for (let i = k - 1; i >= 0; i--) {
      const gap = i === k - 1 ? Infinity : b[i + 1]! - (height[layer[i + 1]!]! + height[layer[i]!]!) / 2 - gapY;
      b[i] = Math.min(desired[i]!, gap);
    }
    const mid = a.map((value, i) => (value + b[i]!) / 2);
    for (let i = 1; i < k; i++) {
      const min = mid[i - 1]! + (height[layer[i - 1]!]! + height[layer[i]!]!) / 2 + gapY;
      if (mid[i]! < min) mid[i] = min;
    }
    return mid;
  };
  for (const layer of layers) {
    let offset = 0;
    const stacked = layer.map((v) => {
      const c = offset + height[v]! / 2;
      offset += height[v]! + gapY;
      return c;
    });
    const shift = (offset - gapY) / 2;
    layer.forEach((v, i) => (y[v] = stacked[i]! - shift));
  }
  for (let r = 1; r <= maxRank; r++) {
    const layer = layers[r]!;
    const desired = layer.map((v) => {
      const preds = bwd[v]!;
      if (preds.length === 0) return y[v]!;
      const ys = preds.map((w) => y[w]!).sort((p, q) => p - q);
      return ys[Math.floor((ys.length - 1) / 2)]!;
    });
    separate(layer, desired).forEach((value, i) => (y[layer[i]!] = value));
  }
  for (let r = maxRank - 1; r >= 0; r--) {
    const layer = layers[r]!;
    const desired = layer.map((v) => {
      const succs = fwd[v]!;
      if (succs.length === 0 || bwd[v]!.length > 0) return y[v]!;
      const ys = succs.map((w) => y[w]!).sort((p, q) => p - q);
      return ys[Math.floor((ys.length - 1) / 2)]!;
    });
    separate(layer, desired).forEach((value, i) => (y[layer[i]!] = value));
  }

  const positions: Record<string, { x: number; y: number }> = {};
  nodes.forEach((node, v) => {
    positions[node.id] = { x: rank[v]! * (width + gapX), y: Math.round(y[v]! - node.height / 2) };
  });
  return positions;
}
