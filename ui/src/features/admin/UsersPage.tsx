import { useState, type FormEvent } from 'react';
import type { Schemas } from '../../api/client';
import { useMe } from '../../api/queries';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { useCreateUser, useUsers, type UserRead } from './api';
import { Pager, useCursorPages } from '../../components/Pager';
import { PasswordChoice, ShownOnce, usePasswordChoice } from './Secrets';
import { UserActions } from './UserActions';

type Role = Schemas['Role'];

/** Users: who may sign in, with which role. */
export function UsersPage() {
  const pages = useCursorPages();
  const users = useUsers(pages.cursor);
  const me = useMe();
  const items = users.data?.items ?? [];
  // The last enabled admin is guarded by the API; the page says so before anyone tries. Only
  // when the whole list is here: otherwise another admin may be on a later page.
  const complete = !pages.cursor && !users.data?.next_cursor;
  const admins = items.filter((u) => u.role === 'admin' && !u.disabled_at);
  const lastAdminId = complete && admins.length === 1 ? admins[0]!.id : null;
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <CreateUser />
      {users.isPending && <Loading what="users" />}
      {users.error && <ProblemView error={users.error} />}
      {users.data && items.length === 0 && <Empty>No user yet.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="Users" aria-busy={users.isFetching}>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <UserRow key={u.id} user={u} isMe={u.id === me.data?.id} isLastAdmin={u.id === lastAdminId} />
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages.pager(users.data?.next_cursor)} />
    </section>
  );
}

function UserRow({ user, isMe, isLastAdmin }: { user: UserRead; isMe: boolean; isLastAdmin: boolean }) {
  return (
    <tr className={user.disabled_at ? 'disabled-row' : undefined}>
      <th scope="row">
        {user.username}
        {isMe && <span className="muted small"> (you)</span>}
      </th>
      <td>{user.role}</td>
      <td>
        {user.disabled_at ? (
          <span className="state-disabled">
            Disabled <When at={user.disabled_at} />
          </span>
        ) : (
          'Enabled'
        )}
        {isLastAdmin && <div className="muted small">The last admin: cannot be demoted, disabled or deleted</div>}
      </td>
      <td>
        <When at={user.created_at} />
      </td>
      <td>
        <UserActions user={user} isMe={isMe} isLastAdmin={isLastAdmin} />
      </td>
    </tr>
  );
}

function CreateUser() {
  const create = useCreateUser();
  const choice = usePasswordChoice();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<{ name: string; password: string | null } | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const password = choice.take();
    setCreated(null);
    create.mutate(
      { username, password, role },
      {
        onSuccess: (user) => {
          setCreated({ name: user.username, password: choice.mode === 'generate' ? password : null });
          setUsername('');
          choice.reset();
        },
      },
    );
  };

  return (
    <details className="card create-card">
      <summary>New user</summary>
      <form className="admin-form" aria-label="New user" onSubmit={submit}>
        <label className="field">
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} required maxLength={64} autoComplete="off" />
        </label>
        <label className="field">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="viewer">viewer: reads everything, changes nothing</option>
            <option value="admin">admin: changes anything, manages users</option>
          </select>
        </label>
        <PasswordChoice choice={choice} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create user
          </button>
        </div>
        {create.error && <ProblemView error={create.error} context="The user was not created" />}
      </form>
      {created &&
        (created.password ? (
          <ShownOnce label={`Password of ${created.name}.`} value={created.password} />
        ) : (
          <p role="status">User {created.name} created with the password you set.</p>
        ))}
    </details>
  );
}
