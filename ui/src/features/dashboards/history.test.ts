import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, HISTORY_LIMIT, push, redo, start, undo } from './history';

describe('undo/redo history', () => {
  it('undoes and redoes steps in order', () => {
    let h = push(push(start(1), 2), 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe(2);
    h = redo(h);
    expect(h.present).toBe(3);
    expect(canRedo(h)).toBe(false);
  });

  it('forgets what was undone once a new step is taken', () => {
    const h = push(undo(push(push(start('a'), 'b'), 'c')), 'd');
    expect(h.present).toBe('d');
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe('b');
  });

  it('takes no step for the same state again', () => {
    const h = push(start({ n: 1 }), { n: 1 }, (a, b) => a.n === b.n);
    expect(canUndo(h)).toBe(false);
  });

  it('keeps at most HISTORY_LIMIT steps back', () => {
    let h = start(0);
    for (let i = 1; i <= HISTORY_LIMIT + 20; i++) h = push(h, i);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    while (canUndo(h)) h = undo(h);
    expect(h.present).toBe(20);
  });
});
