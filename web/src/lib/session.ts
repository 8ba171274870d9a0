// Who is signed in and what they may do. Controls a person may not use are not shown at all; the
// server refuses them anyway (DESIGN §7: roles are checked on the server for every route).
import { api, ApiError, setUnauthenticatedHandler } from './api.js';
import { navigate } from './router.js';
import { createStore, useStore } from './store.js';
import type { Me, Permission } from './types.js';

export type Session =
  { state: 'loading' } | { state: 'signed-out'; expired?: boolean } | { state: 'signed-in'; me: Me };

export const session = createStore<Session>({ state: 'loading' });
export const useSession = () => useStore(session);

setUnauthenticatedHandler(() => {
  if (session.get().state === 'signed-in') session.set({ state: 'signed-out', expired: true });
});

export async function loadSession(): Promise<void> {
  try {
    const { user } = await api.get<{ user: Me }>('/api/auth/me');
    session.set({ state: 'signed-in', me: normalize(user) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) session.set({ state: 'signed-out' });
    else throw err;
  }
}

function normalize(user: Me): Me {
  return { ...user, permissions: user.permissions ?? [], communeIds: user.communeIds ?? null };
}

export async function signIn(username: string, password: string): Promise<void> {
  await api.post('/api/auth/login', { username, password });
  await loadSession();
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/api/auth/logout');
  } finally {
    // The next person starts on the overview, not on the last one's page (which they may not see).
    navigate('#/');
    session.set({ state: 'signed-out' });
  }
}

export function can(permission: Permission): boolean {
  const s = session.get();
  return s.state === 'signed-in' && s.me.permissions.includes(permission);
}

export function me(): Me | undefined {
  const s = session.get();
  return s.state === 'signed-in' ? s.me : undefined;
}
