import { Link } from 'react-router';
import { useEdgeColumns } from '../../api/queries';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import type { ViewEdge, ViewGraph, ViewNode } from '../../lib/collapse';
import type { LineageModel } from '../../lib/graph';

export interface Actions {
  expand: (id: string) => void;
  collapseInto: (group: string) => void;
  openGroup: (group: string) => void;
  pathFrom: (id: string) => void;
  pathTo: (id: string) => void;
  focus: (id: string) => void;
}

export function NodePanel({ node, model, view, actions, expanded }: { node: ViewNode; model: LineageModel; view: ViewGraph; actions: Actions; expanded: boolean }) {
  const groupLabel = (key: string) => view.groups.get(key)?.label ?? 'its group';
  const isGroup = node.type === 'group';
  const realNode = !isGroup || model.nodes.has(node.id);
  return (
    <div className="side-content">
      <p className="eyebrow">
        {node.kind ? <KindIcon kind={node.kind} /> : null} {isGroup ? `Group of ${node.members.length}` : node.kind ? KIND_LABEL[node.kind] : ''}
      </p>
      <h2 className="side-title">{node.label}</h2>
      <p className="muted small namespace">{node.namespace}</p>
      <div className="status-line">
        <StatusBadge status={node.status} />
        {node.statusMessage && <span className="small">{node.statusMessage}</span>}
      </div>
      <p className="small">
        <strong>Owner{node.owners.length === 1 ? '' : 's'}:</strong> {node.owners.length ? node.owners.join(', ') : 'nobody'}
      </p>
      {isGroup && node.counts && (
        <p className="small">
          {node.counts.error} in error · {node.counts.late} late · {node.counts.at_risk} at risk · {node.counts.ok} OK · {node.counts.unknown} unknown
        </p>
      )}
      <div className="side-actions">
        {isGroup ? (
          <button type="button" className="primary" onClick={() => actions.openGroup(node.id)}>
            Open this group
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => actions.expand(node.id)} disabled={expanded}>
            {expanded ? 'Neighbours shown' : 'Expand neighbours'}
          </button>
        )}
        {node.collapsibleInto && (
          <button type="button" onClick={() => actions.collapseInto(node.collapsibleInto!)}>
            Collapse into {groupLabel(node.collapsibleInto)}
          </button>
        )}
        {realNode && (
          <>
            <button type="button" onClick={() => actions.pathFrom(node.id)}>
              Path from here
            </button>
            <button type="button" onClick={() => actions.pathTo(node.id)}>
              Path to here
            </button>
            <Link className="button" to={`/nodes/${node.id}`}>
              Node page
            </Link>
            <Link className="button" to={`/nodes/${node.id}/impact`}>
              Incident view
            </Link>
            <Link className="button" to={`/nodes/${node.id}/lineage`}>
              Center the explorer here
            </Link>
          </>
        )}
      </div>
      {isGroup && (
        <details className="members">
          <summary>Nodes inside ({node.members.length})</summary>
          <ul className="plain-list small">
            {node.members.slice(0, 300).map((m) => {
              const member = model.nodes.get(m);
              return member ? (
                <li key={m}>
                  <StatusBadge status={member.status} /> <Link to={`/nodes/${m}`}>{member.name}</Link>
                </li>
              ) : null;
            })}
          </ul>
        </details>
      )}
    </div>
  );
}

export function EdgePanel({ edge, model }: { edge: ViewEdge; model: LineageModel }) {
  const single = edge.single;
  const columns = useEdgeColumns(single && edge.relation === 'flow' ? single.source : null, single && edge.relation === 'flow' ? single.target : null);
  const name = (id: string) => model.nodes.get(id)?.name ?? id;
  return (
    <div className="side-content">
      <p className="eyebrow">{edge.relation === 'contains' ? 'Containment' : 'Data flow'}</p>
      <h2 className="side-title">
        {name(edge.source)} → {name(edge.target)}
      </h2>
      {edge.count > 1 && <p className="small">This line stands for {edge.count} edges between groups: open a group to see each one and its columns.</p>}
      {edge.stale && <p className="small warning">Stale: the job’s latest successful runs no longer report this edge.</p>}
      {edge.relation === 'contains' && <p className="small">The source holds the target (a system and its tables, a DAG and its tasks). No data flows along it.</p>}
      {single && edge.relation === 'flow' && (
        <section aria-labelledby="columns-title">
          <h3 id="columns-title">Column-level lineage</h3>
          {columns.isPending && <Loading what="columns" />}
          {columns.error && <ProblemView error={columns.error} />}
          {columns.data === null && <p className="muted small">This edge is not stored as one edge (it comes from a path or an expansion).</p>}
          {columns.data && (
            <>
              <p className="muted small">
                Origin: {columns.data.edge.origin}
                {columns.data.edge.last_seen_at && (
                  <>
                    {' '}
                    · last reported <When at={columns.data.edge.last_seen_at} />
                  </>
                )}
              </p>
              {Object.keys(columns.data.columns.fields).length === 0 ? (
                <p className="muted small">No event described this edge column by column.</p>
              ) : (
                <table className="table columns-table">
                  <thead>
                    <tr>
                      <th scope="col">Column</th>
                      <th scope="col">Comes from</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(columns.data.columns.fields).map(([field, from]) => (
                      <tr key={field}>
                        <td>
                          <code>{field}</code>
                        </td>
                        <td>
                          {from.inputFields.map((f) => (
                            <div key={`${f.namespace}/${f.name}/${f.field}`}>
                              <code>
                                {f.name}.{f.field}
                              </code>
                            </div>
                          ))}
                          {(from.transformationType || from.transformationDescription) && (
                            <div className="muted small">{[from.transformationType, from.transformationDescription].filter(Boolean).join(': ')}</div>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </section>
      )}
    </div>
  );
}

export function Legend({ view, actions, mode }: { view: ViewGraph; actions: Actions; mode: string }) {
  const groups = [...view.groups.entries()].filter(([, g]) => g.size > 0).sort((a, b) => b[1].size - a[1].size);
  return (
    <div className="side-content">
      <h2 className="side-title">Reading the map</h2>
      <ul className="plain-list small legend">
        <li>
          <StatusBadge status="error" /> failing (its check or latest run)
        </li>
        <li>
          <StatusBadge status="late" /> missed its SLA (not fresh or not done in time)
        </li>
        <li>
          <StatusBadge status="at_risk" /> stale: a producer’s last run failed
        </li>
        <li>
          <StatusBadge status="ok" /> healthy · <StatusBadge status="unknown" /> never checked
        </li>
        <li>Click a node for its details and actions; double-click to expand its neighbours. Click a line for its columns.</li>
        <li>Dashed lines: a system or DAG holding a node (not data flow).</li>
      </ul>
      {groups.length > 0 && (
        <>
          <h3>{mode === 'namespace' ? 'Namespaces' : 'Containers'}</h3>
          <ul className="plain-list small groups-list">
            {groups.slice(0, 100).map(([key, g]) => (
              <li key={key}>
                <span className="group-label">{g.label}</span> <span className="muted">({g.size})</span>{' '}
                <button type="button" className="link-button" onClick={() => (g.collapsed ? actions.openGroup(key) : actions.collapseInto(key))}>
                  {g.collapsed ? 'Expand' : 'Collapse'}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
