// The signed-in session: the access token lives in memory and in sessionStorage (this tab
// only, gone with it), never in a URL. Expiry, or any 401 on a request that carried the
// token, ends it with a message the sign-in page shows.
import { useSyncExternalStore } from 'react';

export interface Session {
  token: string;
  username: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const KEY = 'dlv.session';
export const EXPIRED_MESSAGE = 'Your session has expired. Sign in again to continue where you were.';

type Listener = () => void;

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.token !== 'string' || typeof value.expiresAt !== 'number') return null;
    return { token: value.token, username: String(value.username ?? ''), expiresAt: value.expiresAt };
  } catch {
    return null;
  }
}

class SessionStore {
  private current: Session | null = null;
  private message: string | null = null;
  private readonly listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const stored = read();
    if (stored && stored.expiresAt > Date.now()) {
      this.current = stored;
      this.schedule();
    } else if (stored) {
      sessionStorage.removeItem(KEY);
      this.message = EXPIRED_MESSAGE;
    }
  }

  get = (): Session | null => this.current;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The message for the sign-in page (why the session ended), read once. */
  takeMessage(): string | null {
    const m = this.message;
    this.message = null;
    return m;
  }

  peekMessage(): string | null {
    return this.message;
  }

  signIn(token: string, expiresInSeconds: number, username: string): void {
    this.current = { token, username, expiresAt: Date.now() + expiresInSeconds * 1000 };
    this.message = null;
    sessionStorage.setItem(KEY, JSON.stringify(this.current));
    this.schedule();
    this.emit();
  }

  signOut(message: string | null = null): void {
    this.current = null;
    this.message = message;
    sessionStorage.removeItem(KEY);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.emit();
  }

  /** The token stopped working (expired, revoked, password changed). */
  expire(token: string): void {
    // A late 401 for a token already replaced by a new sign-in changes nothing.
    if (this.current?.token !== token) return;
    this.signOut(EXPIRED_MESSAGE);
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.current) return;
    const token = this.current.token;
    // setTimeout holds at most ~24.8 days; login tokens live at most 30 days.
    const wait = Math.min(this.current.expiresAt - Date.now(), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.expire(token), Math.max(wait, 0));
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

export const session = new SessionStore();

export function useSession(): Session | null {
  return useSyncExternalStore(session.subscribe, session.get, session.get);
}

/** Where to go after signing in: a path of this app only (never another site). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login')) return '/';
  return next;
}
