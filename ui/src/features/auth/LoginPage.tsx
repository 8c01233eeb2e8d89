import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { safeNext, session, useSession } from '../../app/session';
import { ProblemView } from '../../components/ProblemView';

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const current = useSession();
  const next = safeNext(params.get('next'));
  // Why the last session ended, shown once (read at first render, then cleared).
  const [notice] = useState(() => session.peekMessage());
  useEffect(() => {
    session.takeMessage();
  }, []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (current) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await unwrap(
        api.POST('/api/v1/auth/token', {
          body: { username, password, scope: '' },
          bodySerializer: (body) => new URLSearchParams({ username: body.username, password: body.password }),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }),
      );
      session.signIn(token.access_token, token.expires_in, username.trim().toLowerCase());
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#1f3a5f" />
            <circle cx="8" cy="16" r="4" fill="#7cc4ff" />
            <circle cx="24" cy="9" r="4" fill="#7cc4ff" />
            <circle cx="24" cy="23" r="4" fill="#ff7b72" />
            <path d="M12 16 20 9.5M12 16l8 6.5" stroke="#fff" strokeWidth="2" />
          </svg>
          Sign in to DLV
        </h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error !== null && <ProblemView error={error} context="Could not sign in" />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
