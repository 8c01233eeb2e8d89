import { When } from '../../components/misc';
import { formatAbsolute } from '../../lib/format';
import { ProblemView } from '../../components/ProblemView';
import { useCollected } from './collectApi';
import { ParentLink } from './ParentLink';

const OBJECT_KIND: Record<string, string> = {
  table: 'Table',
  partitioned_table: 'Partitioned table',
  view: 'View',
  materialized_view: 'Materialized view',
  foreign_table: 'Foreign table',
};

/** What a collector found about this dataset; nothing at all when no collector found it. */
export function CollectedSection({ nodeId }: { nodeId: string }) {
  const collected = useCollected(nodeId);
  if (collected.isPending || collected.data === null) return null;
  if (collected.error) {
    return (
      <section className="card" aria-labelledby="collected">
        <h2 id="collected">Collected</h2>
        <ProblemView error={collected.error} context="Could not load what the collector found" />
      </section>
    );
  }
  const c = collected.data;
  return (
    <section className="card" aria-labelledby="collected">
      <h2 id="collected">Collected</h2>
      {c.gone_at && (
        <p className="gone-line" role="status">
          <span className="gone-badge">Gone</span> since {formatAbsolute(c.gone_at)}: the collections no longer find it. The
          node is kept, with its annotations, until a collection prunes it.
        </p>
      )}
      <dl className="facts">
        <dt>Object</dt>
        <dd>{OBJECT_KIND[c.object_kind] ?? c.object_kind}</dd>
        <dt>Comment</dt>
        <dd>{c.comment || <span className="muted">none</span>}</dd>
        <dt>Row estimate</dt>
        <dd>{c.row_estimate === null ? <span className="muted">unknown (a view, or never analyzed)</span> : c.row_estimate.toLocaleString('en')}</dd>
        <dt>Found by</dt>
        <dd>
          <ParentLink id={c.source_id} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <When at={c.seen_at} />
        </dd>
      </dl>
    </section>
  );
}
