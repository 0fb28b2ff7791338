import type { FastifyInstance, FastifyReply } from 'fastify';
import { MailroomError } from '../../errors.ts';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { parseMessageInputs } from '../../outbox/message-input.ts';
import { OUTBOX_STATES } from '../../domain/outbox.ts';
import { batchItems, parseInput } from '../parse-input.ts';
import { createGuards } from '../guards.ts';

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().min(1).optional(),
});
const listQuery = pageQuery.extend({
  status: z.enum(OUTBOX_STATES).optional(),
  /** A part of a recipient's address or of the subject. */
  search: z.string().max(200).optional(),
});
const idParams = z.object({ id: z.coerce.number().int().min(1) });
const keyParams = z.object({ key: z.string().min(1).max(200) });
const capturedQuery = pageQuery;
/** How many mails one "Retry selected" or "Cancel selected" may name. */
export const MAX_SELECTED = 1000;
const idsBody = z.object({ ids: z.array(z.number().int().min(1)).min(1, 'name at least one mail') });

function selectedIds(body: unknown): number[] {
  const { ids } = parseInput(idsBody, body);
  if (ids.length > MAX_SELECTED) throw new MailroomError('batch_too_large', `ids: ${ids.length} mails named; at most ${MAX_SELECTED} a request`, { details: { limit: MAX_SELECTED } });
  return ids;
}

/** A message file download; `inline` would let a browser render mail HTML on Mailroom's origin. */
function sendEml(reply: FastifyReply, file: { fileName: string; bytes: Buffer }) {
  return reply.header('content-type', 'message/rfc822').header('content-disposition', `attachment; filename="${file.fileName}"`).header('x-content-type-options', 'nosniff').send(file.bytes);
}

/** Host applications send their own mails through the outbox; admins look into it and into the captured mails. */
export function outboxRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin, service } = createGuards(ctx);

  app.post('/api/v1/messages', { preHandler: service, bodyLimit: 12 * 1024 * 1024 }, async (request, reply) => {
    const results = await ctx.outbox.send(parseMessageInputs(batchItems(request.body, 'messages')));
    return reply.status(202).send({ ids: results.map((r) => r.id), duplicates: results.filter((r) => r.duplicate).map((r) => r.id) });
  });

  app.get('/api/v1/outbox', { preHandler: admin }, async (request) => {
    const query = parseInput(listQuery, request.query);
    const page = await ctx.outbox.page({ state: query.status, limit: query.limit ?? 100, beforeId: query.before, search: query.search });
    return { counts: await ctx.outbox.counts(), mails: page.mails, next: page.next };
  });

  /** Several mails queued again (failed or cancelled ones), each answered on its own. */
  app.post('/api/v1/outbox/retry', { preHandler: admin }, async (request) => {
    const results = await ctx.outbox.retryMany(selectedIds(request.body));
    request.log.info({ event: 'outbox_retried', ids: results.filter((r) => r.ok).map((r) => r.id) }, 'mails retried');
    return { results };
  });
  /** Several mails cancelled (queued or failed ones), each answered on its own. */
  app.post('/api/v1/outbox/cancel', { preHandler: admin }, async (request) => {
    const results = await ctx.outbox.cancelMany(selectedIds(request.body));
    request.log.info({ event: 'outbox_cancelled', ids: results.filter((r) => r.ok).map((r) => r.id) }, 'mails cancelled');
    return { results };
  });

  /** Mails requests owe that no worker has rendered yet, and those that could not be rendered (with their codes). */
  app.get('/api/v1/outbox/owed', { preHandler: admin }, async () => ctx.outbox.owed());
  /**
   * The mail a request owed under a key (`mail_key` of an invitation): not rendered yet, failed
   * to render, or queued with its outbox id, so a page can open it once it exists.
   */
  app.get('/api/v1/outbox/owed/:key', { preHandler: admin }, async (request) => ctx.outbox.owedByKey(parseInput(keyParams, request.params).key));
  /** Every owed mail that failed to render, rendered again (after its template was fixed). */
  app.post('/api/v1/outbox/owed/retry', { preHandler: admin }, async (_request, reply) => reply.status(202).send({ requeued: await ctx.outbox.retryOwed() }));

  app.get('/api/v1/outbox/:id', { preHandler: admin }, async (request) => {
    const { id } = parseInput(idParams, request.params);
    // Bounces come after the send, beside the mail: what each report said, per recipient.
    const [mail, bounces] = await Promise.all([ctx.outbox.show(id), ctx.bounces.forMail(id)]);
    return { ...mail, bounces };
  });

  app.get('/api/v1/outbox/:id/eml', { preHandler: admin }, async (request, reply) => sendEml(reply, await ctx.outbox.eml(parseInput(idParams, request.params).id)));

  /** A queued mail due now (one waiting for its next attempt), and the workers woken for it. */
  app.post('/api/v1/outbox/:id/send-now', { preHandler: admin }, async (request, reply) => {
    await ctx.outbox.sendNow(parseInput(idParams, request.params).id);
    return reply.status(202).send({ ok: true });
  });

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
  // The test mails, which go to the server at once instead of through the outbox.
  app.get('/api/v1/test-mails', { preHandler: admin }, async (request) => {
    const query = parseInput(pageQuery, request.query);
    return { mails: await ctx.mailTest.recent({ limit: query.limit, beforeId: query.before }) };
  });
  app.get('/api/v1/captured/:id/eml', { preHandler: admin }, async (request, reply) => sendEml(reply, await ctx.captured.eml(parseInput(idParams, request.params).id)));
}
