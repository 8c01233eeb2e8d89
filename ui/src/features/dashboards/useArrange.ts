import { useEffect, useRef, useState, type Dispatch } from 'react';
import type { LayoutClient } from '../../lib/layout/protocol';
import { SupersededError } from '../../lib/layout/protocol';
import type { EditorAction, EditorState } from './editor';
import { bounds, boxOf } from './model';

/**
 * Auto-arrange (ELK in the layout worker, or DLV's layered layout for big selections) of the
 * selected cards or of all of them, keeping the arranged block where it was on the canvas.
 */
export function useArrange(
  client: LayoutClient | null,
  state: EditorState,
  dispatch: Dispatch<EditorAction>,
  onProblem: (error: unknown) => void,
) {
  const [arranging, setArranging] = useState(false);
  const latest = useRef(state);
  useEffect(() => {
    latest.current = state;
  }, [state]);

  const arrange = async (onlySelection: boolean) => {
    if (!client) return;
    const asked = state.history.present;
    const cards = state.nodes.filter((n) => n.type === 'card' && (!onlySelection || n.selected));
    if (cards.length < 2) return;
    const ids = new Set(cards.map((c) => c.id));
    const before = bounds(cards.map(boxOf))!;
    setArranging(true);
    try {
      const placed = await client.layout(
        null,
        cards.map((c) => ({ id: c.id, ...boxOf(c) })),
        // Every known flow between them, hidden ones too: hiding is about drawing, not order.
        [...state.edges.values()]
          .filter((e) => ids.has(e.source_id) && ids.has(e.target_id))
          .map((e) => ({ id: e.id, source: e.source_id, target: e.target_id })),
      );
      const after = bounds(cards.map((c) => ({ ...boxOf(c), ...placed.positions[c.id]! })))!;
      const positions: Record<string, { x: number; y: number }> = {};
      for (const c of cards) {
        const p = placed.positions[c.id];
        if (p) positions[c.id] = { x: Math.round(p.x - after.x + before.x), y: Math.round(p.y - after.y + before.y) };
      }
      // Edited meanwhile: this arrangement is of a canvas that no longer exists.
      if (latest.current.history.present === asked) dispatch({ type: 'place', positions, refitFrames: !onlySelection });
    } catch (error) {
      if (!(error instanceof SupersededError)) onProblem(error);
    } finally {
      setArranging(false);
    }
  };
  return { arrange, arranging };
}
