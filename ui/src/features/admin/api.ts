// The administration's API hooks: users, API tokens, the audit trail, ingestion activity.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import type { AuditQuery } from './auditFilters';

export type UserRead = Schemas['UserRead'];
export type TokenRead = Schemas['TokenRead'];
export type TokenCreated = Schemas['TokenCreated'];
export type AuditRead = Schemas['AuditRead'];
export type NamespaceActivity = Schemas['NamespaceActivity'];

/** How often the ingestion screen refreshes. */
export const INGESTION_POLL_MS = 15_000;
/** The page size of every admin list (the API allows up to 500). */
export const ADMIN_PAGE = 50;

export const adminKeys = {
  users: (cursor?: string) => ['admin', 'users', cursor ?? ''] as const,
  tokens: (cursor?: string) => ['admin', 'tokens', cursor ?? ''] as const,
  audit: (query: AuditQuery) => ['admin', 'audit', query] as const,
  ingestion: ['admin', 'ingestion-status'] as const,
  namespaces: (hours: number) => ['admin', 'ingestion-namespaces', hours] as const,
};

export function useUsers(cursor?: string) {
  return useQuery({
    queryKey: adminKeys.users(cursor),
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { cursor, limit: ADMIN_PAGE } } })),
    placeholderData: keepPreviousData,
  });
}

/** Every mutation here changes users and the audit trail: both are read again after it. */
function useAdminMutation<A, R>(fn: (args: A) => Promise<R>, what: 'users' | 'tokens') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ['admin', what] });
      void client.invalidateQueries({ queryKey: ['admin', 'audit'] });
    },
  });
}

export function useCreateUser() {
  return useAdminMutation((body: Schemas['UserCreate']) => unwrap(api.POST('/api/v1/users', { body })), 'users');
}

export function useUpdateUser() {
  return useAdminMutation(
    ({ id, body }: { id: string; body: Schemas['UserUpdate'] }) =>
      unwrap(api.PATCH('/api/v1/users/{user_id}', { params: { path: { user_id: id } }, body })),
    'users',
  );
}

export function useDeleteUser() {
  return useAdminMutation(
    (id: string) => unwrap(api.DELETE('/api/v1/users/{user_id}', { params: { path: { user_id: id } } })),
    'users',
  );
}

export function useTokens(cursor?: string) {
  return useQuery({
    queryKey: adminKeys.tokens(cursor),
    queryFn: () => unwrap(api.GET('/api/v1/tokens', { params: { query: { cursor, limit: ADMIN_PAGE } } })),
    placeholderData: keepPreviousData,
  });
}

export function useCreateToken() {
  return useAdminMutation((body: Schemas['TokenCreate']) => unwrap(api.POST('/api/v1/tokens', { body })), 'tokens');
}

export function useRevokeToken() {
  return useAdminMutation(
    (id: string) => unwrap(api.DELETE('/api/v1/tokens/{token_id}', { params: { path: { token_id: id } } })),
    'tokens',
  );
}

export function useAudit(query: AuditQuery) {
  return useQuery({
    queryKey: adminKeys.audit(query),
    queryFn: () => unwrap(api.GET('/api/v1/audit', { params: { query: { ...query, limit: ADMIN_PAGE } } })),
    placeholderData: keepPreviousData,
  });
}

export function useIngestionStatus() {
  return useQuery({
    queryKey: adminKeys.ingestion,
    queryFn: () => unwrap(api.GET('/api/v1/ingestion/status')),
    refetchInterval: INGESTION_POLL_MS,
  });
}

/** Events per namespace over the last `hours` (the window moves with each refresh). */
export function useIngestionNamespaces(hours: number) {
  return useQuery({
    queryKey: adminKeys.namespaces(hours),
    queryFn: () => {
      const since = new Date(Date.now() - hours * 3600_000).toISOString();
      return unwrap(api.GET('/api/v1/ingestion/namespaces', { params: { query: { since, limit: 200 } } }));
    },
    refetchInterval: INGESTION_POLL_MS,
    placeholderData: keepPreviousData,
  });
}
