// The monitoring loop's state: who schedules, what is due, running and late, what failed.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';

export type MonitorState = Schemas['MonitorState'];

/**
 * How the monitor screen stays current: it asks again every 10 s. This is the one place that
 * decides it; when the server's event stream arrives, it replaces this interval (the screen
 * reads the same cache entry either way).
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
