import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { parseInput } from '../parse-input.ts';
import { adminName, createGuards } from '../guards.ts';
import { versionJson } from '../../templates/template-service.ts';

const templateParams = z.object({ name: z.string().min(1).max(40), lang: z.string().min(1).max(10) });
// A version id is a positive integer; anything else is a malformed request, not an unknown version.
const versionParams = templateParams.extend({
  id: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a version id (a positive whole number)')
    .transform(Number),
});
const putBody = z.object({ subject: z.string(), html: z.string(), text: z.string().optional() }).strict();
const previewBody = z.object({ subject: z.string().optional(), html: z.string().optional(), text: z.string().optional(), format: z.enum(['html', 'text']).optional() }).strict();

const testBody = z.object({ to: z.string().max(320).optional() }).strict();

/** The editable mail templates: list, read, save (validated, versioned), reset, preview, versions. */
export function templateRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { admin } = createGuards(ctx);

  app.get('/api/v1/templates', { preHandler: admin }, async () => ({ templates: await ctx.templates.list() }));

  app.get('/api/v1/templates/:name/:lang', { preHandler: admin }, async (request) => {
    const { name, lang } = parseInput(templateParams, request.params);
    return ctx.templates.get(name, lang);
  });

  app.put('/api/v1/templates/:name/:lang', { preHandler: admin }, async (request) => {
    const { name, lang } = parseInput(templateParams, request.params);
    const body = parseInput(putBody, request.body);
    return ctx.templates.set(name, lang, { subject: body.subject, html: body.html, text: body.text ?? '' }, adminName(request));
  });

  app.delete('/api/v1/templates/:name/:lang', { preHandler: admin }, async (request) => {
    const { name, lang } = parseInput(templateParams, request.params);
    return ctx.templates.reset(name, lang, adminName(request));
  });

  app.get('/api/v1/templates/:name/:lang/versions/:id', { preHandler: admin }, async (request) => {
    const { name, lang, id } = parseInput(versionParams, request.params);
    return { version: versionJson(await ctx.templates.version(name, lang, id)) };
  });

  app.post('/api/v1/templates/:name/:lang/versions/:id/restore', { preHandler: admin }, async (request) => {
    const { name, lang, id } = parseInput(versionParams, request.params);
    return ctx.templates.restore(name, lang, id, adminName(request));
  });

  app.post('/api/v1/templates/:name/:lang/preview', { preHandler: admin }, async (request) => {
    const { name, lang } = parseInput(templateParams, request.params);
    const { format, ...parts } = parseInput(previewBody, request.body);
    return ctx.templates.preview(name, lang, { format, parts });
  });

  app.post('/api/v1/templates/:name/:lang/test', { preHandler: admin }, async (request) => {
    const { name, lang } = parseInput(templateParams, request.params);
    const { to } = parseInput(testBody, request.body);
    return ctx.mailTest.sendTemplateTest(name, { to, language: lang });
  });
}
