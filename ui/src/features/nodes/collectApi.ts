// The collectors' API hooks: collect a system node now, its collection history, and what a
// collector found about a dataset node.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys, statusPoll } from '../../api/queries';
import { nullIfNotFound } from '../../lib/problem';

export type CollectionRead = Schemas['CollectionRead'];
export type CollectionResult = Schemas['CollectionResult'];
export type CollectedRead = Schemas['CollectedRead'];

/** Collections shown per page of the history. */
export const COLLECTIONS_PAGE = 10;

export const collectKeys = {
  collections: (id: string) => ['collections', id] as const,
  page: (id: string, cursor?: string) => ['collections', id, cursor ?? ''] as const,
  collected: (id: string) => ['collected', id] as const,
};

export function useCollections(id: string, cursor?: string) {
  return useQuery({
    queryKey: collectKeys.page(id, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/nodes/{node_id}/collections', {
          params: { path: { node_id: id }, query: { cursor, limit: COLLECTIONS_PAGE } },
        }),
      ),
    placeholderData: keepPreviousData,
    // A scheduled collection lands here without anyone asking: the first page follows it
    // (the stream's collection.finished, or polling while the stream is down).
    refetchInterval: cursor ? false : statusPoll,
  });
}

/** Runs the node's collector now; the history, the node and its children are read again after. */
export function useCollect(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (prune: boolean) =>
      unwrap(
        api.POST('/api/v1/nodes/{node_id}/collect', {
          params: { path: { node_id: id }, query: { prune } },
        }),
      ),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: collectKeys.collections(id) });
      void client.invalidateQueries({ queryKey: keys.node(id) });
      void client.invalidateQueries({ queryKey: ['nodes'] });
      void client.invalidateQueries({ queryKey: ['collected'] });
    },
  });
}

/** What a collector found about a dataset node; null when none found it (a 404). */
export function useCollected(id: string) {
  return useQuery({
    queryKey: collectKeys.collected(id),
    queryFn: () => nullIfNotFound(unwrap(api.GET('/api/v1/nodes/{node_id}/collected', { params: { path: { node_id: id } } }))),
  });
}
