import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { parseMessageInputs } from '../../outbox/message-input.ts';
import { OUTBOX_STATES } from '../../domain/outbox.ts';
import { batchItems, parseInput } from '../parse-input.ts';
import { createGuards } from '../guards.ts';

const listQuery = z.object({
  status: z.enum(OUTBOX_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().min(1).optional(),
});
const idParams = z.object({ id: z.coerce.number().int().min(1) });
const capturedQuery = listQuery.omit({ status: true });


/** Host applications send their own mails through the outbox; admins look into it and into the captured mails. */
export function outboxRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin, service } = createGuards(ctx);

  app.post('/api/v1/messages', { preHandler: service, bodyLimit: 12 * 1024 * 1024 }, async (request, reply) => {
    const results = await ctx.outbox.send(parseMessageInputs(batchItems(request.body, 'messages')));
    return reply.status(202).send({ ids: results.map((r) => r.id), duplicates: results.filter((r) => r.duplicate).map((r) => r.id) });
  });

  app.get('/api/v1/outbox', { preHandler: admin }, async (request) => {
    const query = parseInput(listQuery, request.query);
    return { counts: await ctx.outbox.counts(), mails: await ctx.outbox.list({ state: query.status, limit: query.limit ?? 100, beforeId: query.before }) };
  });

  /** Mails requests owe that no worker has rendered yet, and those that could not be rendered (with their codes). */
  app.get('/api/v1/outbox/owed', { preHandler: admin }, async () => ctx.outbox.owed());
  /** Every owed mail that failed to render, rendered again (after its template was fixed). */
  app.post('/api/v1/outbox/owed/retry', { preHandler: admin }, async (_request, reply) => reply.status(202).send({ requeued: await ctx.outbox.retryOwed() }));

  app.get('/api/v1/outbox/:id', { preHandler: admin }, async (request) => ctx.outbox.show(parseInput(idParams, request.params).id));

  app.post('/api/v1/outbox/:id/retry', { preHandler: admin }, async (request, reply) => {
    await ctx.outbox.retry(parseInput(idParams, request.params).id);
    return reply.status(202).send({ ok: true });
  });

  app.post('/api/v1/outbox/:id/cancel', { preHandler: admin }, async (request) => {
    const { id } = parseInput(idParams, request.params);
    const result = await ctx.outbox.cancel(id);
    request.log.info({ event: 'outbox_cancelled', id }, `mail #${id} cancelled`);
    return result;
  });

  /** Every failed mail queued again, as after fixing a server that refused them all. */
  app.post('/api/v1/outbox/retry-failed', { preHandler: admin }, async (_request, reply) => reply.status(202).send({ requeued: await ctx.outbox.retryAllFailed() }));

  // The inbox of mode `capture`: what would have been sent.
  app.get('/api/v1/captured', { preHandler: admin }, async (request) => {
    const query = parseInput(capturedQuery, request.query);
    return { mails: await ctx.captured.list({ limit: query.limit, beforeId: query.before }) };
  });
  app.get('/api/v1/captured/:id', { preHandler: admin }, async (request) => ctx.captured.show(parseInput(idParams, request.params).id));
}
