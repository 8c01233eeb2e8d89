// The dashboards' typed calls and hooks (server state in TanStack Query's cache).
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { statusPoll } from '../../api/live';
import type { CatalogEdge } from './editor';

export type DashboardRead = Schemas['DashboardRead'];
export type DashboardSummary = Schemas['DashboardSummary'];
export type SortField = Schemas['DashboardSortField'];

export interface DashboardFilters {
  q?: string;
  owner?: string;
  tag?: string;
  sort?: SortField;
  order?: 'asc' | 'desc';
  cursor?: string;
}

export const dashboardKeys = {
  all: ['dashboards'] as const,
  list: (filters: DashboardFilters) => ['dashboards', 'list', filters] as const,
  one: (id: string) => ['dashboards', 'one', id] as const,
};

export const PAGE_SIZE = 24;

export function useDashboards(filters: DashboardFilters) {
  return useQuery({
    queryKey: dashboardKeys.list(filters),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/dashboards', {
          params: {
            query: {
              q: filters.q || undefined,
              owner: filters.owner || undefined,
              tag: filters.tag ? [filters.tag] : undefined,
              sort: filters.sort,
              order: filters.order,
              cursor: filters.cursor,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: statusPoll,
  });
}

export function fetchDashboard(id: string) {
  return unwrap(api.GET('/api/v1/dashboards/{dashboard_id}', { params: { path: { dashboard_id: id } } }));
}

// A dashboard asked for by the route's loader, with the navigation, while the canvas's code
// is still loading; the page's first query takes it instead of asking again.
const prefetched = new Map<string, Promise<DashboardRead>>();

export function prefetchDashboard(id: string): void {
  if (prefetched.has(id)) return;
  const answer = fetchDashboard(id);
  answer.catch(() => prefetched.delete(id)); // the page asks again and shows the error
  prefetched.set(id, answer);
}

function takePrefetched(id: string): Promise<DashboardRead> | undefined {
  const answer = prefetched.get(id);
  prefetched.delete(id);
  return answer;
}

/** The dashboard with its nodes' live status, refreshed while it is open. */
export function useDashboard(id: string) {
  return useQuery({
    queryKey: dashboardKeys.one(id),
    queryFn: () => takePrefetched(id) ?? fetchDashboard(id),
    refetchInterval: statusPoll,
  });
}

export function createDashboard(body: Schemas['DashboardCreate']) {
  return unwrap(api.POST('/api/v1/dashboards', { body }));
}

export function createFromLineage(body: Schemas['DashboardFromLineage']) {
  return unwrap(api.POST('/api/v1/dashboards/from-lineage', { body }));
}

export function duplicateDashboard(id: string, name?: string) {
  return unwrap(
    api.POST('/api/v1/dashboards/{dashboard_id}/duplicate', {
      params: { path: { dashboard_id: id } },
      body: name ? { name } : {},
    }),
  );
}

/** Replace the dashboard, based on `version`: a 409 says someone saved since. */
export function saveDashboard(id: string, body: Schemas['DashboardReplace']) {
  return unwrap(api.PUT('/api/v1/dashboards/{dashboard_id}', { params: { path: { dashboard_id: id } }, body }));
}

export function deleteDashboard(id: string, version: number) {
  return unwrap(
    api.DELETE('/api/v1/dashboards/{dashboard_id}', {
      params: { path: { dashboard_id: id }, header: { 'if-match': `"${version}"` } },
    }),
  );
}

/** Who saved a dashboard last, and when (from the audit trail; admins only, as editing is). */
export async function lastSave(id: string): Promise<{ actor: string; at: string } | null> {
  const page = await unwrap(api.GET('/api/v1/audit', { params: { query: { target_id: id, limit: 1 } } }));
  const entry = page.items[0];
  return entry ? { actor: entry.actor, at: entry.at } : null;
}

/** The catalog edges touching a node (its edges to other nodes of the canvas are drawn). */
export async function edgesOf(nodeId: string): Promise<CatalogEdge[]> {
  const page = await unwrap(
    api.GET('/api/v1/edges', { params: { query: { node_id: nodeId, include_stale: true, limit: 500 } } }),
  );
  return page.items.map((e) => ({ id: e.id, source_id: e.source_id, target_id: e.target_id }));
}

export async function edgeById(id: string): Promise<CatalogEdge> {
  const e = await unwrap(api.GET('/api/v1/edges/{edge_id}', { params: { path: { edge_id: id } } }));
  return { id: e.id, source_id: e.source_id, target_id: e.target_id };
}

/** Tags as typed ("Finance, tier-1") as the API stores them: trimmed, lower case, once each. */
export const tagsOf = (text: string): string[] => [...new Set(text.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))];
