import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LANGUAGE_CODES, LANGUAGES, resolveLanguage } from '../../domain/languages.ts';
import type { AppContext } from '../../context.ts';
import { timeZoneNames } from '../../domain/time-zone.ts';
import { preferencesPatchSchema } from '../../domain/preferences.ts';
import { languageInput, newUserSchema, ownChangesSchema, userChangesSchema } from '../../users/user-service.ts';
import { createGuards, principalOf } from '../guards.ts';
import { parseInput } from '../parse-input.ts';
import { requestClient } from '../request-client.ts';

const uidParams = z.object({ uid: z.string().min(1).max(64) });
const listQuery = z.object({ search: z.string().max(200).optional() }).strict();
const streamQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).optional(), before: z.coerce.number().int().min(1).optional() });

/** The directory (admins), one's own account, and notification preferences. */
export function userRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin, user, anyCaller } = createGuards(ctx);
  const self = (request: Parameters<typeof principalOf>[0]) => principalOf(request).uid as string;

  app.get('/api/v1/users', { preHandler: admin }, async (request) => ({ users: await ctx.users.list(parseInput(listQuery, request.query)) }));
  app.post('/api/v1/users', { preHandler: admin }, async (request, reply) => {
    const created = await ctx.users.add(parseInput(newUserSchema, request.body));
    return reply.status(201).send({ user: created });
  });
  app.get('/api/v1/users/:uid', { preHandler: admin }, async (request) => ({ user: await ctx.users.get(parseInput(uidParams, request.params).uid) }));
  app.patch('/api/v1/users/:uid', { preHandler: admin }, async (request) => ({
    user: await ctx.users.modify(parseInput(uidParams, request.params).uid, parseInput(userChangesSchema, request.body), requestClient(request)),
  }));
  /** "Resend invitation": a new welcome mail; the link of every earlier one stops working. */
  app.post('/api/v1/users/:uid/invitation', { preHandler: admin }, async (request, reply) => {
    const invitation = await ctx.accountMails.invite(parseInput(uidParams, request.params).uid);
    return reply.status(202).send({ invitation });
  });
  /** "Send password reset": the mail of "Forgot password?", its link voiding the one before. */
  app.post('/api/v1/users/:uid/password-reset', { preHandler: admin }, async (request, reply) => {
    const passwordReset = await ctx.passwordReset.sendByAdmin(parseInput(uidParams, request.params).uid);
    return reply.status(202).send({ password_reset: passwordReset });
  });
  app.delete('/api/v1/users/:uid', { preHandler: admin }, async (request, reply) => {
    await ctx.users.delete(parseInput(uidParams, request.params).uid);
    return reply.status(204).send();
  });

  // pending_email: a new address waiting for the user to follow the link mailed to it.
  // email_bounces: mail to the address bounces past the threshold, so notifications stop (the page's banner).
  const emailBounces = async (email: string | null) => email !== null && (await ctx.bounces.suppressed([email])).size > 0;
  app.get('/api/v1/me', { preHandler: user }, async (request) => {
    const account = await ctx.users.get(self(request));
    return { user: account, pending_email: await ctx.accountMails.pendingEmail(self(request)), email_bounces: await emailBounces(account.email) };
  });
  app.patch('/api/v1/me', { preHandler: user }, async (request) => {
    const account = await ctx.users.modifyOwn(self(request), parseInput(ownChangesSchema, request.body), principalOf(request).sessionHash, requestClient(request));
    return { user: account, pending_email: await ctx.accountMails.pendingEmail(self(request)), email_bounces: await emailBounces(account.email) };
  });
  /** The time zones by their current IANA names (Asia/Kolkata, not Asia/Calcutta), for the lists of the pages. */
  app.get('/api/v1/time-zones', { preHandler: anyCaller }, async () => ({ time_zones: timeZoneNames() }));
  /** The languages Mailroom writes mails in, each in its own name, for the pages' language lists. */
  app.get('/api/v1/languages', { preHandler: anyCaller }, async () => ({
    languages: LANGUAGE_CODES.map((code) => ({ code, name: LANGUAGES[code].name, direction: LANGUAGES[code].direction })),
  }));
  app.get('/api/v1/me/activities', { preHandler: user }, async (request) => {
    const query = parseInput(streamQuery, request.query);
    const account = await ctx.users.get(self(request));
    const language = resolveLanguage(account.language, (await ctx.settings.get()).mail_default_language);
    return { activities: await ctx.preferences.stream(account.uid, { limit: query.limit ?? 50, beforeId: query.before, language }) };
  });

  // Preferences: frequency, own actions and email/stream per type; the time zone and language
  // live on the account (GET|PATCH /me) and are shown here too, since they decide when and how.
  const withAccount = async (uid: string, prefs: Awaited<ReturnType<AppContext['preferences']['get']>>) => {
    const account = await ctx.users.get(uid);
    return { preferences: { ...prefs, timezone: account.timezone, language: account.language } };
  };
  app.get('/api/v1/me/preferences', { preHandler: user }, async (request) => withAccount(self(request), await ctx.preferences.get(self(request))));
  app.patch('/api/v1/me/preferences', { preHandler: user }, async (request) => {
    const uid = self(request);
    const { timezone, language, ...rest } = parseInput(preferencesPatchSchema.extend({ timezone: z.string().max(64).optional(), language: languageInput.optional() }).strict(), request.body);
    if (timezone !== undefined || language !== undefined) await ctx.users.modify(uid, { ...(timezone !== undefined ? { timezone } : {}), ...(language !== undefined ? { language } : {}) });
    return withAccount(uid, await ctx.preferences.update(uid, rest));
  });
  app.get('/api/v1/users/:uid/preferences', { preHandler: admin }, async (request) => {
    const { uid } = parseInput(uidParams, request.params);
    return withAccount(uid, await ctx.preferences.get(uid));
  });
  app.patch('/api/v1/users/:uid/preferences', { preHandler: admin }, async (request) => {
    const { uid } = parseInput(uidParams, request.params);
    return withAccount(uid, await ctx.preferences.update(uid, parseInput(preferencesPatchSchema, request.body)));
  });
  app.get('/api/v1/preferences/defaults', { preHandler: admin }, async () => ({ preferences: await ctx.preferences.getDefaults() }));
  app.patch('/api/v1/preferences/defaults', { preHandler: admin }, async (request) => ({
    preferences: await ctx.preferences.updateDefaults(parseInput(preferencesPatchSchema, request.body)),
  }));
}
