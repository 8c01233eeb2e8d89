import { describe, expect, it, vi } from 'vitest';
import { backoff, EventStream, streamUrl, type SocketLike, type StreamEvent } from './eventStream';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  closed = false;
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  message(value: object) {
    this.onmessage?.({ data: JSON.stringify(value) });
  }
  drop(code = 1006) {
    this.onclose?.({ code, reason: '' });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const events: StreamEvent[] = [];
  const states: string[] = [];
  const onUnauthorized = vi.fn();
  const onStale = vi.fn();
  const stream = new EventStream({
    url: 'ws://dlv/api/v1/stream',
    token: 'secret-token',
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
    onUnauthorized,
    onStale,
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    schedule: (fn, ms) => timers.push({ fn, ms }),
    cancel: () => undefined,
  });
  const fire = () => timers.shift()!.fn();
  const socket = (i: number): FakeSocket => {
    const s = sockets[i];
    if (!s) throw new Error(`no socket ${i}`);
    return s;
  };
  return { stream, socket, timers, events, states, onUnauthorized, onStale, fire };
}

const event = (id: string): StreamEvent => ({
  type: 'event',
  id,
  kind: 'node.status',
  node_id: 'n1',
  created_at: '2026-12-07T00:00:00Z',
  payload: { old: 'ok', new: 'error' },
});

describe('EventStream', () => {
  it('sends the token as its first message, never in the URL', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    expect(JSON.parse(h.socket(0).sent[0] ?? "")).toEqual({ token: 'secret-token' });
  });

  it('resumes after the last event it saw when the connection drops', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    h.socket(0).message({ type: 'hello', last_event_id: '10' });
    h.socket(0).message(event('11'));
    h.socket(0).message(event('12'));
    h.socket(0).drop();
    expect(h.states).toEqual(['connecting', 'live', 'down']);
    h.fire();
    h.socket(1).open();
    expect(JSON.parse(h.socket(1).sent[0] ?? "")).toEqual({ token: 'secret-token', last_event_id: '12' });
    expect(h.events.map((e) => e.id)).toEqual(['11', '12']);
  });

  it('resumes from the hello id when no event came before the drop', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    h.socket(0).message({ type: 'hello', last_event_id: '40' });
    h.socket(0).drop();
    h.fire();
    h.socket(1).open();
    expect(JSON.parse(h.socket(1).sent[0] ?? "").last_event_id).toBe('40');
  });

  it('backs off longer after each failed attempt, and starts over once live', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).drop();
    h.fire();
    h.socket(1).drop();
    h.fire();
    h.socket(2).drop();
    const waits = h.timers.map((t) => t.ms);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(5_000);
    h.fire();
    h.socket(3).open();
    h.socket(3).message({ type: 'hello', last_event_id: '1' });
    h.socket(3).drop();
    expect(h.timers[0]!.ms).toBeLessThan(1_300);
  });

  it('stops for good when the token is refused, and says so', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    h.socket(0).drop(4401);
    expect(h.onUnauthorized).toHaveBeenCalledOnce();
    expect(h.timers).toHaveLength(0);
  });

  it('retries when the server closes a client that fell behind', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    h.socket(0).message({ type: 'hello', last_event_id: '5' });
    h.socket(0).drop(4429);
    expect(h.timers).toHaveLength(1);
  });

  it('tells its owner to refetch when events were missed beyond retention', () => {
    const h = harness();
    h.stream.start();
    h.socket(0).open();
    h.socket(0).message({ type: 'hello', last_event_id: '5' });
    h.socket(0).message({ type: 'stale', detail: 'refetch' });
    expect(h.onStale).toHaveBeenCalledOnce();
  });

  it('does not reconnect after stop', () => {
    const h = harness();
    h.stream.start();
    h.stream.stop();
    h.socket(0).drop();
    expect(h.timers).toHaveLength(0);
    expect(h.socket(0).closed).toBe(true);
  });
});

describe('backoff and the URL', () => {
  it('grows to 30 s and stays there', () => {
    expect(backoff(0, () => 0)).toBe(1_000);
    expect(backoff(10, () => 0)).toBe(30_000);
    expect(backoff(0, () => 1)).toBe(1_200);
  });

  it('uses wss behind https and keeps the root path', () => {
    expect(streamUrl({ protocol: 'https:', host: 'dlv.example' }, '/lineage')).toBe('wss://dlv.example/lineage/api/v1/stream');
    expect(streamUrl({ protocol: 'http:', host: 'localhost:8000' }, '')).toBe('ws://localhost:8000/api/v1/stream');
  });
});
