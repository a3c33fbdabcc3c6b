import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, call, PORTAL_HEADER, setAccessToken, setRefresher } from '../api/client';
import type { components } from '../api/schema';

export type Me = components['schemas']['MeDto'];
export type Role = 'household' | 'retailer' | 'auditor' | 'admin' | 'recycler';

/**
 * Who is signed in. People sign in with a web session: the access token stays in memory (setAccessToken), the
 * refresh token in an httpOnly cookie the page cannot read; a reload restores the session through the cookie.
 * Recyclers have no people accounts: they use their API key, kept in memory for the tab's life only.
 */
export interface Session {
  state: 'loading' | 'anonymous' | 'signed-in';
  me?: Me;
  role?: Role;
  recyclerKey?: string;
  /** True after this tab signed out (pages then go home, not to the sign-in form). */
  signedOut: boolean;
  signIn(username: string, password: string): Promise<Me>;
  signInRecycler(key: string): void;
  signOut(): Promise<void>;
}

const Ctx = createContext<Session | undefined>(undefined);

async function loadMe(): Promise<Me> {
  return call(() => api.GET('/v1/me'));
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<Session['state']>('loading');
  const [me, setMe] = useState<Me | undefined>();
  const [recyclerKey, setRecyclerKey] = useState<string | undefined>();
  const [signedOut, setSignedOut] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const inFlight = useRef<Promise<string | undefined> | undefined>(undefined);

  const refreshRef = useRef<() => Promise<string | undefined>>(async () => undefined);
  const schedule = useCallback((expiresIn: number) => {
    window.clearTimeout(timer.current);
    // a minute before the access token expires (at least after 10 s)
    timer.current = window.setTimeout(() => void refreshRef.current(), Math.max(10, expiresIn - 60) * 1000);
  }, []);

  const refresh = useCallback((): Promise<string | undefined> => {
    // one refresh at a time: the cookie rotates, a second concurrent refresh would look like reuse
    inFlight.current ??= (async () => {
      try {
        const s = await call(() => api.POST('/v1/auth/session/refresh', { params: { header: PORTAL_HEADER } }));
        setAccessToken(s.accessToken);
        schedule(s.expiresIn);
        return s.accessToken;
      } catch {
        setAccessToken(undefined);
        setMe(undefined);
        setState('anonymous');
        return undefined;
      } finally {
        inFlight.current = undefined;
      }
    })();
    return inFlight.current;
  }, [schedule]);

  refreshRef.current = refresh;

  useEffect(() => {
    setRefresher(refresh);
    void (async () => {
      const token = await refresh();
      if (!token) return;
      try {
        setMe(await loadMe());
        setState('signed-in');
      } catch {
        setState('anonymous');
      }
    })();
    return () => {
      setRefresher(undefined);
      window.clearTimeout(timer.current);
    };
  }, [refresh]);

  const signIn = useCallback(async (username: string, password: string) => {
    const s = await call(() => api.POST('/v1/auth/session', { params: { header: PORTAL_HEADER }, body: { username, password } }));
    setAccessToken(s.accessToken);
    schedule(s.expiresIn);
    const who = await loadMe();
    setMe(who);
    setRecyclerKey(undefined);
    setSignedOut(false);
    setState('signed-in');
    return who;
  }, [schedule]);

  const signInRecycler = useCallback((key: string) => {
    setRecyclerKey(key);
    setSignedOut(false);
    setMe(undefined);
    setState('signed-in');
  }, []);

  /** Signs out at once in the page (a shared till must not wait), then ends the session on the server. */
  const signOut = useCallback(async () => {
    window.clearTimeout(timer.current);
    const wasRecycler = recyclerKey !== undefined;
    setAccessToken(undefined);
    setMe(undefined);
    setRecyclerKey(undefined);
    setSignedOut(true);
    setState('anonymous');
    if (!wasRecycler) await call(() => api.POST('/v1/auth/session/logout', { params: { header: PORTAL_HEADER } })).catch(() => undefined);
  }, [recyclerKey]);

  const value = useMemo<Session>(() => ({
    state, me, recyclerKey, signedOut, role: recyclerKey ? 'recycler' : (me?.role as Role | undefined), signIn, signInRecycler, signOut,
  }), [state, me, recyclerKey, signedOut, signIn, signInRecycler, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** Where each role starts. */
export const HOME_OF: Record<Role, string> = {
  household: '/household', retailer: '/till', recycler: '/recycler', auditor: '/auditor', admin: '/admin',
};
