import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiError, call, getJson, setCsrfToken } from './api.client.js';

export interface Session {
  account: string;
  admin: boolean;
  expires_at: string;
  csrf_token: string;
}

/** The logged-in session, or null before login. */
export async function currentSession(): Promise<Session | null> {
  try {
    const session = await getJson<Session>('/auth/session');
    setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 400)) return null;
    throw error;
  }
}

/** Logs in; without an account, a username that may act as several answers them to choose from. */
export async function logIn(username: string, password: string, account?: string): Promise<Session | { accounts: string[] }> {
  const answer = (await call('POST', '/auth/session', { username, password, ...(account ? { account } : {}) })) as Session | { accounts: string[] };
  if ('csrf_token' in answer) setCsrfToken(answer.csrf_token);
  return answer;
}

/** The identity provider of the "Log in with ..." button, or null when Tarn logs the web UI in with passwords only. */
export async function webLoginProvider(): Promise<{ issuer: string; name: string } | null> {
  try {
    const configuration = await getJson<{ web_login: { issuer: string; name: string } | null }>('/auth/oidc/configuration');
    return configuration.web_login ?? null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Where the browser goes to log in through the identity provider (the API does the rest and comes back to `next`). */
export function webLoginHref(next: string, account?: string): string {
  const query = new URLSearchParams({ next, ...(account ? { account } : {}) });
  return `/auth/oidc/login?${query}`;
}

/** Logs out; a session opened through the identity provider goes on to the provider's logout page (it comes back to /ui/). */
export async function logOut(): Promise<void> {
  const answer = (await call('DELETE', '/auth/session')) as { end_session_url?: string | null } | null;
  setCsrfToken(null);
  if (answer?.end_session_url) location.assign(answer.end_session_url);
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a logged-in page');
  return session;
}

/** Whether the session may change a thing of `account` (its own, or any as an administrator), as the API decides. */
export function mayChange(session: Session, account: string): boolean {
  return session.admin || session.account === account;
}
