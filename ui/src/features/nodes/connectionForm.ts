// The connection form's fields per kind, and the PATCH body they make. Secrets are write-only:
// the API answers only whether one is set; an empty field keeps it, "clear" removes it.
import type { NodeRead, Schemas } from '../../api/client';

export type ConnectionRead = NonNullable<NodeRead['connection']>;
export type ConnectionWrite = NonNullable<Schemas['NodeUpdate']['connection']>;
export type SystemKind = ConnectionRead['kind'];

export interface FieldSpec {
  name: string;
  label: string;
  type: 'text' | 'number' | 'url' | 'select' | 'secret';
  options?: string[];
  required?: boolean;
  /** For secrets: whether one is stored, read from the connection. */
  when?: (values: Record<string, string>) => boolean;
}

export const FIELDS: Record<SystemKind, FieldSpec[]> = {
  postgres: [
    { name: 'host', label: 'Host', type: 'text', required: true },
    { name: 'port', label: 'Port', type: 'number' },
    { name: 'database', label: 'Database', type: 'text', required: true },
    { name: 'user', label: 'User', type: 'text', required: true },
    { name: 'password', label: 'Password', type: 'secret' },
    { name: 'sslmode', label: 'SSL mode', type: 'select', options: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] },
    { name: 'connect_timeout', label: 'Timeout (seconds)', type: 'number' },
  ],
  airflow: [
    { name: 'base_url', label: 'Base URL', type: 'url', required: true },
    { name: 'api_version', label: 'API version', type: 'select', options: ['2', '3'] },
    { name: 'auth_type', label: 'Authentication', type: 'select', options: ['none', 'basic', 'bearer'] },
    { name: 'auth_username', label: 'Username', type: 'text', when: (v) => v.auth_type === 'basic' },
    { name: 'auth_password', label: 'Password', type: 'secret', when: (v) => v.auth_type === 'basic' },
    { name: 'auth_token', label: 'Token', type: 'secret', when: (v) => v.auth_type === 'bearer' },
    { name: 'timeout', label: 'Timeout (seconds)', type: 'number' },
  ],
  spark: [
    { name: 'url', label: 'URL', type: 'url', required: true },
    { name: 'token', label: 'Token', type: 'secret' },
    { name: 'timeout', label: 'Timeout (seconds)', type: 'number' },
  ],
};

/** The form's starting values (secrets empty: never shown, never known here). */
export function initialValues(kind: SystemKind, c: ConnectionRead | null | undefined): Record<string, string> {
  if (!c) {
    return kind === 'postgres'
      ? { port: '5432', sslmode: 'prefer', connect_timeout: '5' }
      : kind === 'airflow'
        ? { api_version: '2', auth_type: 'none', timeout: '5' }
        : { timeout: '5' };
  }
  switch (c.kind) {
    case 'postgres':
      return { host: c.host, port: String(c.port), database: c.database, user: c.user, sslmode: c.sslmode, connect_timeout: String(c.connect_timeout) };
    case 'airflow':
      return {
        base_url: c.base_url,
        api_version: String(c.api_version),
        auth_type: c.auth?.type ?? 'none',
        auth_username: c.auth?.type === 'basic' ? c.auth.username : '',
        timeout: String(c.timeout),
      };
    case 'spark':
      return { url: c.url, timeout: String(c.timeout) };
  }
}

/** Which secrets the stored connection holds: field name -> set. */
export function secretsSet(c: ConnectionRead | null | undefined): Record<string, boolean> {
  if (!c) return {};
  switch (c.kind) {
    case 'postgres':
      return { password: c.password_set };
    case 'airflow':
      return {
        auth_password: c.auth?.type === 'basic' ? c.auth.password_set : false,
        auth_token: c.auth?.type === 'bearer' ? c.auth.token_set : false,
      };
    case 'spark':
      return { token: c.token_set };
  }
}

/** A number field; empty means the API's default (shown in the form from the start). */
function num(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : (value as unknown as number); // the API names a bad number
}

/** A secret's value for the PATCH: left out (kept), "" (cleared) or the new one. */
function secret(values: Record<string, string>, cleared: Set<string>, name: string): string | undefined {
  if (cleared.has(name)) return '';
  const v = values[name];
  return v ? v : undefined;
}

export function connectionBody(kind: SystemKind, values: Record<string, string>, cleared: Set<string>): ConnectionWrite {
  switch (kind) {
    case 'postgres':
      return {
        kind,
        host: values.host ?? '',
        port: num(values.port, 5432),
        database: values.database ?? '',
        user: values.user ?? '',
        password: secret(values, cleared, 'password'),
        sslmode: (values.sslmode || 'prefer') as Schemas['PostgresConnection']['sslmode'],
        connect_timeout: num(values.connect_timeout, 5),
      };
    case 'airflow': {
      const type = values.auth_type;
      const auth =
        type === 'basic'
          ? { type: 'basic' as const, username: values.auth_username ?? '', password: secret(values, cleared, 'auth_password') }
          : type === 'bearer'
            ? { type: 'bearer' as const, token: secret(values, cleared, 'auth_token') }
            : null;
      return {
        kind,
        base_url: values.base_url ?? '',
        api_version: num(values.api_version, 2) as 2 | 3,
        auth,
        timeout: num(values.timeout, 5),
      };
    }
    case 'spark':
      return { kind, url: values.url ?? '', token: secret(values, cleared, 'token'), timeout: num(values.timeout, 5) };
  }
}
