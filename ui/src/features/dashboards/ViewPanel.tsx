import { Link } from 'react-router';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { StatusBadge } from '../../components/StatusBadge';
import type { DashNode } from './model';

/** The viewer's side panel: the selected node's live facts and where to go from it. */
export function ViewPanel({ selected }: { selected: DashNode[] }) {
  const card = selected.find((n) => n.type === 'card');
  const note = selected.find((n) => n.type === 'note');
  if (card?.type === 'card') {
    const f = card.data.facts;
    if (!f || f.missing) {
      return (
        <div className="side-content">
          <h2 className="side-title">Missing node</h2>
          <p>This node was deleted from the catalog. An admin can remove it from the dashboard.</p>
          <p className="muted small">{card.id}</p>
        </div>
      );
    }
    return (
      <div className="side-content">
        <h2 className="side-title">
          {f.kind && <KindIcon kind={f.kind} />} {f.name}
        </h2>
        <p className="muted small namespace">{f.namespace}</p>
        <p>
          <StatusBadge status={f.status ?? 'unknown'} /> {f.status_message && <span className="status-message">{f.status_message}</span>}
        </p>
        <p className="small">
          {f.kind && KIND_LABEL[f.kind]} · owner {f.owner ?? <span className="muted">nobody</span>}
        </p>
        <div className="side-actions">
          <Link className="button" to={`/nodes/${card.id}`}>
            Node page
          </Link>
          <Link className="button" to={`/nodes/${card.id}/lineage`}>
            Lineage
          </Link>
          <Link className="button" to={`/nodes/${card.id}/impact?direction=downstream`}>
            What breaks
          </Link>
        </div>
      </div>
    );
  }
  if (note?.type === 'note') {
    return (
      <div className="side-content">
        <h2 className="side-title">Note</h2>
        <p className="note-full">{note.data.item.text}</p>
      </div>
    );
  }
  return (
    <div className="side-content">
      <h2 className="side-title">Live status</h2>
      <p className="small">Each node shows its status now, refreshed every 15 s. Click a node for its details and links; double-click opens its page.</p>
      <ul className="plain-list small legend">
        <li>
          <StatusBadge status="error" /> failing now
        </li>
        <li>
          <StatusBadge status="late" /> missed its SLA
        </li>
        <li>
          <StatusBadge status="at_risk" /> an upstream is failing, or stale
        </li>
        <li>
          <StatusBadge status="ok" /> last check passed
        </li>
        <li>
          <StatusBadge status="unknown" /> never checked
        </li>
      </ul>
    </div>
  );
}
