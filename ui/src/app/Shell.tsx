import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { rootPath } from '../api/client';
import { useIsAdmin, useMe } from '../api/queries';
import { GlobalSearch } from '../features/search/GlobalSearch';
import { useEventStream } from '../features/stream/useEventStream';
import { signOut } from './App';
import { useSession } from './session';

export function Shell({ children }: { children: ReactNode }) {
  const current = useSession();
  const me = useMe();
  const isAdmin = useIsAdmin();
  useEventStream();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="DLV home">
          <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#7cc4ff" fillOpacity=".15" />
            <circle cx="8" cy="16" r="4" fill="#7cc4ff" />
            <circle cx="24" cy="9" r="4" fill="#7cc4ff" />
            <circle cx="24" cy="23" r="4" fill="#ff7b72" />
            <path d="M12 16 20 9.5M12 16l8 6.5" stroke="#fff" strokeWidth="2" />
          </svg>
          <span>DLV</span>
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Home
          </NavLink>
          <NavLink to="/search">Browse</NavLink>
          <NavLink to="/dashboards">Dashboards</NavLink>
          <NavLink to="/monitor">Monitor</NavLink>
          {isAdmin && <NavLink to="/admin">Admin</NavLink>}
          <a href={`${rootPath}/docs`}>
            API
          </a>
        </nav>
        <GlobalSearch />
        <div className="user">
          <span className="user-name" title={me.data ? `Role: ${me.data.role}` : undefined}>
            {me.data?.username ?? current?.username}
            {me.data && <span className={`role role-${me.data.role}`}>{me.data.role}</span>}
          </span>
          <button type="button" className="link-button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
