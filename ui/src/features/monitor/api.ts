// The monitoring loop's state: who schedules, what is due, running and late, what failed.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';

export type MonitorState = Schemas['MonitorState'];

/**
 * How the monitor screen stays current: it asks again every 10 s, stream or not. The stream's
 * events are about nodes; the lease and the due and running counts change without one.
 */
export const MONITOR_REFRESH_MS = 10_000;

export const monitorKeys = { state: ['monitor'] as const };

export function useMonitor() {
  return useQuery({
    queryKey: monitorKeys.state,
    queryFn: () => unwrap(api.GET('/api/v1/monitor')),
    refetchInterval: MONITOR_REFRESH_MS,
  });
}
