import { Link } from 'react-router';
import { KindIcon } from '../../components/KindIcon';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { MONITOR_REFRESH_MS, useMonitor, type MonitorState } from './api';

const MODE: Record<string, string> = {
  embedded: 'Embedded: this server runs the loop itself',
  celery: 'Celery: the scheduler enqueues due work, Celery workers run it',
  off: 'Off: nothing is checked on schedule by this server (DLV_MONITOR=off)',
};

const clock = new Intl.DateTimeFormat('en-GB', { timeStyle: 'medium', timeZone: 'UTC' });

function readAt(epochMs: number): string {
  return `${clock.format(new Date(epochMs))} UTC`;
}

/** The monitoring loop at a glance: readable by everyone, refreshed on its own. */
export default function MonitorPage() {
  const monitor = useMonitor();
  return (
    <div className="monitor">
      <header className="page-header">
        <div>
          <h1>Monitoring</h1>
          <p className="muted small">
            Scheduled connection checks and collections. Refreshed every {MONITOR_REFRESH_MS / 1000} s
            {monitor.dataUpdatedAt > 0 && `, last at ${readAt(monitor.dataUpdatedAt)}`}.
          </p>
        </div>
      </header>
      {monitor.isPending && <Loading what="the monitoring loop's state" />}
      {monitor.error && <ProblemView error={monitor.error} context="Could not read the monitoring loop's state" />}
      {monitor.data && <MonitorView state={monitor.data} />}
    </div>
  );
}

function MonitorView({ state }: { state: MonitorState }) {
  const mode = state.mode ?? 'embedded';
  const counts: [string, number, string][] = [
    ['Scheduled', state.scheduled, 'nodes with a schedule'],
    ['Due', state.due, 'due now, not started'],
    ['Running', state.running, 'checks in flight'],
    ['Late', state.late, 'due more than one interval ago'],
  ];
  return (
    <>
      <ul className="counts" aria-label="Scheduled checks">
        {counts.map(([label, n, hint]) => (
          <li key={label}>
            <div className={`count${label === 'Late' && n > 0 ? ' status-error' : ''}`} title={hint} aria-label={`${label}: ${n}`}>
              <span className="count-number">{n.toLocaleString('en')}</span>
              <span>{label}</span>
            </div>
          </li>
        ))}
      </ul>

      <section className="card monitor-scheduler" aria-labelledby="scheduler">
        <h2 id="scheduler">Scheduler</h2>
        <dl className="facts">
          <dt>Mode</dt>
          <dd>{MODE[mode] ?? mode}</dd>
          <dt>Leader</dt>
          <dd>
            {state.leader ? (
              <code>{state.leader.holder}</code>
            ) : mode === 'off' ? (
              <span className="muted">none</span>
            ) : (
              <span className="warning">No live scheduler: scheduled checks wait until a server takes the lead.</span>
            )}
          </dd>
          {state.leader && (
            <>
              <dt>Leading since</dt>
              <dd>
                <When at={state.leader.since} />
              </dd>
              <dt>Lease expires</dt>
              <dd>
                <When at={state.leader.expires_at} />
              </dd>
            </>
          )}
        </dl>
      </section>

      <section aria-labelledby="failures">
        <h2 id="failures">Last failures</h2>
        {state.last_failures.length === 0 ? (
          <Empty>No scheduled check failed lately.</Empty>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Result</th>
                <th scope="col">Message</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {state.last_failures.map((f) => (
                <tr key={`${f.node_id}-${f.checked_at}`}>
                  <td>
                    <Link to={`/nodes/${f.node_id}`} className="node-link">
                      <KindIcon kind={f.kind} />
                      {f.name}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status="error" />
                  </td>
                  <td className="message">{f.message}</td>
                  <td>
                    <When at={f.checked_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
