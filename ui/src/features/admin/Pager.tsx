import { useState } from 'react';

/** Cursor pages kept in the component: the cursor shown and those before it. */
export function useCursorPages() {
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    next: (c: string) => setStack((s) => [...s, c]),
    previous: () => setStack((s) => s.slice(0, -1)),
    first: () => setStack([]),
  };
}

export function Pager({
  hasPrevious,
  nextCursor,
  onFirst,
  onPrevious,
  onNext,
}: {
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
}) {
  if (!hasPrevious && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      {hasPrevious && (
        <>
          <button type="button" onClick={onFirst}>
            First page
          </button>
          <button type="button" onClick={onPrevious}>
            Previous page
          </button>
        </>
      )}
      {nextCursor && (
        <button type="button" onClick={() => onNext(nextCursor)}>
          Next page
        </button>
      )}
    </nav>
  );
}
