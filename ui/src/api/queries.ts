// Typed hooks per resource. Server state stays in TanStack Query's cache (no global store).
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { nullIfNotFound } from '../lib/problem';
import { api, unwrap, type ImpactReport, type NodeKind, type NodeStatus, type Schemas } from './client';
import { statusPoll } from './live';

export { STATUS_POLL_MS, statusPoll } from './live';

export const keys = {
  me: ['me'] as const,
  node: (id: string) => ['node', id] as const,
  nodes: (filters: NodeFilters) => ['nodes', filters] as const,
  checks: (id: string) => ['checks', id] as const,
  sla: (id: string) => ['sla', id] as const,
  quality: (id: string, cursor: string | null) => ['quality', id, cursor] as const,
  runs: (filters: Record<string, string | undefined>) => ['runs', filters] as const,
  openlineage: (id: string) => ['openlineage', id] as const,
  summary: ['health-summary'] as const,
  lineage: (id: string, direction: string, depth: number | null) =>
    ['lineage', id, direction, depth] as const,
  impact: (id: string, direction: string) => ['impact', id, direction] as const,
  path: (from: string, to: string) => ['path', from, to] as const,
  edgeColumns: (source: string, target: string) => ['edge-columns', source, target] as const,
};

export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: () => unwrap(api.GET('/api/v1/auth/me')),
    staleTime: 5 * 60_000,
  });
}

/** True when the signed-in principal may edit (the API enforces it regardless). */
export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin';
}

export function fetchNode(id: string) {
  return unwrap(api.GET('/api/v1/nodes/{node_id}', { params: { path: { node_id: id } } }));
}

export function useNode(id: string) {
  return useQuery({ queryKey: keys.node(id), queryFn: () => fetchNode(id), refetchInterval: statusPoll });
}

export interface NodeFilters {
  q?: string;
  kind?: NodeKind;
  namespace?: string;
  owner?: string;
  tag?: string;
  status?: NodeStatus;
  sort?: Schemas['NodeSortField'];
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
}

export function useNodes(filters: NodeFilters, enabled = true) {
  return useQuery({
    queryKey: keys.nodes(filters),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes', {
          params: {
            query: {
              q: filters.q || undefined,
              kind: filters.kind,
              namespace: filters.namespace || undefined,
              owner: filters.owner || undefined,
              tag: filters.tag ? [filters.tag] : undefined,
              status: filters.status,
              sort: filters.sort,
              order: filters.order,
              cursor: filters.cursor,
              limit: filters.limit ?? 25,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useChecks(id: string) {
  return useQuery({
    queryKey: keys.checks(id),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes/{node_id}/checks', {
          params: { path: { node_id: id }, query: { limit: 20 } },
        }),
      ),
    refetchInterval: statusPoll,
  });
}

export function useRuns(filters: { node_id?: string; state?: Schemas['RunState'] }, limit = 20) {
  return useQuery({
    queryKey: keys.runs({ ...filters, limit: String(limit) }),
    queryFn: () => unwrap(api.GET('/api/v1/runs', { params: { query: { ...filters, limit } } })),
    refetchInterval: statusPoll,
  });
}

export function useOpenLineage(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.openlineage(id),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes/{node_id}/openlineage', { params: { path: { node_id: id } } }),
      ),
    enabled,
  });
}

export function useHealthSummary() {
  return useQuery({
    queryKey: keys.summary,
    queryFn: () => unwrap(api.GET('/api/v1/health/summary')),
    refetchInterval: statusPoll,
  });
}

/** Beyond this many nodes the answer is cut (and says so): lower the depth, or group. */
export const LINEAGE_LIMIT = 20_000;

export function fetchLineage(id: string, direction: Schemas['LineageDirection'], depth: number | null) {
  return unwrap(
    api.GET('/api/v1/nodes/{node_id}/lineage', {
      params: {
        path: { node_id: id },
        query: { direction, depth: depth ?? undefined, limit: LINEAGE_LIMIT },
      },
    }),
  );
}

