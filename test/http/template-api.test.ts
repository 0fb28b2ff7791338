import { TEMPLATE_LANGUAGES, TEMPLATE_NAMES } from '../../src/templates/template-catalog.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { templates as enDefaults } from '../../src/templates/defaults/en.ts';
import { templates as zhDefaults } from '../../src/templates/defaults/zh-CN.ts';
import type { TemplateDetail, TemplatePreview, TemplateSummary } from '../../src/templates/template-service.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';
import { injectRequest } from '../support/inject.ts';

interface Reply {
  status: number;
  text: string;
}

type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function apiError(reply: Reply): ApiErrorBody['error'] {
  return json<ApiErrorBody>(reply).error;
}

describe('the template API on a real database', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;

  function api(method: Method, path: string, options: { token?: string | null; body?: unknown } = {}): Promise<Reply> {
    return injectRequest(app, method, path, { ...options, token: options.token === undefined ? token : options.token });
  }

  async function template(name: string, lang: string): Promise<TemplateDetail> {
    const reply = await api('GET', `/api/v1/templates/${name}/${lang}`);
    assert.equal(reply.status, 200, reply.text);
    return json<TemplateDetail>(reply);
  }

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-template-api-', http: 'inject' });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('editor');
  });

  after(async () => {
    await mailroom?.close();
  });

  it('GET /api/v1/templates lists every template in every language, none customized yet', async () => {
    const reply = await api('GET', '/api/v1/templates');
    assert.equal(reply.status, 200, reply.text);
    const { templates } = json<{ templates: TemplateSummary[] }>(reply);
    assert.equal(templates.length, TEMPLATE_NAMES.length * TEMPLATE_LANGUAGES.length);
    assert.deepEqual(
      templates.map((t) => `${t.name}/${t.lang}`),
      TEMPLATE_NAMES.flatMap((name) => TEMPLATE_LANGUAGES.map((lang) => `${name}/${lang}`)),
    );
    assert.deepEqual(
      templates.slice(0, 2).map((t) => `${t.name}/${t.lang}`),
      ['share/en', 'share/zh-CN'],
    );
    const share = templates[0] as TemplateSummary;
    assert.equal(share.customized, false);
    assert.equal(share.updatedAt, null);
    assert.equal(share.updatedBy, null);
    assert.match(share.description, /shared/);
    assert.ok(share.variables.includes('user.display_name') && share.variables.includes('sharer'), share.variables.join(', '));
    assert.ok(templates.find((t) => t.name === 'activity')?.variables.includes('activities[].link'), 'list fields are dotted paths too');
  });

  it('GET /api/v1/templates/:name/:lang gives the shipped default with no versions', async () => {
    const share = await template('share', 'zh-CN');
    assert.equal(share.customized, false);
    assert.deepEqual(share.parts, zhDefaults.share);
    assert.deepEqual(share.versions, []);
  });

  it('PUT a valid template saves it: 200 with the new state, customized, listed with the token name', async () => {
    const parts = { subject: '{{ sharer }} shared a file', html: '<p>Hello {{ user.display_name }}, see <a href="{{ link }}">{{ file_name }}</a></p>', text: '' };
    const reply = await api('PUT', '/api/v1/templates/share/en', { body: { subject: parts.subject, html: parts.html } });
    assert.equal(reply.status, 200, reply.text);
    const saved = json<TemplateDetail>(reply);
    assert.equal(saved.customized, true);
    assert.deepEqual(saved.parts, parts, 'a missing text is stored empty (derived from the HTML)');
    assert.equal(saved.versions.length, 1);
    assert.equal(saved.versions[0]?.action, 'set');
    assert.equal(saved.versions[0]?.createdBy, 'editor');
    assert.deepEqual((await template('share', 'en')).parts, parts);
    const listed = json<{ templates: TemplateSummary[] }>(await api('GET', '/api/v1/templates')).templates.find((t) => t.name === 'share' && t.lang === 'en');
    assert.equal(listed?.customized, true);
    assert.equal(listed?.updatedBy, 'editor');
    assert.ok(listed?.updatedAt && !Number.isNaN(Date.parse(listed.updatedAt)));
  });

  it('PUT with a syntax error answers 400 template_syntax with line and column, and saves nothing', async () => {
    const html = '<p>Hello</p>\n<p>{{ user.display_name }}</p>\n<p>{% if link %}open</p>';
    const reply = await api('PUT', '/api/v1/templates/lost_password/en', { body: { subject: 'Reset', html } });
    assert.equal(reply.status, 400, reply.text);
    const error = apiError(reply);
    assert.equal(error.code, 'template_syntax');
    assert.equal(error.details?.['part'], 'html');
    assert.equal(error.details?.['line'], 3);
    assert.equal(typeof error.details?.['column'], 'number');
    assert.match(error.message, /^html: /);
    const after = await template('lost_password', 'en');
    assert.equal(after.customized, false);
    assert.deepEqual(after.versions, []);
  });

  it('PUT naming an unknown variable answers 400 template_unknown_variable with the allowed ones, and saves nothing', async () => {
    const reply = await api('PUT', '/api/v1/templates/lost_password/en', { body: { subject: 'Reset', html: '<p>{{ link }}</p>', text: 'Your password: {{ user.password }}' } });
    assert.equal(reply.status, 400, reply.text);
    const error = apiError(reply);
    assert.equal(error.code, 'template_unknown_variable');
    assert.equal(error.details?.['part'], 'text');
    const allowed = error.details?.['allowed'];
    assert.ok(Array.isArray(allowed) && allowed.length > 0, reply.text);
    assert.ok(
      (allowed as unknown[]).some((a) => typeof a === 'string' && a.includes('expires_in_minutes')),
      reply.text,
    );
    assert.deepEqual((await template('lost_password', 'en')).versions, []);
  });

  it('PUT with a line break in the subject answers 400 and saves nothing', async () => {
    const reply = await api('PUT', '/api/v1/templates/lost_password/en', { body: { subject: 'Reset\nBcc: all@example.com', html: '<p>{{ link }}</p>' } });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(apiError(reply).details?.['part'], 'subject');
    assert.deepEqual((await template('lost_password', 'en')).versions, []);
  });

  it('PUT without html answers 400 invalid_request', async () => {
    const reply = await api('PUT', '/api/v1/templates/lost_password/en', { body: { subject: 'Reset' } });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(apiError(reply).code, 'invalid_request');
  });

  it('set, set, reset: three versions, newest first, and the shipped default back in force', async () => {
    for (const n of [1, 2]) {
      const reply = await api('PUT', '/api/v1/templates/activity/zh-CN', { body: { subject: `动态 ${n}`, html: `<p>{{ user.display_name }} ${n}</p>` } });
      assert.equal(reply.status, 200, reply.text);
    }
    const reply = await api('DELETE', '/api/v1/templates/activity/zh-CN');
    assert.equal(reply.status, 200, reply.text);
    const reset = json<TemplateDetail>(reply);
    assert.equal(reset.customized, false);
    assert.deepEqual(reset.parts, zhDefaults.activity);
    assert.deepEqual(
      reset.versions.map((v) => v.action),
      ['reset', 'set', 'set'],
    );
    assert.ok((reset.versions[0]?.id ?? 0) > (reset.versions[1]?.id ?? 0));
    assert.deepEqual(await template('activity', 'zh-CN'), reset);
  });

  it('POST …/preview renders the template in force with sample data, and a draft without saving it', async () => {
    // The sample data is this instance's: its name and address.
    await ctx.settings.update({ instance_name: 'Harbor Cloud', base_url: 'https://files.harbor.example' });
    const current = await api('POST', '/api/v1/templates/test/en/preview');
    assert.equal(current.status, 200, current.text);
    const shown = json<TemplatePreview>(current);
    assert.ok(shown.subject.length > 0 && !shown.subject.includes('{{'), shown.subject);
    assert.ok(shown.html?.includes('<html'), 'the HTML comes in the layout');
    assert.ok(shown.text && !shown.text.includes('{{'));

    const draft = await api('POST', '/api/v1/templates/test/en/preview', { body: { subject: 'Draft for {{ user.display_name }}', html: '<p>Draft body on {{ instance_name }}</p>', text: '' } });
    assert.equal(draft.status, 200, draft.text);
    const preview = json<TemplatePreview>(draft);
    assert.equal(preview.subject, 'Draft for Alice Andersen');
    // The preview is the HTML a mail gets: the layout's CSS is inlined in it too.
    assert.match(preview.html ?? '', /<p style="[^"]*">Draft body on Harbor Cloud<\/p>/);
    assert.match(preview.text ?? '', /Draft body on Harbor Cloud/, 'an empty text part is derived from the HTML');

    const textOnly = json<TemplatePreview>(await api('POST', '/api/v1/templates/test/en/preview', { body: { text: 'Plain {{ base_url }}', format: 'text' } }));
    assert.deepEqual(Object.keys(textOnly).sort(), ['subject', 'text']);
    assert.equal(textOnly.text, 'Plain https://files.harbor.example');
    // A share's expiry in the preview lies ahead, not in a past year.
    const share = json<TemplatePreview>(await api('POST', '/api/v1/templates/link_share/en/preview', { body: { format: 'text' } }));
    const expiry = /This link expires on (.+)\./.exec(share.text ?? '')?.[1] ?? '';
    assert.ok(Date.parse(expiry) > Date.now(), `the expiry ${expiry} is in the future:\n${JSON.stringify(share)}`);
    assert.match(share.text ?? '', /^https:\/\/files\.harbor\.example\/s\//m);

    const test = await template('test', 'en');
    assert.equal(test.customized, false, 'a preview saves nothing');
    assert.deepEqual(test.parts, enDefaults.test);
  });

  it('POST …/preview of a broken draft answers 400 like a save would', async () => {
    const reply = await api('POST', '/api/v1/templates/test/en/preview', { body: { html: '<p>{{ nope }}</p>' } });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(apiError(reply).code, 'template_unknown_variable');
  });

  it('answers 404 not_found naming the valid templates and languages for unknown ones', async () => {
    const name = await api('GET', '/api/v1/templates/birthday/en');
    assert.equal(name.status, 404, name.text);
    assert.equal(apiError(name).code, 'not_found');
    assert.match(apiError(name).message, /share, lost_password, activity, test, link_share, welcome, password_changed, email_change_verify, email_change_notice/);
    const lang = await api('PUT', '/api/v1/templates/share/sv', { body: { subject: 'x', html: 'y' } });
    assert.equal(lang.status, 404, lang.text);
    assert.match(apiError(lang).message, /en, zh-CN/);
  });

  it('answers 401 without a token, and changes nothing', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/templates'],
      ['GET', '/api/v1/templates/share/en'],
      ['PUT', '/api/v1/templates/test/en'],
      ['DELETE', '/api/v1/templates/test/en'],
      ['POST', '/api/v1/templates/test/en/preview'],
    ] as const) {
      const reply = await api(method, path, { token: null, ...(method === 'PUT' ? { body: { subject: 'x', html: 'y' } } : {}) });
      assert.equal(reply.status, 401, `${method} ${path}: ${reply.text}`);
      assert.equal(apiError(reply).code, 'unauthorized');
    }
    assert.deepEqual((await template('test', 'en')).versions, []);
  });
});
