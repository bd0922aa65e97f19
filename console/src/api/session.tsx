import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api, ApiError, unwrap } from './client';
import type { components } from './schema';

export type Me = components['schemas']['MeResponse'];

export interface Session {
  me: Me;
  /** A platform admin: sees every tenant (Tenants, Users, Audit, FX) and may force refunds. */
  operator: boolean;
  /** owner or admin of the tenant (or an operator): may refund, cancel, resend. */
  canOperate: boolean;
}

const SessionContext = createContext<Session | null>(null);

export const ME_KEY = ['me'] as const;

export function sessionOf(me: Me): Session {
  const operator = me.user.is_platform_admin;
  return { me, operator, canOperate: operator || me.role === 'owner' || me.role === 'admin' };
}

/** GET /api/v1/auth/me with the session cookie; null when not signed in (401). */
export function useMe(): ReturnType<typeof useQuery<Me | null, Error>> {
  return useQuery<Me | null, Error>({
    queryKey: ME_KEY,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/api/v1/auth/me'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    retry: false,
    staleTime: 60_000,
  });
}

export function SessionProvider({ me, children }: { me: Me; children: ReactNode }): ReactNode {
  return <SessionContext.Provider value={sessionOf(me)}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export type LoginInput = components['schemas']['StartSessionDto'];

export async function startSession(input: LoginInput): Promise<Me> {
  return unwrap(api.POST('/api/v1/auth/session', { body: input }));
}

export function useLogout(): () => Promise<void> {
  const qc = useQueryClient();
  return async () => {
    await unwrap(api.DELETE('/api/v1/auth/session')).catch(() => undefined);
    qc.clear();
    qc.setQueryData(ME_KEY, null);
  };
}
