import { useMemo } from 'react';
import { collapse } from '../../lib/collapse';
import type { LineageModel } from '../../lib/graph';
import { MAX_DRAWN, type ExplorerParams } from './params';

/** Past MAX_DRAWN nodes: say so, and offer grouping instead of freezing the page. */
export function TooLarge(props: {
  model: LineageModel;
  count: number;
  params: ExplorerParams;
  update: (patch: Partial<ExplorerParams>) => void;
}) {
  const { model, count, params, update } = props;
  const sizes = useMemo(() => {
    const none = new Set<string>();
    return {
      namespace: collapse(model, { mode: 'namespace', toggled: none }).nodes.length,
      parent: collapse(model, { mode: 'parent', toggled: none }).nodes.length,
    };
  }, [model]);
  return (
    <section className="too-large card" role="alert" aria-labelledby="too-large-title">
      <h2 id="too-large-title">This view has {count.toLocaleString('en')} nodes</h2>
      <p>
        Drawing more than {MAX_DRAWN.toLocaleString('en')} at once would make the page slow and the graph unreadable. Group them, then open
        the groups you need:
      </p>
      <div className="too-large-actions">
        {params.mode !== 'namespace' && (
          <button type="button" className="primary" onClick={() => update({ mode: 'namespace', toggled: [] })}>
            Group by namespace ({sizes.namespace.toLocaleString('en')} boxes)
          </button>
        )}
        {params.mode !== 'parent' && (
          <button type="button" onClick={() => update({ mode: 'parent', toggled: [] })}>
            Group by parent ({sizes.parent.toLocaleString('en')} boxes)
          </button>
        )}
        <button type="button" onClick={() => update({ drawAll: true })}>
          Draw all {count.toLocaleString('en')} anyway
        </button>
        {params.depth !== 1 && (
          <button type="button" onClick={() => update({ depth: Math.max(1, (params.depth ?? 3) - 1) })}>
            Lower the depth
          </button>
        )}
      </div>
    </section>
  );
}
