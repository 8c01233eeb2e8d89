// The alert administration's API hooks: channels, rules, the deliveries log.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { ADMIN_PAGE } from './api';

export type AlertChannelRead = Schemas['AlertChannelRead'];
export type AlertChannelCreate = Schemas['AlertChannelCreate'];
export type ChannelConfig = AlertChannelCreate['config'];
export type AlertRuleRead = Schemas['AlertRuleRead'];
export type AlertRuleCreate = Schemas['AlertRuleCreate'];
export type AlertEvent = Schemas['AlertEvent'];
export type DeliveryRead = Schemas['DeliveryRead'];
export type DeliveryStatus = Schemas['DeliveryStatus'];

export const alertKeys = {
  channels: ['admin', 'alerts', 'channels'] as const,
  rules: ['admin', 'alerts', 'rules'] as const,
  deliveries: (status: string, cursor?: string) => ['admin', 'alerts', 'deliveries', status, cursor ?? ''] as const,
};

export function useChannels() {
  return useQuery({ queryKey: alertKeys.channels, queryFn: () => unwrap(api.GET('/api/v1/alert-channels')) });
}

export function useRules() {
  return useQuery({ queryKey: alertKeys.rules, queryFn: () => unwrap(api.GET('/api/v1/alert-rules')) });
}

export function useDeliveries(status: DeliveryStatus | '', cursor?: string) {
  return useQuery({
    queryKey: alertKeys.deliveries(status, cursor),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/alert-deliveries', {
          params: { query: { status: status || undefined, cursor, limit: ADMIN_PAGE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** A change to channels or rules: both lists (a deleted channel leaves its rules) and the audit log are read again. */
function useAlertMutation<A, R>(fn: (args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ['admin', 'alerts'] });
      void client.invalidateQueries({ queryKey: ['admin', 'audit'] });
    },
  });
}

export function useCreateChannel() {
  return useAlertMutation((body: AlertChannelCreate) => unwrap(api.POST('/api/v1/alert-channels', { body })));
}

export function useUpdateChannel() {
  return useAlertMutation(({ id, body }: { id: string; body: Schemas['AlertChannelUpdate'] }) =>
    unwrap(api.PATCH('/api/v1/alert-channels/{channel_id}', { params: { path: { channel_id: id } }, body })),
  );
}

export function useDeleteChannel() {
  return useAlertMutation((id: string) =>
    unwrap(api.DELETE('/api/v1/alert-channels/{channel_id}', { params: { path: { channel_id: id } } })),
  );
}

export function useTestChannel() {
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/alert-channels/{channel_id}/test', { params: { path: { channel_id: id } } })),
  });
}

export function useCreateRule() {
  return useAlertMutation((body: AlertRuleCreate) => unwrap(api.POST('/api/v1/alert-rules', { body })));
}

export function useDeleteRule() {
  return useAlertMutation((id: string) =>
    unwrap(api.DELETE('/api/v1/alert-rules/{rule_id}', { params: { path: { rule_id: id } } })),
  );
}
