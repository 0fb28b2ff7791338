import type { User } from '../domain/user.ts';
import type { SessionService } from './session-service.ts';
import type { TokenService } from './token-service.ts';

/** Who a request acts for. */
export interface Principal {
  /** For records such as template versions: the token's name or the user's uid. */
  readonly name: string;
  /** The user acted for (a session or an app password); null for admin and service tokens. */
  readonly uid: string | null;
  readonly admin: boolean;
  /** May post events and messages (service and admin tokens, and admins). */
  readonly service: boolean;
  readonly via: 'token' | 'session';
  /** Sessions only: the token every change must carry (X-CSRF-Token). */
  readonly csrfToken?: string;
  /** Sessions only: which session, so a password change can keep it and end the others. */
  readonly sessionHash?: string;
}

/** Resolves bearer tokens (admin, service, a user's app password) and session cookies. */
export function createAuthService(deps: { tokens: TokenService; sessions: SessionService; findUser(uid: string): Promise<User | undefined> }) {
  const activeUser = async (uid: string) => {
    const user = await deps.findUser(uid);
    return user && !user.disabled ? user : undefined;
  };
  return {
    async fromBearer(token: string): Promise<Principal | undefined> {
      const found = await deps.tokens.verify(token);
      if (!found) return undefined;
      if (found.scope === 'user') {
        const user = found.uid ? await activeUser(found.uid) : undefined;
        if (!user) return undefined;
        return { name: user.uid, uid: user.uid, admin: user.admin, service: user.admin, via: 'token' };
      }
      return { name: found.name, uid: null, admin: found.scope === 'admin', service: true, via: 'token' };
    },
    async fromSession(sessionId: string): Promise<Principal | undefined> {
      const session = await deps.sessions.resolve(sessionId);
      if (!session) return undefined;
      const user = await activeUser(session.uid);
      if (!user) return undefined;
      return { name: user.uid, uid: user.uid, admin: user.admin, service: user.admin, via: 'session', csrfToken: session.csrfToken, sessionHash: session.idHash };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
