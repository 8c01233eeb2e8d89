// The dashboard canvas's node types: a catalog node's card, a group's labelled frame, a note.
// Memoized: a 1,000-node dashboard redraws only the nodes whose data changed.
import { Handle, NodeResizer, Position, type NodeProps } from '@xyflow/react';
import { createContext, memo, useContext, useState } from 'react';
import { KIND_LABEL, KindIcon } from '../../components/KindIcon';
import { STATUS_LABEL, StatusIcon } from '../../components/StatusBadge';
import type { CardNode, FrameNode, NoteNode } from './model';

/** Whether the canvas is being edited, and the edits the nodes themselves offer. */
export interface CanvasMode {
  editing: boolean;
  /** Zoomed far out: names are unreadable, cards are drawn as plain boxes (cheap to mount). */
  boxes: boolean;
  renameGroup: (id: string, label: string) => void;
  editNote: (id: string, text: string) => void;
}

export const CanvasModeContext = createContext<CanvasMode>({ editing: false, boxes: false, renameGroup: () => {}, editNote: () => {} });

export const DashCard = memo(function DashCard({ id, data, selected }: NodeProps<CardNode>) {
  const { editing, boxes } = useContext(CanvasModeContext);
  const f = data.facts;
  const missing = !f || f.missing;
  const status = f?.status ?? 'unknown';
  // Edges use the handles the node carries (model.cardHandles): a box needs no DOM handle.
  if (boxes) return <div className={`dash-card box status-${missing ? 'missing' : status}${selected ? ' is-selected' : ''}`} />;
  const title = missing
    ? `Deleted from the catalog (${id})`
    : [f.name, f.namespace, f.kind ? KIND_LABEL[f.kind] : '', `Owner: ${f.owner ?? 'nobody'}`, `Status: ${STATUS_LABEL[status]}${f.status_message ? ` — ${f.status_message}` : ''}`].join('\n');
  return (
    <div className={`dash-card status-${missing ? 'missing' : status}${selected ? ' is-selected' : ''}`} title={title} style={data.item.style ?? undefined}>
      {editing && <NodeResizer isVisible={selected} minWidth={120} minHeight={40} />}
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="card-line">
        {!missing && f.kind && <KindIcon kind={f.kind} />}
        <span className="card-name">{missing ? 'Missing node' : f.name}</span>
      </div>
      <div className="card-line card-sub">
        {missing ? (
          <span className="card-status">deleted from the catalog</span>
        ) : (
          <>
            <span className={`card-status status-${status}`}>
              <StatusIcon status={status} size={12} /> {STATUS_LABEL[status]}
            </span>
            <span className="card-owner">{f.owner ?? 'no owner'}</span>
          </>
        )}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

export const DashFrame = memo(function DashFrame({ id, data, selected }: NodeProps<FrameNode>) {
  const { editing, renameGroup } = useContext(CanvasModeContext);
  const [draft, setDraft] = useState<string | null>(null);
  const label = data.item.label;
  return (
    <div className={`dash-frame${selected ? ' is-selected' : ''}`} style={data.item.style ?? undefined}>
      {editing && <NodeResizer isVisible={selected} minWidth={120} minHeight={80} />}
      {editing && draft !== null ? (
        <input
          className="frame-label nodrag"
          aria-label="Group name"
          autoFocus
          value={draft}
          maxLength={200}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => {
            if (draft !== label) renameGroup(id, draft);
            setDraft(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
            if (e.key === 'Escape') setDraft(null);
          }}
        />
      ) : (
        <div className="frame-label" onDoubleClick={editing ? () => setDraft(label) : undefined} title={editing ? 'Double-click to rename' : undefined}>
          {label || <span className="muted">(unnamed group)</span>}
        </div>
      )}
    </div>
  );
});

export const DashNote = memo(function DashNote({ id, data, selected }: NodeProps<NoteNode>) {
  const { editing, editNote } = useContext(CanvasModeContext);
  const [draft, setDraft] = useState<string | null>(null);
  const text = data.item.text;
  return (
    <div className={`dash-note${selected ? ' is-selected' : ''}`} style={data.item.style ?? undefined}>
      {editing && <NodeResizer isVisible={selected} minWidth={100} minHeight={60} />}
      {editing && draft !== null ? (
        <textarea
          className="nodrag nowheel"
          aria-label="Note text"
          autoFocus
          value={draft}
          maxLength={10_000}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => {
            if (draft !== text) editNote(id, draft);
            setDraft(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setDraft(null);
          }}
        />
      ) : (
        <div className="note-text" onDoubleClick={editing ? () => setDraft(text) : undefined} title={editing ? 'Double-click to edit' : undefined}>
          {text || <span className="muted">(empty note)</span>}
        </div>
      )}
    </div>
  );
});

export const nodeTypes = { card: DashCard, frame: DashFrame, note: DashNote };
