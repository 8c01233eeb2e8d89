import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { STATUS_LABEL, StatusIcon } from '../../components/StatusBadge';
import type { ViewNode } from '../../lib/collapse';

export const NODE_W = 220;
export const NODE_H = 56;
export const GROUP_W = 240;
export const GROUP_H = 64;

export interface CardData extends Record<string, unknown> {
  view: ViewNode;
  match: boolean;
  onPath: boolean;
  dimmed: boolean;
  selected: boolean;
}

export type CardNode = Node<CardData, 'lineage' | 'group'>;

function hoverText(v: ViewNode): string {
  const lines = [v.label, v.namespace];
  if (v.type === 'group') lines.push(`${v.members.length} nodes inside`);
  else if (v.kind) lines.push(KIND_LABEL[v.kind]);
  lines.push(`Owner${v.owners.length > 1 ? 's' : ''}: ${v.owners.length ? v.owners.join(', ') : 'nobody'}`);
  lines.push(`Status: ${STATUS_LABEL[v.status]}${v.statusMessage ? ` — ${v.statusMessage}` : ''}`);
  return lines.join('\n');
}

function classes(d: CardData, base: string): string {
  return [
    base,
    `status-${d.view.status}`,
    d.view.isRoot ? 'is-root' : '',
    d.match ? 'is-match' : '',
    d.onPath ? 'on-path' : '',
    d.dimmed ? 'dimmed' : '',
    d.selected ? 'is-selected' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export const LineageCard = memo(function LineageCard({ data }: NodeProps<CardNode>) {
  const v = data.view;
  return (
    <div className={classes(data, 'card-node')} title={hoverText(v)} style={{ width: NODE_W, height: NODE_H }}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="card-line">
        {v.kind && <KindIcon kind={v.kind} />}
        <span className="card-name">{v.label}</span>
        {v.isRoot && <span className="root-mark">root</span>}
      </div>
      <div className="card-line card-sub">
        <span className={`card-status status-${v.status}`}>
          <StatusIcon status={v.status} size={12} /> {STATUS_LABEL[v.status]}
        </span>
        <span className="card-owner">{v.owners[0] ?? 'no owner'}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

export const GroupCard = memo(function GroupCard({ data }: NodeProps<CardNode>) {
  const v = data.view;
  const c = v.counts;
  const parts = c
    ? (['error', 'late', 'at_risk'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${STATUS_LABEL[s].toLowerCase()}`)
    : [];
  return (
    <div className={classes(data, 'card-node group-node')} title={hoverText(v)} style={{ width: GROUP_W, height: GROUP_H }}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="card-line">
        {v.kind ? <KindIcon kind={v.kind} /> : <span className="ns-icon" aria-hidden="true">▦</span>}
        <span className="card-name">{v.label}</span>
      </div>
      <div className="card-line card-sub">
        <span className={`card-status status-${v.status}`}>
          <StatusIcon status={v.status} size={12} /> {STATUS_LABEL[v.status]}
        </span>
        <span className="card-owner">
          {v.members.length} inside{parts.length ? ` · ${parts.join(' · ')}` : ''}
        </span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

export const nodeTypes = { lineage: LineageCard, group: GroupCard };
