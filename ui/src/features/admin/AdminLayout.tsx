import { Link, NavLink, Outlet } from 'react-router';
import { useMe } from '../../api/queries';
import { Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import './admin.css';

const SECTIONS = [
  ['users', 'Users'],
  ['tokens', 'API tokens'],
  ['audit', 'Audit log'],
  ['ingestion', 'Ingestion'],
  ['alerts', 'Alerts'],
] as const;

/** The admin pages' frame; anyone else gets a page that says why (the API refuses them too). */
export function AdminLayout() {
  const me = useMe();
  if (me.isPending) return <Loading what="your role" />;
  if (me.error) return <ProblemView error={me.error} context="Could not tell your role" />;
  if (me.data.role !== 'admin') return <AdminsOnly name={me.data.username} role={me.data.role} />;
  return (
    <div className="admin">
      <h1>Administration</h1>
      <nav className="admin-tabs" aria-label="Administration">
        {SECTIONS.map(([path, label]) => (
          <NavLink key={path} to={`/admin/${path}`}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}

function AdminsOnly({ name, role }: { name: string; role: string }) {
  return (
    <section className="admins-only" aria-labelledby="admins-only-title">
      <h1 id="admins-only-title">Admins only</h1>
      <p>
        Users, API tokens, the audit log, the ingestion status and alerts are for admins. You are signed in as <strong>{name}</strong>{' '}
        with the role <strong>{role}</strong>.
      </p>
      <p>
        Ask an admin if you need one of these, or go back to the <Link to="/">home page</Link>.
      </p>
    </section>
  );
}
