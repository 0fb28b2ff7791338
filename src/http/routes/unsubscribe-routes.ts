import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { isMailroomError } from '../../errors.ts';
import { typeLabel } from '../../notifications/activity-text.ts';
import type { EventType } from '../../domain/event-types.ts';
import { LANGUAGES, resolveLanguage, type Language } from '../../domain/languages.ts';
import { translate } from '../../templates/catalogs.ts';
import { parseInput } from '../parse-input.ts';

const tokenParams = z.object({ token: z.string().min(1).max(300) });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's words in a language: the mail catalogs' unsubscribe.* (src/templates/catalogs/). */
function wordsOf(language: Language) {
  return {
    title: escapeHtml(translate(language, 'unsubscribe.title')),
    question: (what: string) => escapeHtml(translate(language, 'unsubscribe.question', { what })),
    button: escapeHtml(translate(language, 'unsubscribe.button')),
    done: (what: string) => escapeHtml(translate(language, 'unsubscribe.done', { what })),
    invalid: escapeHtml(translate(language, 'unsubscribe.invalid')),
    all: escapeHtml(translate(language, 'unsubscribe.all')),
  };
}

function page(language: Language, body: string): string {
  return `<!doctype html>
<html lang="${language}" dir="${LANGUAGES[language].direction}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${wordsOf(language).title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d2733}button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:4px;background:#0b62c4;color:#fff;cursor:pointer}button:focus{outline:3px solid #ffbf47}a{color:#0b62c4}</style>
</head><body><main>${body}</main></body></html>`;
}

/**
 * One-click unsubscribe (RFC 8058). GET only shows what the link is for and a button: link
 * scanners and previews fetch links, and must not unsubscribe anyone. POST, from that button or
 * from the mail program (List-Unsubscribe-Post), turns the types off at once.
 */
export function unsubscribeRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Mail programs post `List-Unsubscribe=One-Click` as a form; its content does not matter.
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => done(null, body));

  // The language of the link's holder (as their mails), else the instance's default.
  const language = async (uid: string | undefined): Promise<Language> => {
    const account = uid ? await ctx.users.get(uid).catch(() => undefined) : undefined;
    return resolveLanguage(account?.language, (await ctx.settings.get()).mail_default_language);
  };
  const describe = (types: EventType[], lang: Language) => new Intl.ListFormat(lang, { type: 'conjunction' }).format(types.map((t) => typeLabel(t, lang)));
  const settingsLink = async () => `${(await ctx.settings.get()).base_url.replace(/\/+$/, '')}/personal#notifications`;
  const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

  const html = (reply: FastifyReply, lang: Language, body: string, status = 200) =>
    reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page(lang, `<h1>${wordsOf(lang).title}</h1>${body}`));
  const allSettings = async (lang: Language) => `<p><a href="${escapeHtml(await settingsLink())}">${wordsOf(lang).all}</a></p>`;
  /** A token that is not valid (tampered, cut short): said in the instance's language, since it names no one. */
  const invalid = async (reply: FastifyReply, withSettings: boolean) => {
    const lang = await language(undefined);
    return html(reply, lang, `<p>${wordsOf(lang).invalid}</p>${withSettings ? await allSettings(lang) : ''}`, 400);
  };

  const show = async (request: FastifyRequest, reply: FastifyReply) => {
    const { token } = parseInput(tokenParams, request.params);
    try {
      const { uid, types } = ctx.preferences.describeUnsubscribe(token);
      const lang = await language(uid);
      const w = wordsOf(lang);
      return html(
        reply,
        lang,
        `<p>${w.question(describe(types, lang))}</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${w.button}</button></form>
${await allSettings(lang)}`,
      );
    } catch (error) {
      if (!isMailroomError(error)) throw error;
      return invalid(reply, true);
    }
  };

  const unsubscribe = async (request: FastifyRequest, reply: FastifyReply) => {
    const { token } = parseInput(tokenParams, request.params);
    if (!wantsHtml(request)) {
      const { types } = await ctx.preferences.unsubscribe(token);
      return { ok: true, types };
    }
    try {
      const { uid, types } = await ctx.preferences.unsubscribe(token);
      const lang = await language(uid);
      return html(reply, lang, `<p role="status">${wordsOf(lang).done(describe(types, lang))}</p>${await allSettings(lang)}`);
    } catch (error) {
      if (!isMailroomError(error)) throw error;
      return invalid(reply, false);
    }
  };

  for (const prefix of ['', '/api/v1']) {
    app.get(`${prefix}/unsubscribe/:token`, show);
    app.post(`${prefix}/unsubscribe/:token`, unsubscribe);
  }
}
