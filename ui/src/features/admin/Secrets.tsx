import { useId, useState } from 'react';
import { CopyButton } from '../../components/misc';
import { generatePassword } from './password';

/** A secret the server will never show again: the value, a copy button, and that warning. */
export function ShownOnce({ label, value, children }: { label: string; value: string; children?: React.ReactNode }) {
  return (
    <div className="shown-once" role="status">
      <p>
        <strong>{label}</strong> Copy it now: it is shown this once and cannot be read again.
      </p>
      <p className="secret-line">
        <code className="secret" aria-label={label}>
          {value}
        </code>
        <CopyButton text={value} label="Copy" />
      </p>
      {children}
    </div>
  );
}

export type PasswordMode = 'generate' | 'set';

/** Generate a password (shown once after) or type one: what an admin does on create and reset. */
export function usePasswordChoice() {
  const [mode, setMode] = useState<PasswordMode>('generate');
  const [typed, setTyped] = useState('');
  return {
    mode,
    setMode,
    typed,
    setTyped,
    /** The password to send: a fresh one when generating. */
    take: () => (mode === 'generate' ? generatePassword() : typed),
    reset: () => setTyped(''),
  };
}

export function PasswordChoice({ choice }: { choice: ReturnType<typeof usePasswordChoice> }) {
  const id = useId();
  return (
    <fieldset className="password-choice">
      <legend>Password</legend>
      <label className="inline">
        <input type="radio" name={`${id}-mode`} checked={choice.mode === 'generate'} onChange={() => choice.setMode('generate')} />
        Generate one (shown once)
      </label>
      <label className="inline">
        <input type="radio" name={`${id}-mode`} checked={choice.mode === 'set'} onChange={() => choice.setMode('set')} />
        Set it myself
      </label>
      {choice.mode === 'set' && (
        <label className="field">
          New password
          <input
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            value={choice.typed}
            onChange={(e) => choice.setTyped(e.target.value)}
          />
        </label>
      )}
    </fieldset>
  );
}
