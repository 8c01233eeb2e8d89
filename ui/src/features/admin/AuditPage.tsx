import { type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { useAudit } from './api';
import { AUDIT_ACTIONS, AUDIT_OBJECTS, AUDIT_PARAMS, auditQuery, describeChanges } from './auditFilters';
import { Pager, useUrlPages } from '../../components/Pager';

/** The audit trail: who changed what, when; filters and page in the URL. */
export function AuditPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const query = auditQuery(params);
  const audit = useAudit(query);
  const pages = useUrlPages('/admin/audit', query.cursor, audit.data?.next_cursor);
  const items = audit.data?.items ?? [];

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const name of AUDIT_PARAMS) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    navigate(`/admin/audit?${next.toString()}`);
  };

  const filtersKey = AUDIT_PARAMS.map((p) => params.get(p) ?? '').join('|');
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {/* Keyed by the URL: Back, or a pasted link, shows its own filters. */}
      <form key={filtersKey} className="filters" aria-label="Audit filters" onSubmit={apply}>
        <Field name="actor" label="Actor" placeholder="a username, or token:name" params={params} />
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select id="audit-action" name="action" defaultValue={params.get('action') ?? ''}>
            <option value="">any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-target_type">Object</label>
          <select id="audit-target_type" name="target_type" defaultValue={params.get('target_type') ?? ''}>
            <option value="">any</option>
            {AUDIT_OBJECTS.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </div>
        <Field name="target_id" label="Object id" placeholder="any" params={params} />
        <Field name="since" label="From" type="datetime-local" params={params} />
        <Field name="until" label="Before" type="datetime-local" params={params} />
        <button type="submit" className="primary">
          Apply filters
        </button>
        {AUDIT_PARAMS.some((p) => params.has(p)) && (
          <button type="button" className="link-button" onClick={() => navigate('/admin/audit')}>
            Clear filters
          </button>
        )}
      </form>
      <p className="muted small">Times are in your browser&apos;s time zone. Secrets are masked (***) as the server stored them.</p>
      {audit.isPending && <Loading what="the audit log" />}
      {audit.error && <ProblemView error={audit.error} />}
      {audit.data && items.length === 0 && <Empty>No record matches these filters.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="Audit records" aria-busy={audit.isFetching}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <td>
                  <When at={r.at} />
                </td>
                <td>{r.actor}</td>
                <td>
                  <code>{r.action}</code>
                </td>
                <td>
                  {r.target_type}
                  {r.target_id && <div className="muted small mono-id">{r.target_id}</div>}
                </td>
                <td className="message">{describeChanges(r.changes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages} />
    </section>
  );
}

function Field({
  name,
  label,
  params,
  type = 'text',
  placeholder,
}: {
  name: string;
  label: string;
  params: URLSearchParams;
  type?: string;
  placeholder?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={`audit-${name}`}>{label}</label>
      <input id={`audit-${name}`} name={name} type={type} defaultValue={params.get(name) ?? ''} placeholder={placeholder} />
    </div>
  );
}
