/// <reference lib="webworker" />
// The layout worker: placing a big graph never blocks the page (see protocol.ts).
import { elkLayout } from './elk';
import { layered } from './layered';
import { isLayoutRequest, type LayoutResponse } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  const request = event.data;
  if (!isLayoutRequest(request)) return;
  const started = performance.now();
  const answer = (response: LayoutResponse) => scope.postMessage(response);
  const run =
    request.algorithm === 'elk'
      ? elkLayout(request.nodes, request.edges)
      : Promise.resolve(layered(request.nodes, request.edges, request.rootId));
  run.then(
    (positions) =>
      answer({ type: 'result', id: request.id, algorithm: request.algorithm, positions, ms: Math.round(performance.now() - started) }),
    (error: unknown) =>
      answer({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
