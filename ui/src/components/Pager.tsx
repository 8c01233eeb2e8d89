import { useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';

/** Cursor pages kept in the component: the cursor shown and those before it. */
export function useCursorPages() {
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    /** The Pager's props, once the page shown says where the next one starts. */
    pager: (nextCursor: string | null | undefined): PagerProps => ({
      hasPrevious: Boolean(cursor),
      nextCursor,
      onFirst: () => setStack([]),
      onPrevious: () => setStack((s) => s.slice(0, -1)),
      onNext: (c: string) => setStack((s) => [...s, c]),
    }),
  };
}

/**
 * Cursor pages kept in the URL (`?cursor=`), for lists whose filters are there too: the
 * cursors of the pages before ride in the history entry, for "Previous page".
 */
export function useUrlPages(path: string, cursor: string | undefined, nextCursor: string | null | undefined): PagerProps {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const previous = (location.state as { previous?: string[] } | null)?.previous ?? [];
  const goTo = (target: string | undefined, stack: string[]) => {
    const next = new URLSearchParams(params);
    if (target) next.set('cursor', target);
    else next.delete('cursor');
    navigate(`${path}?${next.toString()}`, { state: { previous: stack } });
  };
  return {
    hasPrevious: Boolean(cursor),
    nextCursor,
    onFirst: () => goTo(undefined, []),
    onPrevious: () => goTo(previous[previous.length - 1], previous.slice(0, -1)),
    onNext: (target) => goTo(target, cursor ? [...previous, cursor] : []),
  };
}

export interface PagerProps {
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
}

export function Pager({ hasPrevious, nextCursor, onFirst, onPrevious, onNext }: PagerProps) {
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
