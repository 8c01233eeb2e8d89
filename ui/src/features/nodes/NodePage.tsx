import { Link, useParams } from 'react-router';
import type { NodeKind } from '../../api/client';
import { useIsAdmin, useNode, useNodeSla } from '../../api/queries';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { AnnotationsSection } from './AnnotationsSection';
import { CollectedSection } from './CollectedSection';
import { CollectSection } from './CollectSection';
import { ConnectionSection } from './ConnectionSection';
import { ChecksSection, RunsSection, SchemaSection } from './HistorySections';
import { ParentLink } from './ParentLink';
import { QualitySection } from './QualitySection';
import { SlaSection } from './SlaSection';
import { ScheduleSection } from './ScheduleSection';
import { TestConnection } from './TestConnection';

export const SYSTEM_KINDS: NodeKind[] = ['postgres', 'airflow', 'spark'];

export function NodePage() {
  const { id = '' } = useParams();
  const node = useNode(id);
  const admin = useIsAdmin();
  const hasSla = Boolean(useNodeSla(id).data);

  if (node.isPending) return <Loading what="the node" />;
  if (node.error) return <ProblemView error={node.error} context="Could not load this node" />;
  const n = node.data;
  const system = SYSTEM_KINDS.includes(n.kind);

  return (
    <article className="node-page" aria-labelledby="node-title">
      <header className="page-header">
        <div>
          <p className="eyebrow">
            <KindIcon kind={n.kind} /> {KIND_LABEL[n.kind]} · <span className="namespace">{n.namespace}</span>
          </p>
          <h1 id="node-title">{n.name}</h1>
          <div className={`status-line status-${n.status}`} aria-live="polite">
            <StatusBadge status={n.status} />
            {n.status_message && <span className="status-message">{n.status_message}</span>}
            {n.status_changed_at && (
              <span className="muted">
                since <When at={n.status_changed_at} />
              </span>
            )}
          </div>
        </div>
        <nav className="page-actions" aria-label="Views of this node">
          <Link className="button" to={`/nodes/${n.id}/lineage`}>
            Lineage explorer
          </Link>
          <Link className="button" to={`/nodes/${n.id}/impact?direction=downstream`}>
            What breaks if this fails?
          </Link>
          <Link className="button" to={`/nodes/${n.id}/impact?direction=upstream`}>
            Root causes upstream
          </Link>
        </nav>
      </header>

      <div className="node-grid">
        <section className="card" aria-labelledby="about">
          <h2 id="about">About</h2>
          <dl className="facts">
            <dt>Description</dt>
            <dd>{n.description || <span className="muted">none</span>}</dd>
            <dt>Owners</dt>
            <dd>
              {n.owners.length > 0 ? (
                n.owners.map((o) => (
                  <Link key={o} className="tag" to={`/search?owner=${encodeURIComponent(o)}`}>
                    {o}
                  </Link>
                ))
              ) : (
                <span className="muted">nobody</span>
              )}
            </dd>
            <dt>Tags</dt>
            <dd>
              {n.tags.length > 0 ? (
                n.tags.map((t) => (
                  <Link key={t} className="tag" to={`/search?tag=${encodeURIComponent(t)}`}>
                    {t}
                  </Link>
                ))
              ) : (
                <span className="muted">none</span>
              )}
            </dd>
            {n.parent_id && (
              <>
                <dt>Part of</dt>
                <dd>
                  <ParentLink id={n.parent_id} />
                </dd>
              </>
            )}
            <dt>Updated</dt>
            <dd>
              <When at={n.updated_at} />
            </dd>
          </dl>
        </section>

        <AnnotationsSection node={n} admin={admin} />
        <SlaSection node={n} admin={admin} />

        {system && (
          <section className="card" aria-labelledby="connection">
            <h2 id="connection">Connection</h2>
            {admin && <TestConnection nodeId={n.id} />}
            <ConnectionSection node={n} admin={admin} />
          </section>
        )}
        {system && n.connection && <ScheduleSection node={n} admin={admin} />}
        {n.kind === 'dataset' && <CollectedSection nodeId={n.id} />}
        {n.kind === 'dataset' && <QualitySection nodeId={n.id} />}
        {/* Also an SLA's verdicts (late, met again): shown for every kind once there is one. */}
        {(system || hasSla) && <ChecksSection nodeId={n.id} />}
        {system && n.connection && <CollectSection nodeId={n.id} admin={admin} />}
        {n.kind === 'job' && <RunsSection nodeId={n.id} />}
        {(n.kind === 'dataset' || n.kind === 'job') && <SchemaSection nodeId={n.id} kind={n.kind} />}
      </div>
    </article>
  );
}
