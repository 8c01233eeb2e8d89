import { Panel } from '@xyflow/react';
import { useEffect, type Dispatch } from 'react';
import type { EditorAction, EditorState } from './editor';

/** The editor's tools over the canvas. */
export function EditTools(props: {
  state: EditorState;
  dispatch: Dispatch<EditorAction>;
  /** Where a new note or frame goes. */
  corner: () => { x: number; y: number };
  arrange: (onlySelection: boolean) => void;
  dirty: boolean;
}) {
  const { state, dispatch, corner, arrange, dirty } = props;
  const selected = state.nodes.filter((n) => n.selected);
  const selectedIds = selected.map((n) => n.id);
  const selectedCards = selected.filter((n) => n.type === 'card').length;
  const cardCount = state.nodes.filter((n) => n.type === 'card').length;
  return (
    <Panel position="top-left" className="canvas-tools" aria-label="Edit tools">
      <button type="button" onClick={() => dispatch({ type: 'undo' })} disabled={state.history.past.length === 0} title="Ctrl+Z">
        Undo
      </button>
      <button type="button" onClick={() => dispatch({ type: 'redo' })} disabled={state.history.future.length === 0} title="Ctrl+Shift+Z">
        Redo
      </button>
      <button type="button" onClick={() => dispatch({ type: 'addNote', text: 'New note', at: corner() })}>
        Add note
      </button>
      <button type="button" onClick={() => dispatch({ type: 'addGroup', label: 'New group', around: selectedIds, at: corner() })}>
        {selectedCards > 0 ? 'Group selection' : 'Add group'}
      </button>
      <button type="button" onClick={() => arrange(true)} disabled={selectedCards < 2}>
        Arrange selection
      </button>
      <button type="button" onClick={() => arrange(false)} disabled={cardCount < 2}>
        Arrange all
      </button>
      <button type="button" onClick={() => dispatch({ type: 'remove', ids: selectedIds })} disabled={selectedIds.length === 0}>
        Remove selected
      </button>
      {dirty && <span className="unsaved small">unsaved changes</span>}
    </Panel>
  );
}

/** Undo/redo from the keyboard (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y), except while typing. */
export function useUndoKeys(editing: boolean, dispatch: Dispatch<EditorAction>): void {
  useEffect(() => {
    if (!editing) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, dialog')) return;
      if (!(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === 'z' && !event.shiftKey) dispatch({ type: 'undo' });
      else if ((key === 'z' && event.shiftKey) || key === 'y') dispatch({ type: 'redo' });
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editing, dispatch]);
}
