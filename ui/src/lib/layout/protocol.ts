// The layout worker's protocol: the page sends what to place, the worker answers positions.
// Requests carry an id; only the answer to the latest request is used (a newer graph makes an
// older layout useless). ELK gets a time budget: past it, the page asks for the fast layout.

export interface LayoutNodeIn {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdgeIn {
  id: string;
  source: string;
  target: string;
}

/** `elk`: ELK layered (best looking, slow past a few hundred nodes); `layered`: DLV's own. */
export type Algorithm = 'elk' | 'layered';

export interface LayoutRequest {
  type: 'layout';
  id: number;
  algorithm: Algorithm;
  rootId: string | null;
  nodes: LayoutNodeIn[];
  edges: LayoutEdgeIn[];
}

export interface LayoutResult {
  type: 'result';
  id: number;
  algorithm: Algorithm;
  /** node id -> top-left corner */
  positions: Record<string, { x: number; y: number }>;
  ms: number;
}

export interface LayoutFailure {
  type: 'error';
  id: number;
  message: string;
}

export type LayoutResponse = LayoutResult | LayoutFailure;

export function isLayoutRequest(value: unknown): value is LayoutRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<LayoutRequest>;
  return v.type === 'layout' && typeof v.id === 'number' && Array.isArray(v.nodes) && Array.isArray(v.edges) && (v.algorithm === 'elk' || v.algorithm === 'layered');
}

export function isLayoutResponse(value: unknown): value is LayoutResponse {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<LayoutResponse>;
  return (v.type === 'result' || v.type === 'error') && typeof v.id === 'number';
}

/** Up to this many nodes ELK is worth its time; above, the fast layered layout. */
export const ELK_MAX_NODES = 150;
/** How long ELK may take before the page gives up on it for this graph. */
export const ELK_BUDGET_MS = 2500;

/** What the client needs of a Worker (a fake in tests). */
export interface WorkerLike {
  postMessage(message: LayoutRequest): void;
  terminate(): void;
  onmessage: ((event: MessageEvent<unknown>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

export interface Placed {
  positions: Record<string, { x: number; y: number }>;
  algorithm: Algorithm;
  ms: number;
}

type Pending = {
  id: number;
  resolve: (placed: Placed) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  request: LayoutRequest;
};

export class SupersededError extends Error {
  constructor() {
    super('a newer layout was requested');
    this.name = 'SupersededError';
  }
}

/**
 * Talks to the layout worker. `layout()` resolves with the positions for the newest request
 * only; an older one rejects with SupersededError. ELK past its budget: the worker is
 * replaced (a running ELK cannot be interrupted) and the fast layout asked for instead.
 */
export class LayoutClient {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private pending: Pending | null = null;
  private readonly makeWorker: () => WorkerLike;
  private readonly budgetMs: number;

  constructor(makeWorker: () => WorkerLike, budgetMs: number = ELK_BUDGET_MS) {
    this.makeWorker = makeWorker;
    this.budgetMs = budgetMs;
  }

  layout(rootId: string | null, nodes: LayoutNodeIn[], edges: LayoutEdgeIn[], algorithm?: Algorithm): Promise<Placed> {
    const chosen: Algorithm = algorithm ?? (nodes.length <= ELK_MAX_NODES ? 'elk' : 'layered');
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.reject(new SupersededError());
      this.pending = null;
    }
    const request: LayoutRequest = { type: 'layout', id: this.nextId++, algorithm: chosen, rootId, nodes, edges };
    return new Promise<Placed>((resolve, reject) => {
      const pending: Pending = { id: request.id, resolve, reject, timer: undefined, request };
      this.pending = pending;
      if (chosen === 'elk') pending.timer = setTimeout(() => this.fallBack(pending), this.budgetMs);
      this.send(request);
    });
  }

  /** Start the worker now (its script loads while the page fetches the graph). */
  warm(): void {
    if (!this.worker) this.attach();
  }

  dispose(): void {
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.reject(new SupersededError());
      this.pending = null;
    }
    this.worker?.terminate();
    this.worker = null;
  }

  private attach(): WorkerLike {
    const worker = this.makeWorker();
    worker.onmessage = (event) => this.receive(event.data);
    worker.onerror = (event) => this.failed(event.message || 'the layout worker failed');
    this.worker = worker;
    return worker;
  }

  private send(request: LayoutRequest): void {
    (this.worker ?? this.attach()).postMessage(request);
  }

  private receive(data: unknown): void {
    if (!isLayoutResponse(data)) return;
    const pending = this.pending;
    if (!pending || data.id !== pending.id) return; // an answer nobody waits for any more
    clearTimeout(pending.timer);
    if (data.type === 'error') {
      if (pending.request.algorithm === 'elk') {
        this.fallBack(pending);
        return;
      }
      this.pending = null;
      pending.reject(new Error(data.message));
      return;
    }
    this.pending = null;
    pending.resolve({ positions: data.positions, algorithm: data.algorithm, ms: data.ms });
  }

  private failed(message: string): void {
    const pending = this.pending;
    this.worker?.terminate();
    this.worker = null;
    if (!pending) return;
    if (pending.request.algorithm === 'elk') {
      this.fallBack(pending);
      return;
    }
    this.pending = null;
    pending.reject(new Error(message));
  }

  /** ELK took too long or failed: a fresh worker, the fast layout, same promise. */
  private fallBack(pending: Pending): void {
    if (this.pending !== pending) return;
    this.worker?.terminate();
    this.worker = null;
    const request: LayoutRequest = { ...pending.request, id: this.nextId++, algorithm: 'layered' };
    pending.id = request.id;
    pending.request = request;
    pending.timer = undefined;
    this.send(request);
  }
}
