import type { FastifyRequest } from 'fastify';
import type { ChangeClient } from '../domain/user-agent.ts';

/**
 * Who made a request, for the account mails that tell of a change: the address fastify computed
 * (the peer, or the client named by a proxy that trust_proxy trusts) and the User-Agent header.
 */
export function requestClient(request: FastifyRequest): ChangeClient {
  const agent = request.headers['user-agent'];
  return { address: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 1000) : undefined };
}
