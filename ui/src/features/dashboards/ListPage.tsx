import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useIsAdmin } from '../../api/queries';
import { Empty, Loading, When } from '../../components/misc';
import { Pager, useUrlPages } from '../../components/Pager';
import { ProblemView } from '../../components/ProblemView';
import { StatusIcon } from '../../components/StatusBadge';
import { useDebounced } from '../../lib/useDebounced';
import { useDashboards, type DashboardFilters, type SortField } from './queries';

const SORTS: [string, string][] = [
  ['name:asc', 'Name'],
  ['updated_at:desc', 'Last saved'],
  ['created_at:desc', 'Newest'],
];

function filtersFrom(params: URLSearchParams): DashboardFilters {
  const [sort, order] = (params.get('sort') ?? 'name:asc').split(':');
  return {
    q: params.get('q') ?? undefined,
    owner: params.get('owner') ?? undefined,
    tag: params.get('tag') ?? undefined,
    sort: (['name', 'updated_at', 'created_at'].includes(sort ?? '') ? sort : 'name') as SortField,
    order: order === 'desc' ? 'desc' : 'asc',
    cursor: params.get('cursor') ?? undefined,
  };
}

/** A text box whose value reaches the URL a moment after typing stops. */
function Filter({ name, label, value, onChange }: { name: string; label: string; value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const settled = useDebounced(text, 300);
  // The URL changed from elsewhere (a tag or owner clicked): show its value.
  const [shown, setShown] = useState(value);
  if (value !== shown) {
    setShown(value);
    if (value !== settled) setText(value);
  }
  useEffect(() => {
    if (settled !== value) onChange(settled.trim());
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a settled edit applies
  }, [settled]);
  return (
    <div className="field">
      <label htmlFor={`dash-filter-${name}`}>{label}</label>
      <input id={`dash-filter-${name}`} type={name === 'q' ? 'search' : 'text'} value={text} onChange={(e) => setText(e.target.value)} placeholder="any" />
    </div>
  );
}

export function ListPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const isAdmin = useIsAdmin();
  const filters = filtersFrom(params);
  const result = useDashboards(filters);
  const pages = useUrlPages('/dashboards', filters.cursor, result.data?.next_cursor);

  const update = (name: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete('cursor');
    navigate(`/dashboards?${next.toString()}`, { replace: name !== 'sort' });
  };
  return (
    <div className="dash-list-page">
      <header className="page-header">
        <div>
          <h1>Dashboards</h1>
          <p className="muted">Saved maps of business-critical flows, with the live status of every node on them.</p>
        </div>
        {isAdmin && (
          <div className="page-actions">
            <Link className="button primary" to="/dashboards/new">
              New dashboard
            </Link>
          </div>
        )}
      </header>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <Filter name="q" label="Search dashboards" value={filters.q ?? ''} onChange={(v) => update('q', v)} />
        <Filter name="owner" label="Owner" value={filters.owner ?? ''} onChange={(v) => update('owner', v)} />
        <Filter name="tag" label="Tag" value={filters.tag ?? ''} onChange={(v) => update('tag', v.toLowerCase())} />
        <div className="field">
          <label htmlFor="dash-sort">Sort by</label>
          <select id="dash-sort" value={`${filters.sort}:${filters.order}`} onChange={(e) => update('sort', e.target.value)}>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {result.isPending && <Loading what="dashboards" />}
      {result.error && <ProblemView error={result.error} />}
      {result.data && result.data.items.length === 0 && (
        <Empty>{params.toString() ? 'No dashboard matches these filters.' : 'No dashboard yet.'}{isAdmin && ' Create one from a node’s lineage to start.'}</Empty>
      )}
      {result.data && result.data.items.length > 0 && (
        <ul className="dash-cards" aria-busy={result.isFetching}>
          {result.data.items.map((d) => (
            <li key={d.id} className="card dash-list-card" aria-label={`Dashboard ${d.name}`}>
              <h2>
                <Link to={`/dashboards/${d.id}`}>{d.name}</Link>
              </h2>
              {d.description && <p className="dash-card-description">{d.description}</p>}
              <p className="dash-card-health">
                {d.nodes_in_error > 0 ? (
                  <span className="status-badge status-error">
                    <StatusIcon status="error" /> {d.nodes_in_error} of {d.node_count} in error
                  </span>
                ) : (
                  <span className="status-badge status-ok">
                    <StatusIcon status="ok" /> none of {d.node_count} in error
                  </span>
                )}
                {d.nodes_late > 0 && (
                  <>
                    {' '}
                    <span className="status-badge status-late">
                      <StatusIcon status="late" /> {d.nodes_late} late
                    </span>
                  </>
                )}
              </p>
              <p className="muted small">
                {d.owner ? (
                  <>
                    owner{' '}
                    <button type="button" className="link-button" onClick={() => update('owner', d.owner!)}>
                      {d.owner}
                    </button>
                  </>
                ) : (
                  'no owner'
                )}{' '}
                · saved <When at={d.updated_at} /> · version {d.version}
              </p>
              <p>
                {d.tags.map((t) => (
                  <button key={t} type="button" className="tag" onClick={() => update('tag', t)}>
                    {t}
                  </button>
                ))}
              </p>
            </li>
          ))}
        </ul>
      )}
      <Pager {...pages} />
    </div>
  );
}
