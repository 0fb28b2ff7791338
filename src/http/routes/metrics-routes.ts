import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { MailroomError } from '../../errors.ts';

type HealthContext = Pick<AppContext, 'health' | 'metrics' | 'runtime'>;

/**
 * GET /healthz and GET /metrics: on the API's port for `serve`, and on MAILROOM_METRICS_PORT for
 * a `mailroom worker`. /healthz stays open (load balancers ask it without credentials); /metrics
 * asks for MAILROOM_METRICS_TOKEN when one is set.
 */
export function metricsRoutes(app: FastifyInstance, ctx: HealthContext): void {
  const expected = ctx.runtime.metricsToken === undefined ? undefined : digest(ctx.runtime.metricsToken);
  const requireToken = async (request: FastifyRequest): Promise<void> => {
    if (expected === undefined) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    // Hashes of equal length, so that the comparison takes the same time whatever was sent.
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      throw new MailroomError('unauthorized', 'GET /metrics needs the header "Authorization: Bearer" with the token of MAILROOM_METRICS_TOKEN');
    }
  };

  app.get('/healthz', async () => ({ status: 'ok', ...(await ctx.health()) }));
  app.get('/metrics', { preHandler: requireToken }, async (_request, reply) => reply.type('text/plain; version=0.0.4').send(await ctx.metrics()));
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
