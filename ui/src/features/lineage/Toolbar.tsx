import type { ViewGraph } from '../../lib/collapse';
import type { LineageModel } from '../../lib/graph';
import { problemOf } from '../../lib/problem';
import { DEPTHS, type Direction, type ExplorerParams } from './params';
import type { usePathBothWays } from './usePathBothWays';

export function Toolbar(props: {
  params: ExplorerParams;
  update: (patch: Partial<ExplorerParams>) => void;
  model: LineageModel;
  view: ViewGraph;
  path: ReturnType<typeof usePathBothWays>;
}) {
  const { params, update, model, view, path } = props;
  const name = (id: string | null) => (id ? (model.nodes.get(id)?.name ?? 'a node') : '…');
  return (
    <div className="explorer-toolbar" role="group" aria-label="Lineage options">
      <div className="field">
        <label htmlFor="lineage-direction">Direction</label>
        <select
          id="lineage-direction"
          value={params.direction}
          onChange={(e) => update({ direction: e.target.value as Direction, expanded: [] })}
        >
          <option value="both">Upstream and downstream</option>
          <option value="upstream">Upstream</option>
          <option value="downstream">Downstream</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="lineage-depth">Depth</label>
        <select
          id="lineage-depth"
          value={params.depth === null ? 'all' : String(params.depth)}
          onChange={(e) => update({ depth: e.target.value === 'all' ? null : Number(e.target.value) })}
        >
          {DEPTHS.map((d) => (
            <option key={d} value={d}>
              {d === 'all' ? 'all' : `${d} hop${d === '1' ? '' : 's'}`}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="lineage-group">Group</label>
        <select
          id="lineage-group"
          value={params.mode}
          onChange={(e) => update({ mode: e.target.value as ExplorerParams['mode'], toggled: [] })}
        >
          <option value="none">No grouping</option>
          <option value="parent">By parent (database, DAG)</option>
          <option value="namespace">By namespace</option>
        </select>
      </div>
      <p className="view-count muted small" aria-live="polite">
        {view.nodes.length.toLocaleString('en')} shown · {model.nodes.size.toLocaleString('en')} nodes
      </p>
      {(params.from || params.to) && (
        <div className="path-status" role="status">
          <span>
            Path: <strong>{name(params.from)}</strong> → <strong>{name(params.to)}</strong>
          </span>
          {path.loading && <span className="muted"> looking…</span>}
          {path.reversed && <span className="muted"> (no path that way: showing {name(params.to)} → {name(params.from)})</span>}
          {path.missing && <span className="warning"> no data flows between them, either way</span>}
          {path.error && <span className="warning"> {problemOf(path.error).detail || problemOf(path.error).title}</span>}
          {path.data && <span className="muted"> {path.data.length} hop{path.data.length === 1 ? '' : 's'}</span>}
          <button type="button" className="link-button" onClick={() => update({ from: null, to: null })}>
            Clear path
          </button>
        </div>
      )}
    </div>
  );
}
