import * as Tabs from '@radix-ui/react-tabs';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { download, type CauseNode, type ContainerNode, type ImpactReport, type LineageNode } from '../../api/client';
import { useImpact, useNode } from '../../api/queries';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { CopyButton, Empty, Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { plural } from '../../lib/format';
import { groupAffected, ownersText, summaryLine } from '../../lib/impact';

type Direction = 'downstream' | 'upstream';

/** "What breaks if this fails?" (downstream) and "what upstream caused it?" (upstream). */
export function ImpactPage() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const direction: Direction = params.get('direction') === 'upstream' ? 'upstream' : 'downstream';
  const root = useNode(id);

  return (
    <article className="impact-page" aria-labelledby="impact-title">
      <header className="page-header">
        <div>
          <p className="eyebrow">Incident view</p>
          <h1 id="impact-title">
            {root.data ? (
              <>
                <KindIcon kind={root.data.kind} size={20} /> {root.data.name}
              </>
            ) : (
              'Impact'
            )}
          </h1>
          {root.data && (
            <div className="status-line">
              <StatusBadge status={root.data.status} />
              {root.data.status_message && <span className="status-message">{root.data.status_message}</span>}
              <span className="muted">{root.data.namespace}</span>
            </div>
          )}
          {root.error && <ProblemView error={root.error} />}
        </div>
        <nav className="page-actions" aria-label="Other views">
          <Link className="button" to={`/nodes/${id}/lineage?direction=${direction === 'upstream' ? 'upstream' : 'downstream'}&depth=all`}>
            Open in the lineage explorer
          </Link>
          <Link className="button" to={`/nodes/${id}`}>
            Node page
          </Link>
        </nav>
      </header>
      <Tabs.Root
        value={direction}
        onValueChange={(value) => setParams({ direction: value }, { replace: true })}
        activationMode="manual"
      >
        <Tabs.List className="tabs" aria-label="Direction">
          <Tabs.Trigger value="downstream">Downstream: what breaks</Tabs.Trigger>
          <Tabs.Trigger value="upstream">Upstream: likely root causes</Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content value="downstream">{direction === 'downstream' && <Report id={id} direction="downstream" />}</Tabs.Content>
        <Tabs.Content value="upstream">{direction === 'upstream' && <Report id={id} direction="upstream" />}</Tabs.Content>
      </Tabs.Root>
    </article>
  );
}

function Report({ id, direction }: { id: string; direction: Direction }) {
  const impact = useImpact(id, direction);
  const [csvError, setCsvError] = useState<unknown>(null);
  if (impact.isPending) return <Loading what={`the ${direction} impact`} />;
  if (impact.error) return <ProblemView error={impact.error} context="Could not compute the impact" />;
  const r = impact.data;

  const csv = async () => {
    setCsvError(null);
    try {
      await download(`/api/v1/nodes/${id}/impact?direction=${direction}&format=csv`, `impact-${direction}-${id}.csv`);
    } catch (e) {
      setCsvError(e);
    }
  };

  return (
    <div className="report">
      <div className="report-bar">
        <p className="summary" aria-live="polite">
          <strong>{summaryLine(r)}</strong>
          {r.truncated && <span className="warning"> (cut short: the answer was too large)</span>}
        </p>
        <button type="button" onClick={() => void csv()}>
          Download CSV
        </button>
      </div>
      {csvError !== null && <ProblemView error={csvError} context="Could not download the CSV" />}

      <div className="report-grid">
        {direction === 'upstream' && <RootCauses causes={r.likely_root_causes} />}
        <Owners report={r} />
        <NodeList
          id="in-error"
          title="Already in error"
          nodes={r.in_error}
          empty={direction === 'downstream' ? 'Nothing downstream is in error yet.' : 'Nothing upstream is in error.'}
          showMessage
        />
        <NodeList
          id="late"
          title="Late: missed their SLA"
          hint="Nodes not fresh enough, or not done by their deadline."
          nodes={r.late}
          empty="No node is late."
          showMessage
        />
        <NodeList
          id="at-risk"
          title="At risk: stale data"
          hint="Datasets whose producer's latest run failed."
          nodes={r.at_risk}
          empty="No dataset is at risk."
          showMessage
        />
        {r.quality_failures.length > 0 && (
          <NodeList
            id="quality"
            title="Failing data quality"
            hint="Datasets whose latest dbt tests or validations failed."
            nodes={r.quality_failures.map((f) => f.node)}
            empty="No data quality test fails."
            showMessage
          />
        )}
        {direction === 'downstream' && <Containers parents={r.parents} />}
      </div>
      <Affected report={r} />
      {direction === 'upstream' && <Containers parents={r.parents} />}
    </div>
  );
}

