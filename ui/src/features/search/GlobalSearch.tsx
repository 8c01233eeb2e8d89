import { useEffect, useId, useRef, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import { useNodes } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';
import { StatusIcon, STATUS_LABEL } from '../../components/StatusBadge';
import { useDebounced } from '../../lib/useDebounced';

/** True when a key press belongs to a text field, not to the page's shortcuts. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The one search box (the catalog's `q`), on every screen; `/` focuses it. Suggestions jump
 * straight to a node; Enter without one lists every match on the search page.
 */
export function GlobalSearch() {
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const onSearchPage = location.pathname === '/search';
  const urlQ = onSearchPage ? (params.get('q') ?? '') : '';
  const [text, setText] = useState(urlQ);
  // Another search page (a link, Back): the box shows its words.
  const [shownQ, setShownQ] = useState(urlQ);
  if (urlQ !== shownQ) {
    setShownQ(urlQ);
    if (onSearchPage) setText(urlQ);
  }
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const q = useDebounced(text.trim(), 200);
  const suggestions = useNodes({ q, limit: 8 }, open && q.length > 0);
  const items = q && suggestions.data ? suggestions.data.items : [];

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '/' && !event.ctrlKey && !event.metaKey && !event.altKey && !typingIn(event.target)) {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const go = (path: string) => {
    setOpen(false);
    setActive(-1);
    navigate(path);
  };

  const submit = () => {
    const chosen = active >= 0 ? items[active] : undefined;
    if (chosen) {
      setText('');
      go(`/nodes/${chosen.id}`);
      return;
    }
    const next = new URLSearchParams(onSearchPage ? params : undefined);
    if (text.trim()) next.set('q', text.trim());
    else next.delete('q');
    next.delete('cursor');
    go(`/search?${next.toString()}`);
  };

  return (
    <form
      className="global-search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="global-search-input" className="sr-only">
        Search
      </label>
      <input
        id="global-search-input"
        ref={input}
        type="search"
        placeholder="Search nodes  ( / )"
        autoComplete="off"
        role="combobox"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, items.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, -1));
          } else if (e.key === 'Escape') {
            setOpen(false);
            setActive(-1);
          }
        }}
      />
      <ul id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!open || items.length === 0}>
        {items.map((node, i) => (
          <li
            key={node.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            onMouseDown={(e) => {
              e.preventDefault();
              setText('');
              go(`/nodes/${node.id}`);
            }}
          >
            <KindIcon kind={node.kind} />
            <span className="suggestion-name">{node.name}</span>
            <span className="suggestion-ns">{node.namespace}</span>
            <span className={`status-${node.status} suggestion-status`} title={STATUS_LABEL[node.status]}>
              <StatusIcon status={node.status} />
              <span className="sr-only">{STATUS_LABEL[node.status]}</span>
            </span>
          </li>
        ))}
      </ul>
    </form>
  );
}