export function useLineage(id: string, direction: Schemas['LineageDirection'], depth: number | null) {
  return useQuery({
    queryKey: keys.lineage(id, direction, depth),
    queryFn: () => fetchLineage(id, direction, depth),
    refetchInterval: statusPoll,
    placeholderData: keepPreviousData,
  });
}

export function useImpact(id: string, direction: Schemas['ImpactDirection']) {
  return useQuery({
    queryKey: keys.impact(id, direction),
    // JSON here (the same route answers CSV with ?format=csv, hence the union type).
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes/{node_id}/impact', {
          params: { path: { node_id: id }, query: { direction } },
        }),
      ) as Promise<ImpactReport>,
    refetchInterval: statusPoll,
  });
}

export function usePath(from: string | null, to: string | null) {
  return useQuery({
    queryKey: keys.path(from ?? '', to ?? ''),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/lineage/path', {
          params: { query: { from: from ?? '', to: to ?? '' } },
        }),
      ),
    enabled: Boolean(from && to),
    retry: false,
  });
}

/** Column lineage of the flow edge source -> target (the lineage answer has no edge ids). */
export function useEdgeColumns(source: string | null, target: string | null) {
  return useQuery({
    queryKey: keys.edgeColumns(source ?? '', target ?? ''),
    queryFn: async () => {
      const page = await unwrap(
        api.GET('/api/v1/edges', {
          params: { query: { source_id: source ?? '', target_id: target ?? '', include_stale: true, limit: 1 } },
        }),
      );
      const edge = page.items[0];
      if (!edge) return null;
      const columns = await unwrap(
        api.GET('/api/v1/edges/{edge_id}/columns', { params: { path: { edge_id: edge.id } } }),
      );
      return { edge, columns };
    },
    enabled: Boolean(source && target),
  });
}

export function useTestConnection(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/nodes/{node_id}/test-connection', { params: { path: { node_id: id } } }),
      ),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.node(id) });
      void client.invalidateQueries({ queryKey: keys.checks(id) });
      void client.invalidateQueries({ queryKey: keys.summary });
    },
  });
}

export function useAddAnnotation(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST('/api/v1/nodes/{node_id}/annotations', {
          params: { path: { node_id: id } },
          body: { text },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.node(id) }),
  });
}

export function useDeleteAnnotation(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (annotationId: string) =>
      unwrap(
        api.DELETE('/api/v1/nodes/{node_id}/annotations/{annotation_id}', {
          params: { path: { node_id: id, annotation_id: annotationId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.node(id) }),
  });
}

export function useUpdateNode(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['NodeUpdate']) =>
      unwrap(api.PATCH('/api/v1/nodes/{node_id}', { params: { path: { node_id: id } }, body })),
    onSuccess: (node) => client.setQueryData(keys.node(id), node),
  });
}

/** A node's data quality: latest assertions and a page of metrics history (newest first). */
export function useNodeQuality(id: string, cursor: string | null = null) {
  return useQuery({
    queryKey: keys.quality(id, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes/{node_id}/quality', {
          params: { path: { node_id: id }, query: { limit: 10, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    refetchInterval: statusPoll,
  });
}

/** A node's SLA, or null when it has none (the API answers 404). */
export function useNodeSla(id: string) {
  return useQuery({
    queryKey: keys.sla(id),
    queryFn: () => nullIfNotFound(unwrap(api.GET('/api/v1/nodes/{node_id}/sla', { params: { path: { node_id: id } } }))),
    refetchInterval: statusPoll,
  });
}

export function usePutSla(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['SlaWrite']) =>
      unwrap(api.PUT('/api/v1/nodes/{node_id}/sla', { params: { path: { node_id: id } }, body })),
    onSuccess: (sla) => client.setQueryData(keys.sla(id), sla),
  });
}

export function useDeleteSla(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/nodes/{node_id}/sla', { params: { path: { node_id: id } } })),
    onSuccess: async () => {
      client.setQueryData(keys.sla(id), null);
      await client.invalidateQueries({ queryKey: keys.node(id) });
    },
  });
}
