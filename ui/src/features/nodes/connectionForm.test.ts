import { describe, expect, it } from 'vitest';
import { connectionBody, initialValues, secretsSet } from './connectionForm';

describe('the connection form', () => {
  it('never shows a secret, only whether one is set', () => {
    const stored = { kind: 'postgres' as const, host: 'db', port: 5432, database: 'shop', user: 'dlv', password_set: true, sslmode: 'prefer', connect_timeout: 5 };
    expect(initialValues('postgres', stored)).not.toHaveProperty('password');
    expect(secretsSet(stored)).toEqual({ password: true });
  });

  it('keeps a stored secret when its field is left empty, and clears it when asked', () => {
    const values = { host: 'db', port: '5433', database: 'shop', user: 'dlv', password: '', sslmode: 'require', connect_timeout: '' };
    const kept = connectionBody('postgres', values, new Set());
    expect(kept).toMatchObject({ kind: 'postgres', port: 5433, connect_timeout: 5, sslmode: 'require' });
    expect(kept).toHaveProperty('password', undefined);
    expect(JSON.parse(JSON.stringify(kept))).not.toHaveProperty('password');
    expect(connectionBody('postgres', values, new Set(['password']))).toHaveProperty('password', '');
    expect(connectionBody('postgres', { ...values, password: 's3cret' }, new Set())).toHaveProperty('password', 's3cret');
  });

  it('builds Airflow auth of the chosen type', () => {
    const base = { base_url: 'https://airflow', api_version: '3', timeout: '10' };
    expect(connectionBody('airflow', { ...base, auth_type: 'none' }, new Set())).toMatchObject({ api_version: 3, auth: null, timeout: 10 });
    expect(connectionBody('airflow', { ...base, auth_type: 'basic', auth_username: 'u', auth_password: 'p' }, new Set())).toMatchObject({
      auth: { type: 'basic', username: 'u', password: 'p' },
    });
    expect(connectionBody('airflow', { ...base, auth_type: 'bearer' }, new Set(['auth_token']))).toMatchObject({ auth: { type: 'bearer', token: '' } });
  });

  it('passes a number it cannot read to the API, which names the field', () => {
    expect(connectionBody('spark', { url: 'http://s', timeout: 'soon' }, new Set())).toMatchObject({ timeout: 'soon' });
  });
});
