import { useState } from 'react';
import { ProblemView } from '../../components/ProblemView';
import { useDeleteUser, useUpdateUser, type UserRead } from './api';
import { Confirm } from '../../components/Confirm';
import { PasswordChoice, ShownOnce, usePasswordChoice } from './Secrets';

type Action = 'role' | 'password' | 'disable' | 'delete';

/** A user's actions, each confirmed in place; the API's refusal (409 last admin) shown as said. */
export function UserActions({ user, isMe, isLastAdmin }: { user: UserRead; isMe: boolean; isLastAdmin: boolean }) {
  const [open, setOpen] = useState<Action | null>(null);
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const choice = usePasswordChoice();
  const [newPassword, setNewPassword] = useState<string | null>(null);
  const disabled = Boolean(user.disabled_at);
  const otherRole = user.role === 'admin' ? 'viewer' : 'admin';
  const guarded = isLastAdmin ? 'The last admin: make another user admin first' : undefined;

  const toggle = (action: Action) => {
    update.reset();
    remove.reset();
    setNewPassword(null);
    setOpen(open === action ? null : action);
  };
  const done = { onSuccess: () => setOpen(null) };

  const confirmPassword = () => {
    const password = choice.take();
    update.mutate(
      { id: user.id, body: { password } },
      {
        onSuccess: () => {
          setOpen(null);
          setNewPassword(choice.mode === 'generate' ? password : '');
          choice.reset();
        },
      },
    );
  };

  return (
    <div className="user-actions">
      <div className="page-actions">
        <button type="button" onClick={() => toggle('role')} disabled={isLastAdmin && user.role === 'admin'} title={guarded}>
          Make {otherRole}
        </button>
        <button type="button" onClick={() => toggle('password')}>
          Reset password
        </button>
        <button type="button" onClick={() => toggle('disable')} disabled={isLastAdmin && !disabled} title={guarded}>
          {disabled ? 'Enable' : 'Disable'}
        </button>
        <button type="button" className="danger" onClick={() => toggle('delete')} disabled={isLastAdmin} title={guarded}>
          Delete
        </button>
      </div>
      {open === 'role' && (
        <Confirm
          text={`Make ${user.username} ${otherRole}?${isMe && otherRole === 'viewer' ? ' You will lose admin rights at once.' : ''}`}
          action={`Make ${otherRole}`}
          busy={update.isPending}
          onConfirm={() => update.mutate({ id: user.id, body: { role: otherRole } }, done)}
          onCancel={() => setOpen(null)}
        />
      )}
      {open === 'password' && (
        <div className="confirm" role="group" aria-label={`Reset the password of ${user.username}`}>
          <PasswordChoice choice={choice} />
          <p className="muted small">Their current sessions end; their API tokens keep working.</p>
          <div className="page-actions">
            <button type="button" className="primary" onClick={confirmPassword} disabled={update.isPending}>
              Set new password
            </button>
            <button type="button" onClick={() => setOpen(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {open === 'disable' && (
        <Confirm
          text={
            disabled
              ? `Enable ${user.username}? They can sign in again (their old sessions stay ended).`
              : `Disable ${user.username}? They cannot sign in, and their sessions and API tokens stop working until enabled again.${isMe ? ' That includes you, now.' : ''}`
          }
          action={disabled ? 'Enable' : 'Disable'}
          busy={update.isPending}
          onConfirm={() => update.mutate({ id: user.id, body: { disabled: !disabled } }, done)}
          onCancel={() => setOpen(null)}
        />
      )}
      {open === 'delete' && (
        <Confirm
          text={`Delete ${user.username}? Their API tokens are revoked with them. The audit log keeps what they did.`}
          action="Delete user"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate(user.id, done)}
          onCancel={() => setOpen(null)}
        />
      )}
      {update.error && <ProblemView error={update.error} context={`${user.username} was not changed`} />}
      {remove.error && <ProblemView error={remove.error} context={`${user.username} was not deleted`} />}
      {newPassword !== null &&
        (newPassword ? (
          <ShownOnce label={`New password of ${user.username}.`} value={newPassword} />
        ) : (
          <p role="status">Password of {user.username} changed.</p>
        ))}
    </div>
  );
}
