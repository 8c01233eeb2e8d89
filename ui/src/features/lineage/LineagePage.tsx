import '@xyflow/react/dist/style.css';
import './explorer.css';
import { useQueries } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { LineageGraph } from '../../api/client';
import { fetchLineage, keys, statusPoll, useLineage, useNode } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';
import { Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { collapse } from '../../lib/collapse';
import { buildModel } from '../../lib/graph';
import { createLayoutClient } from '../../lib/layout/client';
import { Explorer } from './Explorer';
import { MAX_DRAWN, readParams, writeParams, type ExplorerParams } from './params';
import { TooLarge } from './TooLarge';
import { Toolbar } from './Toolbar';
import { usePathBothWays } from './usePathBothWays';

const expansionData = (results: { data?: LineageGraph }[]) => results.map((r) => r.data);

export default function LineagePage() {
  const { id = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const params = useMemo(() => readParams(search), [search]);
  const update = (patch: Partial<ExplorerParams>) => setSearch(writeParams({ ...params, ...patch }));

  // The layout worker starts with the page, while the lineage is on its way.
  const layoutClient = useMemo(() => createLayoutClient(), []);
  useEffect(() => {
    layoutClient.warm();
    return () => layoutClient.dispose();
  }, [layoutClient]);
  const root = useNode(id);
  const main = useLineage(id, params.direction, params.depth);
  const expansions = useQueries({
    queries: params.expanded.map((nodeId) => ({
      queryKey: keys.lineage(nodeId, 'both', 1),
      queryFn: () => fetchLineage(nodeId, 'both', 1),
      refetchInterval: statusPoll,
    })),
    combine: expansionData,
  });
  const path = usePathBothWays(params.from, params.to);

  const model = useMemo(
    () => buildModel(id, [main.data, ...expansions, path.data ? { ...path.data, parents: [] } : undefined]),
    [id, main.data, expansions, path.data],
  );
  const toggledKey = params.toggled.join(',');
  const view = useMemo(
    () => collapse(model, { mode: params.mode, toggled: new Set(toggledKey ? toggledKey.split(',') : []) }),
    [model, params.mode, toggledKey],
  );
  const tooLarge = view.nodes.length > MAX_DRAWN && !params.drawAll;

  return (
    <div className="explorer-page">
      <header className="explorer-header">
        <div className="explorer-title">
          <p className="eyebrow">Lineage explorer</p>
          <h1>
            {root.data ? (
              <>
                <KindIcon kind={root.data.kind} size={20} /> {root.data.name}
              </>
            ) : (
              'Lineage'
            )}
          </h1>
          {root.data && (
            <div className="status-line">
              <StatusBadge status={root.data.status} />
              {root.data.status_message && <span className="status-message">{root.data.status_message}</span>}
              <Link to={`/nodes/${id}`}>Node page</Link>
              <Link to={`/nodes/${id}/impact?direction=downstream`}>Incident view</Link>
            </div>
          )}
        </div>
        <Toolbar params={params} update={update} model={model} view={view} path={path} />
      </header>
      {main.error && <ProblemView error={main.error} context="Could not load the lineage" />}
      {main.data?.truncated && (
        <p className="notice" role="status">
          The server cut this answer short ({main.data.nodes.length.toLocaleString('en')} nodes): lower the depth to see a complete one.
        </p>
      )}
      {main.isPending && <Loading what="the lineage" />}
      {main.data && tooLarge && <TooLarge model={model} count={view.nodes.length} params={params} update={update} />}
      {main.data && !tooLarge && (
        <ReactFlowProvider>
          <Explorer client={layoutClient} rootId={id} model={model} view={view} params={params} update={update} path={path} fetching={main.isFetching} />
        </ReactFlowProvider>
      )}
    </div>
  );
}
