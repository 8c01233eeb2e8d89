// Whether the event stream is live: while it is, status queries stop polling (the stream
// invalidates them when something changes); while it is not, they poll as before.
type Listener = () => void;

let live = false;
const listeners = new Set<Listener>();

/** How often the node page, the explorer and dashboards poll status without the stream. */
export const STATUS_POLL_MS = 15_000;

export function streamLive(): boolean {
  return live;
}

export function setStreamLive(value: boolean): void {
  if (value === live) return;
  live = value;
  for (const l of listeners) l();
}

export function onStreamLive(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A query's refetchInterval: none while the stream is live, STATUS_POLL_MS otherwise. */
export function statusPoll(): number | false {
  return live ? false : STATUS_POLL_MS;
}
