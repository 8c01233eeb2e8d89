import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { NodeKind, NodeStatus, Schemas } from '../../api/client';
import { useNodes, type NodeFilters } from '../../api/queries';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { Empty, Loading } from '../../components/misc';
import { Pager, useUrlPages } from '../../components/Pager';
import { ProblemView } from '../../components/ProblemView';
import { STATUS_LABEL, StatusBadge } from '../../components/StatusBadge';
import { useDebounced } from '../../lib/useDebounced';

const KINDS = Object.keys(KIND_LABEL) as NodeKind[];
const STATUSES = Object.keys(STATUS_LABEL) as NodeStatus[];
const SORTS: [Schemas['NodeSortField'], string][] = [
  ['name', 'Name'],
  ['status', 'Status'],
  ['namespace', 'Namespace'],
  ['kind', 'Kind'],
  ['owner', 'Owner'],
  ['updated_at', 'Last change'],
];
const TEXT_FILTERS = ['namespace', 'owner', 'tag'] as const;

function filtersFrom(params: URLSearchParams): NodeFilters {
  const kind = params.get('kind');
  const status = params.get('status');
  const sort = params.get('sort');
  return {
    q: params.get('q') ?? undefined,
    kind: KINDS.includes(kind as NodeKind) ? (kind as NodeKind) : undefined,
    status: STATUSES.includes(status as NodeStatus) ? (status as NodeStatus) : undefined,
    namespace: params.get('namespace') ?? undefined,
    owner: params.get('owner') ?? undefined,
    tag: params.get('tag') ?? undefined,
    sort: SORTS.some(([s]) => s === sort) ? (sort as Schemas['NodeSortField']) : undefined,
    order: params.get('order') === 'desc' ? 'desc' : undefined,
    cursor: params.get('cursor') ?? undefined,
    limit: 25,
  };
}

/** A text filter, applied to the URL a moment after typing stops. */
function TextFilter({ name, value, onChange }: { name: string; value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const debounced = useDebounced(text, 350);
  // The URL changed from elsewhere (Clear filters, a tag link): show its value.
  const [shown, setShown] = useState(value);
  if (value !== shown) {
    setShown(value);
    if (value !== debounced) setText(value);
  }
  useEffect(() => {
    if (debounced !== value) onChange(debounced);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a settled edit applies
  }, [debounced]);
  const id = `filter-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{name[0]?.toUpperCase() + name.slice(1)}</label>
      <input id={id} value={text} onChange={(e) => setText(e.target.value)} placeholder="any" />
    </div>
  );
}

export function SearchPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const filters = filtersFrom(params);
  const result = useNodes(filters);
  const pages = useUrlPages('/search', filters.cursor, result.data?.next_cursor);

  const update = (name: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('cursor');
    navigate(`/search?${next.toString()}`);
  };

  return (
    <div className="search-page">
      <h1>{filters.q ? `Nodes matching “${filters.q}”` : 'Browse the catalog'}</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-kind">Kind</label>
          <select id="filter-kind" value={filters.kind ?? ''} onChange={(e) => update('kind', e.target.value)}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={filters.status ?? ''} onChange={(e) => update('status', e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        {TEXT_FILTERS.map((name) => (
          <TextFilter key={name} name={name} value={params.get(name) ?? ''} onChange={(v) => update(name, v.trim())} />
        ))}
        <div className="field">
          <label htmlFor="filter-sort">Sort by</label>
          <select id="filter-sort" value={filters.sort ?? ''} onChange={(e) => update('sort', e.target.value)}>
            <option value="">relevance (name)</option>
            {SORTS.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {[...params.keys()].some((k) => k !== 'q' && k !== 'cursor') && (
          <button
            type="button"
            className="link-button"
            onClick={() => navigate(filters.q ? `/search?q=${encodeURIComponent(filters.q)}` : '/search')}
          >
            Clear filters
          </button>
        )}
      </form>
      {result.isPending && <Loading what="nodes" />}
      {result.error && <ProblemView error={result.error} />}
      {result.data && result.data.items.length === 0 && <Empty>No node matches. Try fewer filters or another word.</Empty>}
      {result.data && result.data.items.length > 0 && (
        <table className="table results" aria-busy={result.isFetching}>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Owners</th>
              <th scope="col">Tags</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {result.data.items.map((n) => (
              <tr key={n.id}>
                <td>
                  <StatusBadge status={n.status} title={n.status_message} />
                </td>
                <td>
                  <Link to={`/nodes/${n.id}`} className="node-link">
                    {n.name}
                  </Link>
                  <div className="muted small">{n.namespace}</div>
                </td>
                <td>
                  <span className="kind">
                    <KindIcon kind={n.kind} /> {KIND_LABEL[n.kind]}
                  </span>
                </td>
                <td>{n.owners.join(', ') || <span className="muted">none</span>}</td>
                <td>
                  {n.tags.map((t) => (
                    <Link key={t} className="tag" to={`/search?tag=${encodeURIComponent(t)}`}>
                      {t}
                    </Link>
                  ))}
                </td>
                <td className="actions">
                  <Link to={`/nodes/${n.id}/lineage`}>Lineage</Link>
                  <Link to={`/nodes/${n.id}/impact`}>Impact</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages} />
    </div>
  );
}
