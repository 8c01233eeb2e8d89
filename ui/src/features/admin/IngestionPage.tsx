import { Link, useSearchParams } from 'react-router';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { formatDuration, plural } from '../../lib/format';
import { useIngestionNamespaces, useIngestionStatus } from './api';
import { deliveryDelay, lagText, WINDOWS } from './ingestion';

/** Are Airflow and Spark reporting? Events per namespace, mapped, failed, lag, the latest. */
export function IngestionPage() {
  const [params, setParams] = useSearchParams();
  const hours = WINDOWS.find(([h]) => String(h) === params.get('hours'))?.[0] ?? 24;
  const status = useIngestionStatus();
  const activity = useIngestionNamespaces(hours);
  const namespaces = activity.data?.namespaces ?? [];
  return (
    <section aria-labelledby="ingestion-title">
      <h2 id="ingestion-title">OpenLineage ingestion</h2>
      {status.error && <ProblemView error={status.error} />}
      {status.data && (
        <ul className="counts" aria-label="Mapping backlog">
          <li className="count">
            <span className="count-number">{status.data.pending.toLocaleString('en')}</span>
            <span>waiting to be mapped</span>
          </li>
          <li className={`count${status.data.failed ? ' status-error' : ''}`}>
            <span className="count-number">{status.data.failed.toLocaleString('en')}</span>
            <span>could not be mapped</span>
          </li>
          <li className="count">
            <span className="count-number">{lagText({ oldest_pending_received_at: status.data.oldest_pending_received_at }, status.dataUpdatedAt)}</span>
            <span>mapping lag</span>
          </li>
        </ul>
      )}
      <div className="report-bar">
        <p className="summary">
          {activity.data ? `${plural(namespaces.length, 'namespace')} reported in the ${WINDOWS.find(([h]) => h === hours)?.[1]}` : ' '}
        </p>
        <label className="inline">
          Window
          <select value={hours} onChange={(e) => setParams({ hours: e.target.value })}>
            {WINDOWS.map(([h, label]) => (
              <option key={h} value={h}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {activity.isPending && <Loading what="ingestion activity" />}
      {activity.error && <ProblemView error={activity.error} />}
      {activity.data && namespaces.length === 0 && (
        <Empty>
          No OpenLineage event arrived in this window. Make an ingest token on the <Link to="/admin/tokens">API tokens</Link> page and
          paste its settings into Airflow or Spark.
        </Empty>
      )}
      {namespaces.length > 0 && (
        <table className="table admin-table" aria-label="Events per namespace" aria-busy={activity.isFetching}>
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Received</th>
              <th scope="col">Mapped</th>
              <th scope="col">Waiting</th>
              <th scope="col">Failed</th>
              <th scope="col">Lag</th>
              <th scope="col">Last event</th>
            </tr>
          </thead>
          <tbody>
            {namespaces.map((n) => (
              <tr key={n.namespace}>
                <th scope="row" className="namespace">
                  {n.namespace}
                </th>
                <td>{n.events.toLocaleString('en')}</td>
                <td>{n.mapped.toLocaleString('en')}</td>
                <td>{n.pending.toLocaleString('en')}</td>
                <td className={n.failed ? 'danger' : undefined}>{n.failed.toLocaleString('en')}</td>
                <td>{lagText(n, activity.dataUpdatedAt)}</td>
                <td>
                  <When at={n.last_received_at} />
                  <div className="muted small">
                    event time <When at={n.last_event_time} />, delivered after {formatDuration(deliveryDelay(n))}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {activity.data?.truncated && <p className="muted small">More namespaces reported: the {namespaces.length} heard from last are listed.</p>}
      <p className="muted small">
        Events are kept for the runs retention (DLV_RUNS_RETENTION_DAYS); on SQLite with background mapping, events still in the inbox
        are counted above as waiting, not yet per namespace.
      </p>
    </section>
  );
}
