import { useState, type FormEvent } from 'react';
import type { Schemas } from '../../api/client';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { useCreateToken, useRevokeToken, useTokens, useUsers, type TokenCreated, type TokenRead } from './api';
import { Confirm } from '../../components/Confirm';
import { Pager, useCursorPages } from '../../components/Pager';
import { ShownOnce } from './Secrets';
import { TransportSettings } from './TransportSettings';

type Scope = Schemas['TokenScope'];

const SCOPES: [Scope, string][] = [
  ['ingest', 'ingest: sends OpenLineage events, reads nothing'],
  ['read', 'read: reads the catalog, lineage and health'],
  ['admin', 'admin: does anything its maker may'],
];

/** API tokens: for machines (Airflow, Spark, scripts); the secret is shown once. */
export function TokensPage() {
  const pages = useCursorPages();
  const tokens = useTokens(pages.cursor);
  const users = useUsers();
  const names = new Map((users.data?.items ?? []).map((u) => [u.id, u.username]));
  const items = tokens.data?.items ?? [];
  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <CreateToken />
      {tokens.isPending && <Loading what="API tokens" />}
      {tokens.error && <ProblemView error={tokens.error} />}
      {tokens.data && items.length === 0 && <Empty>No API token yet.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="API tokens" aria-busy={tokens.isFetching}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Prefix</th>
              <th scope="col">Acts for</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <TokenRow key={t.id} token={t} asOf={tokens.dataUpdatedAt} owner={t.created_by_id ? (names.get(t.created_by_id) ?? 'a user') : null} />
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages.pager(tokens.data?.next_cursor)} />
    </section>
  );
}

function TokenRow({ token, owner, asOf }: { token: TokenRead; owner: string | null; asOf: number }) {
  const [confirming, setConfirming] = useState(false);
  const revoke = useRevokeToken();
  const expired = token.expires_at !== null && new Date(token.expires_at).getTime() <= asOf;
  return (
    <tr>
      <th scope="row">{token.name}</th>
      <td>{token.scope}</td>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{owner ?? <span className="muted" title="Made with `dlv tokens create`: bound to no user">operator</span>}</td>
      <td>
        <When at={token.created_at} />
      </td>
      <td>
        {token.expires_at ? <When at={token.expires_at} /> : <span className="muted">never</span>}
        {expired && <span className="state-disabled"> (expired)</span>}
      </td>
      <td>
        <When at={token.last_used_at} />
      </td>
      <td className="actions">
        <button type="button" className="danger" onClick={() => setConfirming(!confirming)}>
          Revoke
        </button>
        {confirming && (
          <Confirm
            text={`Revoke ${token.name}? Whatever uses it gets 401 from its next request.`}
            action="Revoke token"
            danger
            busy={revoke.isPending}
            onConfirm={() => revoke.mutate(token.id)}
            onCancel={() => setConfirming(false)}
          />
        )}
        {revoke.error && <ProblemView error={revoke.error} context="The token was not revoked" />}
      </td>
    </tr>
  );
}

function CreateToken() {
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('ingest');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<TokenCreated | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate(
      { name, scope, expires_days: days ? Number(days) : null },
      {
        onSuccess: (token) => {
          setCreated(token);
          setName('');
          setDays('');
        },
      },
    );
  };

  return (
    <div className="card create-card">
      <h3>New API token</h3>
      <form className="admin-form" aria-label="New API token" onSubmit={submit}>
        <label className="field">
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="airflow-prod" />
        </label>
        <label className="field">
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
            {SCOPES.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Expires after (days)
          <input type="number" min={1} max={3650} step={1} value={days} onChange={(e) => setDays(e.target.value)} placeholder="never" />
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create token
          </button>
        </div>
        {create.error && <ProblemView error={create.error} context="The token was not created" />}
      </form>
      {created && (
        <ShownOnce label={`Token ${created.name} (${created.scope}).`} value={created.token}>
          {created.scope === 'read' ? (
            <p className="muted small">A read token cannot send OpenLineage events: make an ingest token for Airflow or Spark.</p>
          ) : (
            <TransportSettings token={created.token} name={created.name} />
          )}
          <button type="button" onClick={() => setCreated(null)}>
            Done: hide the token
          </button>
        </ShownOnce>
      )}
    </div>
  );
}
