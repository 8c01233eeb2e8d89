// What the ingestion screen says of a namespace's numbers: how far mapping is behind, and
// whether the producer is still reporting.
import { formatDuration } from '../../lib/format';
import type { NamespaceActivity } from './api';

export const WINDOWS: [number, string][] = [
  [1, 'last hour'],
  [24, 'last 24 hours'],
  [24 * 7, 'last 7 days'],
  [24 * 30, 'last 30 days'],
];

/** Mapping lag: how long its oldest unmapped event has waited (`now` in epoch ms). */
export function lagText(activity: Pick<NamespaceActivity, 'oldest_pending_received_at'>, now: number): string {
  const oldest = activity.oldest_pending_received_at;
  if (!oldest) return 'none: all mapped';
  return `${formatDuration(Math.max(0, (now - new Date(oldest).getTime()) / 1000))} behind`;
}

/** How far the producer's clock is behind its delivery: when it arrived minus what it says. */
export function deliveryDelay(activity: Pick<NamespaceActivity, 'last_received_at' | 'last_event_time'>): number {
  return Math.max(0, (new Date(activity.last_received_at).getTime() - new Date(activity.last_event_time).getTime()) / 1000);
}
