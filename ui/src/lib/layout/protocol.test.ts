import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isLayoutRequest, LayoutClient, SupersededError, type LayoutRequest, type LayoutResponse, type WorkerLike } from './protocol';

/** A worker that records requests; the test answers them. */
class FakeWorker implements WorkerLike {
  static made: FakeWorker[] = [];
  requests: LayoutRequest[] = [];
  terminated = false;
  onmessage: ((event: MessageEvent<unknown>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  constructor() {
    FakeWorker.made.push(this);
  }
  postMessage(message: LayoutRequest) {
    expect(isLayoutRequest(message)).toBe(true);
    this.requests.push(message);
  }
  terminate() {
    this.terminated = true;
  }
  answer(response: LayoutResponse) {
    this.onmessage?.({ data: response } as MessageEvent<unknown>);
  }
  ok(request: LayoutRequest) {
    this.answer({ type: 'result', id: request.id, algorithm: request.algorithm, positions: { a: { x: 1, y: 2 } }, ms: 3 });
  }
}

const nodes = (k: number) => Array.from({ length: k }, (_, i) => ({ id: i === 0 ? 'a' : `n${i}`, width: 10, height: 10 }));

describe('the layout worker protocol', () => {
  beforeEach(() => {
    FakeWorker.made = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('asks ELK for a small graph and the fast layout for a big one', () => {
    const client = new LayoutClient(() => new FakeWorker());
    void client.layout('a', nodes(10), []).catch(() => undefined);
    void client.layout('a', nodes(500), []).catch(() => undefined);
    const [small, big] = FakeWorker.made[0]!.requests;
    expect(small?.algorithm).toBe('elk');
    expect(big?.algorithm).toBe('layered');
  });

  it('resolves with the positions of the answer to the latest request', async () => {
    const client = new LayoutClient(() => new FakeWorker());
    const placed = client.layout('a', nodes(3), [], 'layered');
    const worker = FakeWorker.made[0]!;
    worker.ok(worker.requests[0]!);
    await expect(placed).resolves.toEqual({ positions: { a: { x: 1, y: 2 } }, algorithm: 'layered', ms: 3 });
  });

  it('rejects an older request once a newer one is made, and ignores its late answer', async () => {
    const client = new LayoutClient(() => new FakeWorker());
    const first = client.layout('a', nodes(3), [], 'layered');
    const second = client.layout('a', nodes(4), [], 'layered');
    await expect(first).rejects.toBeInstanceOf(SupersededError);
    const worker = FakeWorker.made[0]!;
    worker.ok(worker.requests[0]!); // late: must not resolve the second
    worker.answer({ type: 'result', id: worker.requests[1]!.id, algorithm: 'layered', positions: {}, ms: 1 });
    await expect(second).resolves.toMatchObject({ positions: {} });
  });

  it('replaces a worker stuck in ELK past its budget and asks for the fast layout', async () => {
    const client = new LayoutClient(() => new FakeWorker(), 1000);
    const placed = client.layout('a', nodes(5), []);
    const stuck = FakeWorker.made[0]!;
    vi.advanceTimersByTime(1001);
    expect(stuck.terminated).toBe(true);
    const fresh = FakeWorker.made[1]!;
    expect(fresh.requests[0]?.algorithm).toBe('layered');
    stuck.ok(stuck.requests[0]!); // the stuck worker's late answer changes nothing
    fresh.ok(fresh.requests[0]!);
    await expect(placed).resolves.toMatchObject({ algorithm: 'layered' });
  });

  it('falls back to the fast layout when ELK fails', async () => {
    const client = new LayoutClient(() => new FakeWorker());
    const placed = client.layout('a', nodes(5), []);
    const worker = FakeWorker.made[0]!;
    worker.answer({ type: 'error', id: worker.requests[0]!.id, message: 'boom' });
    const retry = FakeWorker.made[1]!.requests[0]!;
    expect(retry.algorithm).toBe('layered');
    FakeWorker.made[1]!.ok(retry);
    await expect(placed).resolves.toMatchObject({ algorithm: 'layered' });
  });

  it('rejects when the fast layout itself fails', async () => {
    const client = new LayoutClient(() => new FakeWorker());
    const placed = client.layout('a', nodes(5), [], 'layered');
    const worker = FakeWorker.made[0]!;
    worker.answer({ type: 'error', id: worker.requests[0]!.id, message: 'no memory' });
    await expect(placed).rejects.toThrow('no memory');
  });

  it('ignores messages that are not protocol answers', () => {
    const client = new LayoutClient(() => new FakeWorker());
    void client.layout('a', nodes(2), [], 'layered');
    expect(() => FakeWorker.made[0]!.onmessage?.({ data: 'hello' } as MessageEvent<unknown>)).not.toThrow();
  });
});
