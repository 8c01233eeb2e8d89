// The web UI's side of the real-time stream: one connection per signed-in tab, which marks
// the queries an event concerns as stale (TanStack Query refetches the ones on screen).
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { rootPath } from '../../api/client';
import { setStreamLive, streamLive } from '../../api/live';
import { session, useSession } from '../../app/session';
import { EventStream, streamUrl, type StreamEvent } from '../../lib/eventStream';

/** Events arriving within this many ms are applied together: one refetch per query. */
const BATCH_MS = 250;

/** The query keys a change to a node makes stale: the node's own, and every list or graph. */
function nodeKeys(node: string | null): unknown[][] {
  return [
    ...(node ? [['node', node], ['checks', node], ['sla', node]] : []),
    ['nodes'],
    ['health-summary'],
    ['lineage'],
    ['impact'],
    ['dashboards'],
  ];
}

/** The query keys (prefixes) an event makes stale. */
export function staleKeys(event: StreamEvent): unknown[][] {
  const node = event.node_id;
  switch (event.kind) {
    case 'collection.finished':
      // The collection history's first page follows it (nodes/collectApi.ts), and so does
      // what it found about the datasets under the node (their Collected sections).
      return [...nodeKeys(node), ...(node ? [['collections', node]] : []), ['collected']];
    case 'node.status':
    case 'check.finished':
    case 'node.created':
    case 'node.updated':
    case 'node.deleted':
    case 'sla.late':
    case 'sla.met':
      return nodeKeys(node);
    case 'run.state':
      // A run may be a success its SLA counts (last_success_at), and a finished run may report
      // the quality of the datasets it read or wrote (their Quality sections).
      return [['runs'], ['quality'], ...(node ? [['node', node], ['sla', node]] : [])];
    case 'edge.created':
    case 'edge.updated':
    case 'edge.deleted':
      return [['lineage'], ['impact'], ['path'], ['edge-columns'], ['dashboards']];
    case 'dashboard.saved':
    case 'dashboard.deleted':
      return [['dashboards']];
    default:
      return [[]]; // graph.imported, or a kind this UI does not know yet: everything
  }
}

function invalidator(client: QueryClient): { add: (event: StreamEvent) => void; flush: () => void } {
  const pending = new Map<string, unknown[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const keys = [...pending.values()];
    pending.clear();
    for (const queryKey of keys) void client.invalidateQueries({ queryKey });
  };
  return {
    add(event) {
      for (const key of staleKeys(event)) pending.set(JSON.stringify(key), key);
      timer ??= setTimeout(flush, BATCH_MS);
    },
    flush() {
      if (timer !== undefined) clearTimeout(timer);
      flush();
    },
  };
}

/** Keep the signed-in tab's queries current from the stream; polling while it is down. */
export function useEventStream(): void {
  const client = useQueryClient();
  const token = useSession()?.token ?? null;
  useEffect(() => {
    if (!token || typeof WebSocket === 'undefined') return;
    const stale = invalidator(client);
    const stream = new EventStream({
      url: streamUrl(window.location, rootPath),
      token,
      onEvent: stale.add,
      onState: (state) => {
        const wasLive = streamLive();
        setStreamLive(state === 'live');
        // A query picks its polling interval when it fetches: fetch once now, so that polling
        // resumes at once when the stream drops (going live, the next poll stops it).
        if (wasLive && state !== 'live') void client.invalidateQueries();
      },
      onStale: () => void client.invalidateQueries(),
      onUnauthorized: () => session.expire(token),
    });
    stream.start();
    return () => {
      stream.stop();
      stale.flush();
      setStreamLive(false);
    };
  }, [client, token]);
}
