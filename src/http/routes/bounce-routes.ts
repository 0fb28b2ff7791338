import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { BouncesAnswer } from '../../domain/api-types.ts';
import { parseInput } from '../parse-input.ts';
import { createGuards } from '../guards.ts';

const addressParams = z.object({ address: z.string().min(1).max(320) });

/** The bounce scores of addresses and the instance's reputation warning, for the admin. */
export function bounceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin } = createGuards(ctx);

  app.get('/api/v1/bounces', { preHandler: admin }, async (): Promise<BouncesAnswer> => {
    const [addresses, reputation, settings] = await Promise.all([ctx.bounces.list(), ctx.bounces.reputationWarning(), ctx.settings.get()]);
    return { threshold: settings.mail_bounce_threshold, addresses, reputation: reputation ?? null };
  });

  /** Forgets an address's bounce score: its notifications go out again. */
  app.delete('/api/v1/bounces/:address', { preHandler: admin }, async (request) => ctx.bounces.clear(parseInput(addressParams, request.params).address));
}
