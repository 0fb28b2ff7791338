import type { FastifyReply, FastifyRequest } from 'fastify';
import { MailroomError } from '../errors.ts';
import type { TokenService } from '../users/token-service.ts';

/** The name of the token each request was let in with (set by requireAdmin). */
const tokenNames = new WeakMap<FastifyRequest, string>();

/** Who made an admin request, for records such as template versions: its token's name. */
export function adminName(request: FastifyRequest): string {
  return tokenNames.get(request) ?? 'api';
}

/** Admin API access: `Authorization: Bearer TOKEN` with a token from `mailroom token:create`. */
export function requireAdmin(tokens: TokenService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new MailroomError('unauthorized', 'Sign in, or send Authorization: Bearer TOKEN (mailroom token:create NAME makes one)');
    const token = await tokens.verify(match[1] as string);
    if (!token) throw new MailroomError('unauthorized', 'The token is not valid or was revoked');
    if (token.scope !== 'admin') throw new MailroomError('forbidden', 'This token may not change the settings');
    tokenNames.set(request, token.name);
  };
}
