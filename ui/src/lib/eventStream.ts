// The client side of WebSocket /api/v1/stream (docs/api.md): authenticate with the first
// message (never the URL), remember the last event id, reconnect with backoff and resume
// from that id so nothing is missed. No React here: the hook in features/stream wires it up.

/** An event as the stream sends it (docs/api.md lists the kinds and their payloads). */
export interface StreamEvent {
  type: 'event';
  id: string;
  kind: string;
  node_id: string | null;
  created_at: string;
  payload: Record<string, unknown>;
}

export type StreamState = 'connecting' | 'live' | 'down';

/** The part of the browser's WebSocket this client uses (tests pass a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface StreamOptions {
  url: string;
  token: string;
  onEvent: (event: StreamEvent) => void;
  /** The connection's state changed (polling is the fallback while it is not live). */
  onState?: (state: StreamState) => void;
  /** The server said refetch: events were missed beyond what it keeps. */
  onStale?: () => void;
  /** The token no longer works (4401): the session is over. */
  onUnauthorized?: () => void;
  socket?: (url: string) => SocketLike;
  schedule?: (fn: () => void, ms: number) => unknown;
  cancel?: (handle: unknown) => void;
}

/** Close codes after which reconnecting cannot help. */
const FINAL = new Set([4400, 4401, 4403, 4404]);
export const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** Delay before reconnect attempt ``attempt`` (0-based), with up to 20 % jitter. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 30_000;
  return Math.round(base * (1 + 0.2 * random()));
}

export class EventStream {
  /** The id to resume after (from the last event, or the server's hello). */
  lastEventId: string | null = null;
  state: StreamState = 'down';
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;

  constructor(private readonly options: StreamOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) (this.options.cancel ?? clearTimeout)(this.timer as ReturnType<typeof setTimeout>);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'done');
    this.setState('down');
  }

  private connect(): void {
    this.timer = null;
    this.setState('connecting');
    const make = this.options.socket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    let socket: SocketLike;
    try {
      socket = make(this.options.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const first: Record<string, string> = { token: this.options.token };
      if (this.lastEventId !== null) first.last_event_id = this.lastEventId;
      socket.send(JSON.stringify(first));
    };
    socket.onmessage = (ev) => this.receive(ev.data);
    socket.onerror = () => undefined; // a close follows, which decides
    socket.onclose = (ev) => {
      if (socket !== this.socket) return; // an old socket, replaced or stopped
      this.socket = null;
      if (this.stopped) return;
      if (ev.code === 4401) {
        this.setState('down');
        this.options.onUnauthorized?.();
        return;
      }
      if (FINAL.has(ev.code)) {
        this.setState('down');
        return;
      }
      this.retry();
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: { type?: string; last_event_id?: string; id?: string };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'hello') {
      this.attempt = 0;
      if (typeof message.last_event_id === 'string') this.lastEventId = message.last_event_id;
      this.setState('live');
    } else if (message.type === 'stale') {
      this.options.onStale?.();
    } else if (message.type === 'event' && typeof message.id === 'string') {
      this.lastEventId = message.id;
      this.options.onEvent(message as unknown as StreamEvent);
    }
  }

  private retry(): void {
    this.setState('down');
    const wait = backoff(this.attempt);
    this.attempt += 1;
    this.timer = (this.options.schedule ?? setTimeout)(() => this.connect(), wait);
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onState?.(state);
  }
}

/** The stream's URL for a page served at ``location`` under ``rootPath``. */
export function streamUrl(location: { protocol: string; host: string }, rootPath: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${rootPath}/api/v1/stream`;
}
