import { Link } from 'react-router';
import type { NodeRead, NodeStatus } from '../../api/client';
import { useHealthSummary, useNodes, useRuns } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge, STATUS_LABEL } from '../../components/StatusBadge';
import { formatDuration } from '../../lib/format';

const ORDER: NodeStatus[] = ['error', 'late', 'at_risk', 'ok', 'unknown'];

/** What is red now, and what failed lately: where a person paged at night starts. */
export function HomePage() {
  const summary = useHealthSummary();
  const atRisk = useNodes({ status: 'at_risk', limit: 20 });
  const late = useNodes({ status: 'late', limit: 20 });
  const failed = useRuns({ state: 'FAIL' }, 10);

  return (
    <div className="home">
      <h1>What is red now</h1>
      {summary.isPending && <Loading what="the health summary" />}
      {summary.error && <ProblemView error={summary.error} />}
      {summary.data && (
        <>
          <ul className="counts" aria-label="Nodes by status">
            {ORDER.map((status) => (
              <li key={status}>
                <Link to={`/search?status=${status}`} className={`count status-${status}`}>
                  <span className="count-number">{(summary.data.by_status[status] ?? 0).toLocaleString('en')}</span>
                  <StatusBadge status={status} />
                </Link>
              </li>
            ))}
            <li>
              <Link to="/search" className="count">
                <span className="count-number">{summary.data.total.toLocaleString('en')}</span>
                <span>in the catalog</span>
              </Link>
            </li>
          </ul>
          <section aria-labelledby="in-error">
            <h2 id="in-error">In error</h2>
            {summary.data.in_error.length === 0 ? (
              <Empty>Nothing is in error.</Empty>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Why</th>
                    <th scope="col">Since</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {summary.data.in_error.map((n) => (
                    <tr key={n.id}>
                      <td>
                        <Link to={`/nodes/${n.id}`} className="node-link">
                          <KindIcon kind={n.kind} />
                          {n.name}
                        </Link>
                        <div className="muted small">{n.namespace}</div>
                      </td>
                      <td>{n.owner ?? <span className="muted">no owner</span>}</td>
                      <td className="message">{n.status_message}</td>
                      <td>
                        <When at={n.status_changed_at} />
                      </td>
                      <td className="actions">
                        <Link to={`/nodes/${n.id}/impact`}>Impact</Link>
                        <Link to={`/nodes/${n.id}/lineage`}>Lineage</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {summary.data.in_error_truncated && (
              <p>
                More are in error: <Link to="/search?status=error">see them all</Link>.
              </p>
            )}
          </section>
        </>
      )}
      <StatusList id="late" title="Late (missed their SLA)" nodes={late.data?.items} empty="No node is late." />
      <StatusList id="at-risk" title="At risk (stale data)" nodes={atRisk.data?.items} empty="No dataset is at risk." />
      <section aria-labelledby="failed-runs">
        <h2 id="failed-runs">Recently failed runs</h2>
        {failed.isPending && <Loading what="runs" />}
        {failed.error && <ProblemView error={failed.error} />}
        {failed.data && failed.data.items.length === 0 && <Empty>No run failed lately.</Empty>}
        {failed.data && failed.data.items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Ended</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {failed.data.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    {r.job_id ? <Link to={`/nodes/${r.job_id}`}>{r.job_name}</Link> : r.job_name}
                    <div className="muted small">{r.job_namespace}</div>
                  </td>
                  <td>
                    <When at={r.ended_at ?? r.last_event_time} />
                  </td>
                  <td>{formatDuration(r.duration_seconds)}</td>
                  <td className="message">{r.error_message ?? <span className="muted">no message</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** The nodes in one status, each a link with why: nothing until they are loaded. */
function StatusList({ id, title, nodes, empty }: { id: string; title: string; nodes: NodeRead[] | undefined; empty: string }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {nodes && nodes.length === 0 && <Empty>{empty}</Empty>}
      {nodes && nodes.length > 0 && (
        <ul className="plain-list">
          {nodes.map((n) => (
            <li key={n.id}>
              <StatusBadge status={n.status} title={STATUS_LABEL[n.status]} />{' '}
              <Link to={`/nodes/${n.id}`}>{n.name}</Link> <span className="muted small">{n.status_message}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
