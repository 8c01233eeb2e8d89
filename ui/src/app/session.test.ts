import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// A fresh store per test: it reads sessionStorage when the module loads.
async function freshStore() {
  vi.resetModules();
  return import('./session');
}

describe('the session store', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps the token in memory and in this tab’s sessionStorage', async () => {
    const { session } = await freshStore();
    session.signIn('tok-1', 3600, 'alice');
    expect(session.get()?.token).toBe('tok-1');
    expect(JSON.parse(sessionStorage.getItem('dlv.session') ?? '{}')).toMatchObject({ token: 'tok-1', username: 'alice' });
    const again = await freshStore();
    expect(again.session.get()?.token).toBe('tok-1');
  });

  it('ends the session when the token expires, with a message for the sign-in page', async () => {
    const { session, EXPIRED_MESSAGE } = await freshStore();
    session.signIn('tok-1', 60, 'alice');
    vi.advanceTimersByTime(59_000);
    expect(session.get()).not.toBeNull();
    vi.advanceTimersByTime(2_000);
    expect(session.get()).toBeNull();
    expect(sessionStorage.getItem('dlv.session')).toBeNull();
    expect(session.takeMessage()).toBe(EXPIRED_MESSAGE);
    expect(session.takeMessage()).toBeNull();
  });

  it('drops an expired session found in storage', async () => {
    sessionStorage.setItem('dlv.session', JSON.stringify({ token: 'old', username: 'a', expiresAt: Date.now() - 1 }));
    const { session, EXPIRED_MESSAGE } = await freshStore();
    expect(session.get()).toBeNull();
    expect(session.peekMessage()).toBe(EXPIRED_MESSAGE);
  });

  it('ignores a late 401 for a token already replaced', async () => {
    const { session } = await freshStore();
    session.signIn('old', 3600, 'alice');
    session.signIn('new', 3600, 'alice');
    session.expire('old');
    expect(session.get()?.token).toBe('new');
    session.expire('new');
    expect(session.get()).toBeNull();
  });

  it('tells subscribers', async () => {
    const { session } = await freshStore();
    const seen: (string | undefined)[] = [];
    const stop = session.subscribe(() => seen.push(session.get()?.token));
    session.signIn('t', 3600, 'a');
    session.signOut();
    stop();
    session.signIn('u', 3600, 'a');
    expect(seen).toEqual(['t', undefined]);
  });
});

describe('safeNext', () => {
  it('only returns paths of this app', async () => {
    const { safeNext } = await freshStore();
    expect(safeNext('/nodes/1/lineage?depth=2')).toBe('/nodes/1/lineage?depth=2');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('/login?next=/x')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
