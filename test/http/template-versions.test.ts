/**
 * Viewing and restoring the versions of a template through the API, on a real (SQLite) database:
 * GET …/versions/:id and POST …/versions/:id/restore. The repository's part of it runs on both
 * dialects in test/db/template-repo.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { templates as enDefaults } from '../../src/templates/defaults/en.ts';
import type { TemplateDetail, TemplateSummary, TemplateVersionJson } from '../../src/templates/template-service.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

type Method = 'GET' | 'PUT' | 'DELETE' | 'POST';

const ADMIN_PASSWORD = 'Quill-Lantern-Orchard-73';

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function assertError(reply: Reply, status: number, code: ErrorCode): ApiErrorBody['error'] {
  assert.equal(reply.status, status, reply.text);
  const error = json<ApiErrorBody>(reply).error;
  assert.equal(error.code, code, reply.text);
  return error;
}

const first = { subject: 'First: {{ sharer }} shared {{ file_name }}', html: '<p>First for {{ user.display_name }}: <a href="{{ link }}">{{ file_name }}</a></p>', text: 'First, plain: {{ link }}' };
const second = { subject: 'Second: {{ file_name }}', html: '<p>Second body</p>', text: '' };

describe('the versions of a template through the API', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let token: string;

  async function api(method: Method, path: string, options: { token?: string | null; cookie?: string; csrf?: string; body?: unknown } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.cookie !== undefined) {
      headers['cookie'] = `mailroom_session=${options.cookie}`;
      if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
    } else {
      const bearer = options.token === undefined ? token : options.token;
      if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await app.inject({ method, url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    return { status: res.statusCode, text: res.body, headers: res.headers };
  }

  async function template(name: string, lang: string): Promise<TemplateDetail> {
    const reply = await api('GET', `/api/v1/templates/${name}/${lang}`);
    assert.equal(reply.status, 200, reply.text);
    return json<TemplateDetail>(reply);
  }

  async function save(name: string, lang: string, parts: { subject: string; html: string; text: string }): Promise<TemplateDetail> {
    const reply = await api('PUT', `/api/v1/templates/${name}/${lang}`, { body: parts });
    assert.equal(reply.status, 200, reply.text);
    return json<TemplateDetail>(reply);
  }

  async function version(name: string, lang: string, id: number): Promise<TemplateVersionJson> {
    const reply = await api('GET', `/api/v1/templates/${name}/${lang}/versions/${id}`);
    assert.equal(reply.status, 200, reply.text);
    return json<{ version: TemplateVersionJson }>(reply).version;
  }

  /** Stores a version as an older Mailroom could have, bypassing today's checks. */
  function storeRaw(row: { name: string; lang: string; subject: string; html: string; text: string }): number {
    const db = new BetterSqlite3(join(mailroom.dataDir, 'mailroom.sqlite'));
    try {
      const info = db.prepare('INSERT INTO template_versions (name, lang, subject, html, text, action, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(row.name, row.lang, row.subject, row.html, row.text, 'set', 'old-mailroom', Date.now());
      return Number(info.lastInsertRowid);
    } finally {
      db.close();
    }
  }

  before(async () => {
    mailroom = await startTestMailroom({ prefix: 'mailroom-template-versions-', env: { MAILROOM_ADMIN_PASSWORD: ADMIN_PASSWORD }, bootstrapAdmin: true, http: 'inject' });
    ({ ctx, app } = mailroom);
    token = await ctx.tokens.create('editor');
  });

  after(async () => {
    await mailroom?.close();
  });

  let firstId: number;
  let secondId: number;

  it('shows an older version with its parts, who saved it and when', async () => {
    firstId = (await save('share', 'en', first)).versions[0]?.id as number;
    secondId = (await save('share', 'en', second)).versions[0]?.id as number;
    assert.ok(secondId > firstId);
    const shown = await version('share', 'en', firstId);
    assert.deepEqual(Object.keys(shown).sort(), ['action', 'createdAt', 'createdBy', 'html', 'id', 'subject', 'text']);
    assert.equal(shown.id, firstId);
    assert.equal(shown.action, 'set');
    assert.equal(shown.createdBy, 'editor');
    assert.ok(!Number.isNaN(Date.parse(shown.createdAt)), shown.createdAt);
    assert.deepEqual({ subject: shown.subject, html: shown.html, text: shown.text }, first);
    assert.deepEqual((await template('share', 'en')).parts, second, 'viewing changes nothing');
  });

  it('restores an older version as a new version: its parts are in force, listed as a restore', async () => {
    const reply = await api('POST', `/api/v1/templates/share/en/versions/${firstId}/restore`);
    assert.equal(reply.status, 200, reply.text);
    const restored = json<TemplateDetail>(reply);
    assert.deepEqual(restored.parts, first);
    assert.equal(restored.customized, true);
    assert.deepEqual(
      restored.versions.map((v) => v.action),
      ['restore', 'set', 'set'],
    );
    const newest = restored.versions[0];
    assert.ok(newest && newest.id > secondId, 'a new version, not the old one moved');
    assert.equal(newest?.createdBy, 'editor');
    assert.equal(newest?.restoredFrom, firstId, 'the list says which version came back');
    assert.equal(restored.versions[1]?.restoredFrom, undefined);
    assert.deepEqual(await template('share', 'en'), restored);
    assert.deepEqual(await ctx.templates.partsOf('share', 'en'), first, 'mails are written from the restored parts');
    const listed = json<{ templates: TemplateSummary[] }>(await api('GET', '/api/v1/templates')).templates.find((t) => t.name === 'share' && t.lang === 'en');
    assert.equal(listed?.customized, true);
    const preview = json<{ subject: string }>(await api('POST', '/api/v1/templates/share/en/preview'));
    assert.match(preview.subject, /^First: /, 'the preview renders the restored subject');

    const shown = await version('share', 'en', newest?.id as number);
    assert.equal(shown.action, 'restore');
    assert.equal(shown.restoredFrom, firstId);
    assert.deepEqual({ subject: shown.subject, html: shown.html, text: shown.text }, first);
  });

  it('answers 404 not_found for a version of another template or language, and for an unknown id, and saves nothing', async () => {
    const otherId = (await save('activity', 'en', { subject: 'Activity', html: '<p>{{ user.display_name }}</p>', text: '' })).versions[0]?.id as number;
    const before = await template('share', 'en');
    for (const path of [`/api/v1/templates/share/en/versions/${otherId}`, `/api/v1/templates/share/zh-CN/versions/${firstId}`, `/api/v1/templates/share/en/versions/999999`]) {
      assertError(await api('GET', path), 404, 'not_found');
      assertError(await api('POST', `${path}/restore`), 404, 'not_found');
    }
    assertError(await api('GET', `/api/v1/templates/birthday/en/versions/${firstId}`), 404, 'not_found');
    assert.deepEqual(await template('share', 'en'), before);
    assert.equal((await template('activity', 'en')).versions.length, 1);
    assert.deepEqual((await template('share', 'zh-CN')).versions, []);
  });

  it('answers 400 invalid_request for an id that is not a whole number', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '12345678901234567890']) {
      assertError(await api('GET', `/api/v1/templates/share/en/versions/${id}`), 400, 'invalid_request');
      assertError(await api('POST', `/api/v1/templates/share/en/versions/${id}/restore`), 400, 'invalid_request');
    }
  });

  it('refuses to restore a version that no longer passes the checks, with the code a save gets, and saves nothing', async () => {
    // As if `user.password` had been a variable once: an older Mailroom stored it.
    const oldId = storeRaw({ name: 'lost_password', lang: 'en', subject: 'Reset', html: '<p>{{ link }}</p>', text: 'Your password: {{ user.password }}' });
    const before = await template('lost_password', 'en');
    assert.equal(before.versions.length, 1);
    assert.equal((await version('lost_password', 'en', oldId)).text, 'Your password: {{ user.password }}', 'it can still be viewed');
    // Another version on top, so a refused restore would show in the parts in force.
    const saved = await save('lost_password', 'en', { subject: 'Reset now', html: '<p>{{ link }}</p>', text: '' });
    const error = assertError(await api('POST', `/api/v1/templates/lost_password/en/versions/${oldId}/restore`), 400, 'template_unknown_variable');
    assert.equal(error.details?.['part'], 'text');
    assert.equal(error.details?.['version'], oldId);
    assert.match(error.message, /^text: line 1, column \d+: unknown variable "user\.password"/, 'the message a save of these parts gets');
    assert.deepEqual(await template('lost_password', 'en'), saved, 'nothing was saved');
  });

  it('refuses to restore a reset (it has no parts) with 400 invalid_request; DELETE puts the default back', async () => {
    const reset = json<TemplateDetail>(await api('DELETE', '/api/v1/templates/activity/en'));
    const resetId = reset.versions[0]?.id as number;
    const shown = await version('activity', 'en', resetId);
    assert.equal(shown.action, 'reset');
    assert.deepEqual([shown.subject, shown.html, shown.text], ['', '', '']);
    assertError(await api('POST', `/api/v1/templates/activity/en/versions/${resetId}/restore`), 400, 'invalid_request');
    assert.deepEqual(await template('activity', 'en'), reset);
  });

  it('restores a version after a reset: customized again', async () => {
    await api('DELETE', '/api/v1/templates/share/en');
    assert.deepEqual((await template('share', 'en')).parts, enDefaults.share);
    const restored = json<TemplateDetail>(await api('POST', `/api/v1/templates/share/en/versions/${secondId}/restore`));
    assert.equal(restored.customized, true);
    assert.deepEqual(restored.parts, second);
    assert.deepEqual(
      restored.versions.map((v) => [v.action, v.restoredFrom ?? null]),
      [
        ['restore', secondId],
        ['reset', null],
        ['restore', firstId],
        ['set', null],
        ['set', null],
      ],
    );
  });

  it('is for admins: 401 without credentials, 403 for a service or user token, and changes nothing', async () => {
    const service = await ctx.tokens.create('host-app', { scope: 'service' });
    await ctx.users.add({ uid: 'alice', display_name: 'Alice', email: 'alice@example.com' });
    const user = await ctx.tokens.create('alice-app', { uid: 'alice' });
    const before = await template('share', 'en');
    const paths: Array<[Method, string]> = [
      ['GET', `/api/v1/templates/share/en/versions/${firstId}`],
      ['POST', `/api/v1/templates/share/en/versions/${firstId}/restore`],
    ];
    for (const [method, path] of paths) {
      assertError(await api(method, path, { token: null }), 401, 'unauthorized');
      assertError(await api(method, path, { token: service }), 403, 'forbidden');
      assertError(await api(method, path, { token: user }), 403, 'forbidden');
    }
    assert.deepEqual(await template('share', 'en'), before);
  });

  it('takes a restore from a signed-in admin only with the CSRF token, and records the admin', async () => {
    const login = await api('POST', '/api/v1/login', { token: null, body: { user: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    const setCookie = login.headers['set-cookie'];
    const cookie = /^mailroom_session=([^;]+);/.exec(Array.isArray(setCookie) ? (setCookie[0] ?? '') : String(setCookie ?? ''))?.[1];
    assert.ok(cookie, String(setCookie));
    const csrf = json<{ csrf_token: string }>(login).csrf_token;
    const path = `/api/v1/templates/share/en/versions/${firstId}/restore`;
    const before = await template('share', 'en');

    assertError(await api('POST', path, { cookie }), 403, 'csrf_token_invalid');
    assert.deepEqual(await template('share', 'en'), before);
    // Viewing is a GET: the session alone is enough.
    assert.equal((await api('GET', `/api/v1/templates/share/en/versions/${firstId}`, { cookie })).status, 200);

    const reply = await api('POST', path, { cookie, csrf });
    assert.equal(reply.status, 200, reply.text);
    const restored = json<TemplateDetail>(reply);
    assert.deepEqual(restored.parts, first);
    assert.equal(restored.versions[0]?.createdBy, 'admin');
  });
});