function NodeRow({ node, showMessage }: { node: LineageNode | CauseNode | ContainerNode; showMessage?: boolean }) {
  return (
    <li className={`node-row status-${node.status}`}>
      <StatusBadge status={node.status} />
      <Link to={`/nodes/${node.id}`} className="node-link">
        <KindIcon kind={node.kind} /> {node.name}
      </Link>
      {'distance' in node && node.distance !== undefined && (
        <span className="muted small">{node.distance === null ? 'holds affected nodes' : plural(node.distance, 'hop')}</span>
      )}
      <span className="owner small">{node.owners.length ? node.owners.join(', ') : 'no owner'}</span>
      {showMessage && node.status_message && <span className="message small">{node.status_message}</span>}
    </li>
  );
}

function RootCauses({ causes }: { causes: CauseNode[] }) {
  return (
    <section className="card root-causes" aria-labelledby="root-causes">
      <h2 id="root-causes">Likely root causes</h2>
      {causes.length === 0 ? (
        <Empty>Nothing upstream is failing: no root cause to point at.</Empty>
      ) : (
        <>
          <p className="muted small">The failing nodes furthest upstream that nothing failing explains; a failing system first.</p>
          <ol className="node-list">
            {causes.map((c) => (
              <NodeRow key={c.id} node={c} showMessage />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function Owners({ report }: { report: ImpactReport }) {
  const text = ownersText(report);
  return (
    <section className="card owners" aria-labelledby="owners">
      <h2 id="owners">Owners to notify</h2>
      {report.owners.length === 0 ? (
        <Empty>No owner to notify.</Empty>
      ) : (
        <>
          <p className="owners-line">
            <span className="owners-text" data-testid="owners-text">
              {text || 'nobody named'}
            </span>
          </p>
          {text && <CopyButton text={text} label="Copy owners" copiedLabel="Owners copied" />}
          <ul className="owner-list">
            {report.owners.map((o) => (
              <OwnerNodes key={o.owner ?? '(none)'} owner={o.owner} nodes={o.nodes} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** One owner and their nodes, listed only once opened (an owner may have thousands). */
function OwnerNodes({ owner, nodes }: { owner: string | null; nodes: LineageNode[] }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <strong>{owner ?? 'Nodes without an owner'}</strong> — {plural(nodes.length, 'node')}
        </summary>
        {open && (
          <ul className="node-list">
            {nodes.slice(0, 500).map((n) => (
              <NodeRow key={n.id} node={n} />
            ))}
            {nodes.length > 500 && <li className="muted small">and {nodes.length - 500} more (the CSV lists them all)</li>}
          </ul>
        )}
      </details>
    </li>
  );
}

function NodeList(props: {
  id: string;
  title: string;
  hint?: string;
  nodes: LineageNode[];
  empty: string;
  showMessage?: boolean;
}) {
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>
        {props.title} <span className="count-pill">{props.nodes.length}</span>
      </h2>
      {props.hint && <p className="muted small">{props.hint}</p>}
      {props.nodes.length === 0 ? (
        <Empty>{props.empty}</Empty>
      ) : (
        <ul className="node-list">
          {props.nodes.map((n) => (
            <NodeRow key={n.id} node={n} showMessage={props.showMessage} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Containers({ parents }: { parents: ContainerNode[] }) {
  if (parents.length === 0) return null;
  return (
    <section className="card containers" aria-labelledby="containers">
      <h2 id="containers">
        Containers <span className="count-pill">{parents.length}</span>
      </h2>
      <p className="muted small">The systems and DAGs holding these nodes: shown apart, containment is not data flow.</p>
      <ul className="node-list">
        {parents.map((p) => (
          <NodeRow key={p.id} node={p} showMessage />
        ))}
      </ul>
    </section>
  );
}

const PAGE = 200;

function Affected({ report }: { report: ImpactReport }) {
  const groups = groupAffected(report.affected);
  const [shown, setShown] = useState<Record<string, number>>({});
  if (groups.length === 0) return null;
  return (
    <section className="card affected" aria-labelledby="affected">
      <h2 id="affected">{report.direction === 'downstream' ? 'Affected nodes' : 'Upstream nodes'}, by distance</h2>
      {groups.map((g) => (
        <div key={g.distance} className="distance-group">
          <h3>
            {plural(g.distance, 'hop')} away <span className="count-pill">{g.count}</span>
          </h3>
          {g.kinds.map((k) => {
            const key = `${g.distance}-${k.kind}`;
            const limit = shown[key] ?? PAGE;
            return (
              <div key={key} className="kind-group">
                <h4>
                  <KindIcon kind={k.kind} /> {KIND_LABEL[k.kind]} ({k.nodes.length})
                </h4>
                <ul className="node-list">
                  {k.nodes.slice(0, limit).map((n) => (
                    <NodeRow key={n.id} node={n} showMessage />
                  ))}
                </ul>
                {k.nodes.length > limit && (
                  <button type="button" className="link-button" onClick={() => setShown({ ...shown, [key]: limit + PAGE * 5 })}>
                    Show more ({k.nodes.length - limit} left)
                  </button>
                )}
              </div>
            );
          })}
        </div>
      ))}
    </section>
  );
}
