import { Fragment } from 'react';
import type { NodeKind, Schemas } from '../../api/client';
import { useChecks, useOpenLineage, useRuns } from '../../api/queries';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDuration } from '../../lib/format';

export function ChecksSection({ nodeId }: { nodeId: string }) {
  const checks = useChecks(nodeId);
  return (
    <section className="card wide" aria-labelledby="checks">
      <h2 id="checks">Status history</h2>
      {checks.isPending && <Loading what="checks" />}
      {checks.error && <ProblemView error={checks.error} />}
      {checks.data && checks.data.items.length === 0 && <Empty>Never checked.</Empty>}
      {checks.data && checks.data.items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Result</th>
              <th scope="col">Message</th>
              <th scope="col">Latency</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {checks.data.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <When at={c.checked_at} />
                </td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td className="message">
                  {c.message}
                  {c.status !== 'ok' && c.steps.length > 0 && (
                    <div className="muted small">
                      failed at: {c.steps.filter((s) => !s.ok).map((s) => s.name).join(', ') || '—'}
                    </div>
                  )}
                </td>
                <td>{c.latency_ms} ms</td>
                <td>{c.actor}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const RUN_STATUS: Record<Schemas['RunState'], 'ok' | 'error' | 'unknown'> = {
  COMPLETE: 'ok',
  FAIL: 'error',
  ABORT: 'error',
  START: 'unknown',
  RUNNING: 'unknown',
  OTHER: 'unknown',
};

export function RunsSection({ nodeId }: { nodeId: string }) {
  const runs = useRuns({ node_id: nodeId }, 20);
  return (
    <section className="card wide" aria-labelledby="runs">
      <h2 id="runs">OpenLineage runs</h2>
      {runs.isPending && <Loading what="runs" />}
      {runs.error && <ProblemView error={runs.error} />}
      {runs.data && runs.data.items.length === 0 && <Empty>No run reported.</Empty>}
      {runs.data && runs.data.items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <span className={`run-state status-${RUN_STATUS[r.state]}`}>{r.state}</span>
                </td>
                <td>
                  <When at={r.started_at ?? r.first_event_time} />
                </td>
                <td>{formatDuration(r.duration_seconds)}</td>
                <td className="message">{r.error_message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Columns({ columns, depth = 0 }: { columns: Schemas['ColumnRead'][]; depth?: number }) {
  return (
    <>
      {columns.map((c) => (
        <Fragment key={`${depth}-${c.name}`}>
          <tr>
            <td style={{ paddingLeft: `${0.5 + depth * 1.25}rem` }}>
              <code>{c.name}</code>
            </td>
            <td>{c.type ?? <span className="muted">—</span>}</td>
            <td>{c.description ?? ''}</td>
          </tr>
          {c.fields && c.fields.length > 0 && <Columns columns={c.fields} depth={depth + 1} />}
        </Fragment>
      ))}
    </>
  );
}

export function SchemaSection({ nodeId, kind }: { nodeId: string; kind: NodeKind }) {
  const ol = useOpenLineage(nodeId, true);
  if (ol.isPending) return null;
  if (ol.error) return null; // a node no event described has nothing to add here
  const d = ol.data;
  const columns = d.columns ?? [];
  if (columns.length === 0 && !d.sql && !d.derived) {
    return (
      <section className="card wide" aria-labelledby="schema">
        <h2 id="schema">{kind === 'job' ? 'SQL' : 'Schema'}</h2>
        <Empty>No OpenLineage event described it yet.</Empty>
      </section>
    );
  }
  return (
    <section className="card wide" aria-labelledby="schema">
      <h2 id="schema">{kind === 'job' ? 'SQL and schema' : 'Schema'}</h2>
      {d.derived && (
        <p className="muted">
          Made by DLV from the {d.derived.source === 'sql' ? 'SQL' : 'column lineage'} of {d.derived.job}.
        </p>
      )}
      {columns.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            <Columns columns={columns} />
          </tbody>
        </table>
      )}
      {d.sql && (
        <>
          <h3>SQL{d.sql_dialect ? ` (${d.sql_dialect})` : ''}</h3>
          <pre className="sql">{d.sql}</pre>
        </>
      )}
    </section>
  );
}
