import { useState } from 'react';
import { Confirm } from '../../components/Confirm';
import { Empty, Loading, When } from '../../components/misc';
import { Pager, useCursorPages } from '../../components/Pager';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge, StatusIcon } from '../../components/StatusBadge';
import { formatDuration, plural } from '../../lib/format';
import { useCollect, useCollections, type CollectionResult } from './collectApi';

/** A system node's collections: "Collect now" for admins, and the history for everyone. */
export function CollectSection({ nodeId, admin }: { nodeId: string; admin: boolean }) {
  const { cursor, pager } = useCursorPages();
  const history = useCollections(nodeId, cursor);
  return (
    <section className="card wide" aria-labelledby="collections">
      <h2 id="collections">Collections</h2>
      <p className="muted small">
        A collection reads the system&apos;s catalog: its tables and views become dataset nodes, view
        dependencies become lineage edges. Objects no longer found are marked gone, not deleted.
      </p>
      {admin && <CollectNow nodeId={nodeId} />}
      {history.isPending && <Loading what="collections" />}
      {history.error && <ProblemView error={history.error} context="Could not load the collections" />}
      {history.data && history.data.items.length === 0 && <Empty>Never collected.</Empty>}
      {history.data && history.data.items.length > 0 && (
        <table className="table" aria-label="Collection history">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Result</th>
              <th scope="col">Summary</th>
              <th scope="col">Counts</th>
              <th scope="col">Duration</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {history.data.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <When at={c.started_at} />
                </td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td className="message">{c.message}</td>
                <td className="small">{countsOf(c)}</td>
                <td>{formatDuration(c.duration_ms / 1000)}</td>
                <td>{c.actor}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pager(history.data?.next_cursor)} />
    </section>
  );
}

/** "12 found, 3 new, 1 gone, 2 edges added": the counts that are not zero, found always. */
export function countsOf(c: CollectionResult): string {
  const parts = [`${c.discovered.toLocaleString('en')} found`];
  const rest: [number, string][] = [
    [c.created, 'new'],
    [c.updated, 'updated'],
    [c.gone, 'gone'],
    [c.pruned, 'pruned'],
  ];
  for (const [n, word] of rest) if (n > 0) parts.push(`${n.toLocaleString('en')} ${word}`);
  if (c.edges_added > 0) parts.push(`${plural(c.edges_added, 'edge')} added`);
  if (c.edges_removed > 0) parts.push(`${plural(c.edges_removed, 'edge')} removed`);
  return parts.join(', ');
}

function CollectNow({ nodeId }: { nodeId: string }) {
  const collect = useCollect(nodeId);
  const [prune, setPrune] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const run = () => {
    setConfirming(false);
    collect.mutate(prune);
  };
  const result = collect.data;
  return (
    <div className="collect-now">
      <div className="collect-actions">
        <button
          type="button"
          className="primary"
          disabled={collect.isPending || confirming}
          onClick={() => (prune ? setConfirming(true) : run())}
        >
          {collect.isPending ? 'Collecting…' : 'Collect now'}
        </button>
        <label className="inline">
          <input type="checkbox" checked={prune} disabled={collect.isPending} onChange={(e) => setPrune(e.target.checked)} />
          Prune objects that are gone
        </label>
      </div>
      {confirming && (
        <Confirm
          text="Nodes whose table or view is no longer in the system will be deleted, with their annotations and edges, instead of being marked gone. This cannot be undone."
          action="Collect and prune"
          danger
          busy={collect.isPending}
          onConfirm={run}
          onCancel={() => setConfirming(false)}
        />
      )}
      {collect.error && <ProblemView error={collect.error} context="The collection could not run" />}
      {result && (
        <div className={`check-report status-${result.status}`} role="status" aria-label="Collection report">
          <p className="check-summary">
            <StatusIcon status={result.status} />{' '}
            <strong>{result.status === 'ok' ? 'Collected' : 'Collection failed'}</strong> — {result.message}{' '}
            <span className="muted">({formatDuration(result.duration_ms / 1000)})</span>
          </p>
        </div>
      )}
    </div>
  );
}
