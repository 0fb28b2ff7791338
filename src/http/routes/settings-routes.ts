import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LANGUAGE_CODES } from '../../domain/languages.ts';
import type { AppContext } from '../../context.ts';
import { parseInput } from '../parse-input.ts';
import { createGuards } from '../guards.ts';

const patchBody = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const testBody = z.object({ to: z.string().max(320).optional(), debug: z.boolean().optional(), language: z.enum(LANGUAGE_CODES).optional() }).strict();
const detectBody = z.object({ host: z.string().min(1).max(300) }).strict();

/** The admin's "Email server" settings: every PATCH saves at once, as the wizard expects. */
export function settingsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin } = createGuards(ctx);

  app.get('/api/v1/settings/mail', { preHandler: admin }, async () => ({ settings: await ctx.settingFiles.describe() }));

  app.patch('/api/v1/settings/mail', { preHandler: admin }, async (request) => {
    const body = parseInput(patchBody, request.body);
    // null unsets a key; sets and unsets are checked together and saved in one transaction.
    await ctx.settings.update(body);
    // A path is saved even when the file is not usable yet (the host's admin may put it there
    // next); the answer says so at once, for the page to flag under the field.
    return { settings: await ctx.settingFiles.describe() };
  });

  app.post('/api/v1/settings/mail/test', { preHandler: admin }, async (request) => {
    const body = parseInput(testBody, request.body);
    return ctx.mailTest.sendTestMail(body);
  });

  app.post('/api/v1/settings/mail/detect', { preHandler: admin }, async (request) => {
    const body = parseInput(detectBody, request.body);
    return ctx.detect.detect(body.host);
  });
}
