import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { MailroomError } from '../errors.ts';
import type { Principal } from '../users/auth-service.ts';

export const SESSION_COOKIE = 'mailroom_session';

/** Who each request acts for (set by the guards below). */
const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal a guard let in; only valid in a handler behind a guard. */
export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request);
  if (!p) throw new MailroomError('unauthorized', 'Sign in first');
  return p;
}

/** Who made an admin request, for records such as template versions: its token's name or the admin's uid. */
export function adminName(request: FastifyRequest): string {
  return principals.get(request)?.name ?? 'api';
}

/** One cookie's value from the Cookie header (fastify's cookie plugin needs a newer Node than ours). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A value that is not valid percent-encoding is no cookie of ours: 401, not a 500.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Compares in constant time, so response timing tells nothing about how much of a guess was right. */
function sameToken(given: string | string[] | undefined, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match ? await ctx.auth.fromBearer(match[1] as string) : undefined;
    if (!principal) throw new MailroomError('unauthorized', 'The token is not valid or was revoked');
    return principal;
  }
  const sessionId = readCookie(request, SESSION_COOKIE);
  const principal = sessionId ? await ctx.auth.fromSession(sessionId) : undefined;
  if (!principal) throw new MailroomError('unauthorized', 'Sign in, or send Authorization: Bearer TOKEN (mailroom token:create NAME makes one)');
  // A cookie rides along with any request the browser makes, also one another site triggers:
  // a change must also carry the token only Mailroom's own pages can read.
  if (!SAFE_METHODS.has(request.method) && !sameToken(request.headers['x-csrf-token'], principal.csrfToken)) {
    throw new MailroomError('csrf_token_invalid', "This change came without the page's CSRF token (X-CSRF-Token); reload the page and try again");
  }
  return principal;
}

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** preHandlers for the routes: who may call what. */
export function createGuards(ctx: AppContext): { admin: Guard; service: Guard; user: Guard; anyCaller: Guard } {
  const guard =
    (check: (p: Principal) => string | undefined): Guard =>
    async (request) => {
      const principal = await authenticate(ctx, request);
      const refusal = check(principal);
      if (refusal) throw new MailroomError('forbidden', refusal);
      principals.set(request, principal);
    };
  return {
    admin: guard((p) => (p.admin ? undefined : 'Only an admin may do this')),
    service: guard((p) => (p.service ? undefined : 'Only a service token (mailroom token:create NAME --scope service) or an admin may do this')),
    user: guard((p) => (p.uid !== null ? undefined : 'This token acts for no user; sign in, or use an app password (mailroom token:create NAME --user UID)')),
    /** Any valid token or session: for what is no one's own and no secret (the list of time zones). */
    anyCaller: guard(() => undefined),
  };
}

/**
 * GET /metrics: open without MAILROOM_METRICS_TOKEN, else only to `Authorization: Bearer <token>`.
 * A token of its own rather than an API token, so that a scraper's credential opens nothing else.
 */
export function metricsGuard(token: string | undefined): Guard {
  return async (request) => {
    if (token === undefined) return;
    const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!sameToken(given, token)) throw new MailroomError('unauthorized', 'GET /metrics needs the header "Authorization: Bearer" with the token of MAILROOM_METRICS_TOKEN');
  };
}
