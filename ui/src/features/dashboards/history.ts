// Undo/redo: a bounded list of past states, the present, and the states undone. Pure.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

/** How many steps back undo reaches (each holds a whole snapshot of the canvas). */
export const HISTORY_LIMIT = 100;

export function start<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** A new present; what was undone is forgotten. The same state again is not a step. */
export function push<T>(h: History<T>, next: T, same: (a: T, b: T) => boolean = Object.is): History<T> {
  if (same(h.present, next)) return h;
  const past = [...h.past, h.present];
  return { past: past.length > HISTORY_LIMIT ? past.slice(past.length - HISTORY_LIMIT) : past, present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  const previous = h.past[h.past.length - 1];
  if (previous === undefined) return h;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}

export const canUndo = <T>(h: History<T>): boolean => h.past.length > 0;
export const canRedo = <T>(h: History<T>): boolean => h.future.length > 0;
