import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { MailroomError } from '../../errors.ts';
import { SESSION_IDLE_MS } from '../../users/session-service.ts';
import { createGuards, principalOf, readCookie, SESSION_COOKIE } from '../guards.ts';
import { requestClient } from '../request-client.ts';
import { parseInput } from '../parse-input.ts';

const loginBody = z.object({ user: z.string().min(1).max(320), password: z.string().min(1).max(1024) }).strict();
const resetBody = z.object({ user: z.string().min(1).max(320) }).strict();
const confirmBody = z.object({ token: z.string().min(1).max(200), password: z.string().max(1024) }).strict();
const tokenParams = z.object({ token: z.string().min(1).max(200) });
const tokenBody = z.object({ token: z.string().min(1).max(200) }).strict();

async function sessionCookie(ctx: AppContext, value: string, maxAgeSeconds: number): Promise<string> {
  const secure = (await ctx.settings.get()).base_url.startsWith('https://');
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/**
 * The token pages ask whom their link is for before showing a form. A limit per client address
 * comes first, so that these answers cannot be used to try tokens at speed.
 */
async function checkLimited<T>(ctx: AppContext, client: string, check: () => Promise<T>): Promise<T> {
  const grant = await ctx.linkCheckLimit.take(client);
  if (!grant.granted) {
    const wait = grant.retryAfterSeconds;
    throw new MailroomError('rate_limited', `Too many links checked from this address; try again in ${wait} seconds`, { details: { retry_after: wait } });
  }
  return check();
}

/** Sign-in, sign-out, and what the links in mails lead to: reset, invitation, address change (no session needed). */
export function authRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { user } = createGuards(ctx);

  app.post('/api/v1/login', async (request, reply) => {
    const body = parseInput(loginBody, request.body);
    const session = await ctx.sessions.login({ login: body.user, password: body.password, client: request.ip });
    void reply.header('set-cookie', await sessionCookie(ctx, session.sessionId, Math.floor(SESSION_IDLE_MS / 1000)));
    return { user: await ctx.users.get(session.uid), csrf_token: session.csrfToken };
  });

  app.post('/api/v1/logout', { preHandler: user }, async (request, reply) => {
    const id = readCookie(request, SESSION_COOKIE);
    if (id) await ctx.sessions.logout(id);
    void reply.header('set-cookie', await sessionCookie(ctx, '', 0));
    return reply.status(204).send();
  });

  /** The signed-in user and the CSRF token, for a page that was reloaded. */
  app.get('/api/v1/session', { preHandler: user }, async (request) => {
    const p = principalOf(request);
    return { user: await ctx.users.get(p.uid as string), csrf_token: p.csrfToken ?? null };
  });

  app.post('/api/v1/password-reset', async (request, reply) => {
    const body = parseInput(resetBody, request.body);
    await ctx.passwordReset.request({ login: body.user, client: request.ip });
    // The same answer whether or not the account exists.
    return reply.status(202).send({ ok: true, message: 'If the account exists and has an email address, a link to reset the password is on its way.' });
  });

  /** Whom a reset link is for (name, masked address, language); one answer for every link that does not work. */
  app.get('/api/v1/password-reset/:token', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return { reset: await checkLimited(ctx, request.ip, () => ctx.passwordReset.check(token)) };
  });

  app.post('/api/v1/password-reset/confirm', async (request) => {
    const body = parseInput(confirmBody, request.body);
    const { uid } = await ctx.passwordReset.confirm(body, requestClient(request));
    return { ok: true, user: uid };
  });

  /** The set-password page of a welcome mail asks who the link is for (and whether it still works). */
  app.get('/api/v1/invitations/:token', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return { invitation: await checkLimited(ctx, request.ip, () => ctx.accountMails.checkInvitation(token)) };
  });
  app.post('/api/v1/invitations/accept', async (request) => {
    const { uid } = await ctx.accountMails.acceptInvitation(parseInput(confirmBody, request.body), requestClient(request));
    return { ok: true, user: uid };
  });

  /** Whom a confirmation or undo link is for, before its page shows the button. */
  app.get('/api/v1/email-change/confirm/:token', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return { email_change: await checkLimited(ctx, request.ip, () => ctx.accountMails.checkEmailLink(token, 'email_change')) };
  });
  app.get('/api/v1/email-change/undo/:token', async (request) => {
    const { token } = parseInput(tokenParams, request.params);
    return { email_change: await checkLimited(ctx, request.ip, () => ctx.accountMails.checkEmailLink(token, 'email_undo')) };
  });

  /** The link mailed to a new address: the address takes effect (whoever opens it; the token is the proof). */
  app.post('/api/v1/email-change/confirm', async (request) => {
    const { uid, email } = await ctx.accountMails.confirmEmailChange(parseInput(tokenBody, request.body).token, requestClient(request));
    return { ok: true, user: uid, email };
  });
  /** The link mailed to the old address: puts it back and signs the account out everywhere. */
  app.post('/api/v1/email-change/undo', async (request) => {
    const { uid, email } = await ctx.accountMails.undoEmailChange(parseInput(tokenBody, request.body).token);
    return { ok: true, user: uid, email };
  });
}
