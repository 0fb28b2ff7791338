import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { metricsGuard } from '../guards.ts';

/**
 * GET /healthz and GET /metrics: on the API's port for `serve`, and on MAILROOM_METRICS_PORT for
 * a `mailroom worker`. /healthz stays open (load balancers ask it without credentials); /metrics
 * asks for MAILROOM_METRICS_TOKEN when one is set.
 */
export function metricsRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'health' | 'metrics' | 'runtime'>): void {
  app.get('/healthz', async () => ({ status: 'ok', ...(await ctx.health()) }));
  app.get('/metrics', { preHandler: metricsGuard(ctx.runtime.metricsToken) }, async (_request, reply) => reply.type('text/plain; version=0.0.4').send(await ctx.metrics()));
}
