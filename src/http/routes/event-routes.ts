import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { parseEventInputs } from '../../notifications/event-input.ts';
import { shareNotifySchema } from '../../notifications/share-input.ts';
import { batchItems, parseInput } from '../parse-input.ts';
import { createGuards } from '../guards.ts';

/** Host clouds report what happened; Mailroom answers once it is committed. */
export function eventRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { service } = createGuards(ctx);
  app.post('/api/v1/events', { preHandler: service }, async (request, reply) => {
    const result = await ctx.events.ingest(parseEventInputs(batchItems(request.body, 'events')));
    return reply.status(202).send({
      ids: result.events.map((e) => e.id),
      duplicates: result.events.filter((e) => e.duplicate).map((e) => e.id),
      activities: result.activities,
      mails: result.mails,
    });
  });

  app.post('/api/v1/shares/notify', { preHandler: service }, async (request) => ctx.shares.notify(parseInput(shareNotifySchema, request.body)));
}
