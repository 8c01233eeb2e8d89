// The audit screen's filters live in the URL (a filtered view can be pasted into a chat): read
// from it here, and turned into the API's query, times in RFC 3339 as the API requires.

export const AUDIT_ACTIONS = [
  'auth.login',
  'user.create',
  'user.update',
  'user.delete',
  'token.create',
  'token.revoke',
  'node.create',
  'node.update',
  'node.delete',
  'node.status',
  'annotation.create',
  'annotation.delete',
  'edge.create',
  'edge.update',
  'edge.delete',
  'dashboard.create',
  'dashboard.update',
  'dashboard.delete',
  'dashboard.duplicate',
  'graph.import',
  'secrets.rotate',
] as const;

export const AUDIT_OBJECTS = ['user', 'token', 'node', 'edge', 'dashboard', 'graph', 'instance'] as const;

/** The URL parameters of the audit screen. */
export const AUDIT_PARAMS = ['actor', 'action', 'target_type', 'target_id', 'since', 'until'] as const;
export type AuditParam = (typeof AUDIT_PARAMS)[number];

export interface AuditQuery {
  actor?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

/**
 * A `datetime-local` value (`2026-12-07T10:30`, the browser's zone) as RFC 3339 UTC;
 * undefined when empty or not a time.
 */
export function localToUtc(value: string | null): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An RFC 3339 time as a `datetime-local` value in the browser's zone (minutes). */
export function utcToLocal(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The API query for the screen's URL parameters (`since`/`until` are local times there). */
export function auditQuery(params: URLSearchParams): AuditQuery {
  const text = (name: AuditParam) => params.get(name)?.trim() || undefined;
  return {
    actor: text('actor'),
    action: text('action'),
    target_type: text('target_type'),
    target_id: text('target_id'),
    since: localToUtc(params.get('since')),
    until: localToUtc(params.get('until')),
    cursor: params.get('cursor') ?? undefined,
  };
}

/** One line for a record's changes, as the API gave them (it has masked every secret). */
export function describeChanges(changes: Record<string, unknown>): string {
  return Object.entries(changes)
    .map(([key, value]) => {
      if (value && typeof value === 'object' && !Array.isArray(value) && 'from' in value && 'to' in value) {
        const { from, to } = value as { from: unknown; to: unknown };
        return `${key}: ${show(from)} → ${show(to)}`;
      }
      return `${key}: ${show(value)}`;
    })
    .join('; ');
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
