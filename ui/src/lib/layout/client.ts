import { LayoutClient, type WorkerLike } from './protocol';

/** The page's layout client, on a module worker bundled by Vite. */
export function createLayoutClient(): LayoutClient {
  return new LayoutClient(
    () => new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'dlv-layout' }) as unknown as WorkerLike,
  );
}
