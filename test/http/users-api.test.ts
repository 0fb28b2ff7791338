/**
 * The people API through the real app and a real SQLite database: the directory (admins), API
 * tokens of each scope, browser sessions with their CSRF token and sign-in limits, one's own
 * account, and notification preferences over the admin's defaults.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/context.ts';
import { EVENT_TYPES } from '../../src/domain/event-types.ts';
import type { Preferences } from '../../src/domain/preferences.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import type { PublicUser } from '../../src/users/user-service.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';

interface Reply {
  status: number;
  /** The body exactly as sent, to check what must never appear in it. */
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A signed-in browser: the cookie's value and the CSRF token the page was given. */
interface Session {
  cookie: string;
  csrf: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

type PreferencesView = Preferences & { timezone: string; language: string };

const ADMIN_PASSWORD = 'Root-of-all-9-mail';
/** The fields a user has in every answer: never a password or its hash. */
const PUBLIC_FIELDS = ['admin', 'created_at', 'disabled', 'display_name', 'email', 'language', 'password_set', 'timezone', 'uid', 'updated_at'];

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function apiError(reply: Reply): ApiErrorBody['error'] {
  return json<ApiErrorBody>(reply).error;
}

/** Asserts status and error code together, with the body in the failure message. */
function assertError(reply: Reply, status: number, code: ErrorCode): ApiErrorBody['error'] {
  assert.equal(reply.status, status, reply.text);
  const error = apiError(reply);
  assert.equal(error.code, code, reply.text);
  return error;
}

function setCookie(reply: Reply): string | undefined {
  const header = reply.headers['set-cookie'];
  return Array.isArray(header) ? header[0] : typeof header === 'string' ? header : undefined;
}

function assertNoSecrets(reply: Reply): void {
  // `password_set` (a flag) may appear; a password, a hash or a field holding either may not.
  assert.doesNotMatch(reply.text.replaceAll('"password_set":', ''), /password|scrypt\$/i, `the answer shows no password or hash: ${reply.text}`);
}

describe('the users, sessions and preferences API on a real database', () => {
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let adminToken: string;
  let serviceToken: string;

  /** In-process through the real app: a bearer token, or a session cookie with (by default) its CSRF token. */
  async function api(method: Method, path: string, options: { token?: string | null; session?: Session; csrf?: string | false; body?: unknown; ip?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.session) {
      headers['cookie'] = `mailroom_session=${options.session.cookie}`;
      const csrf = options.csrf === undefined ? options.session.csrf : options.csrf;
      if (csrf !== false) headers['x-csrf-token'] = csrf;
    } else {
      const bearer = options.token === undefined ? adminToken : options.token;
      if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
    }
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await app.inject({ method, url: path, headers, remoteAddress: options.ip ?? '127.0.0.1', ...(payload !== undefined ? { payload } : {}) });
    return { status: res.statusCode, text: res.body, headers: res.headers };
  }

  async function addUser(body: Record<string, unknown>): Promise<PublicUser> {
    const reply = await api('POST', '/api/v1/users', { body });
    assert.equal(reply.status, 201, reply.text);
    return json<{ user: PublicUser }>(reply).user;
  }

  async function getUser(uid: string): Promise<PublicUser> {
    const reply = await api('GET', `/api/v1/users/${encodeURIComponent(uid)}`);
    assert.equal(reply.status, 200, reply.text);
    return json<{ user: PublicUser }>(reply).user;
  }

  function login(user: string, password: string, ip = '127.0.0.1'): Promise<Reply> {
    return api('POST', '/api/v1/login', { token: null, body: { user, password }, ip });
  }

  async function signIn(user: string, password: string): Promise<Session> {
    const reply = await login(user, password);
    assert.equal(reply.status, 200, reply.text);
    const cookie = /^mailroom_session=([^;]+);/.exec(setCookie(reply) ?? '')?.[1];
    assert.ok(cookie, `a session cookie is set: ${String(setCookie(reply))}`);
    return { cookie, csrf: json<{ csrf_token: string }>(reply).csrf_token };
  }

  async function myPreferences(caller: { token?: string; session?: Session }): Promise<PreferencesView> {
    const reply = await api('GET', '/api/v1/me/preferences', caller);
    assert.equal(reply.status, 200, reply.text);
    return json<{ preferences: PreferencesView }>(reply).preferences;
  }

  before(async () => {
    // As `serve` does: the first start creates the user admin.
    mailroom = await startTestMailroom({ prefix: 'mailroom-users-api-', env: { MAILROOM_ADMIN_PASSWORD: ADMIN_PASSWORD }, bootstrapAdmin: true, http: 'inject' });
    ({ ctx, app } = mailroom);
    adminToken = await ctx.tokens.create('admin-script');
    serviceToken = await ctx.tokens.create('host-app', { scope: 'service' });
  });

  after(async () => {
    await mailroom?.close();
  });

  describe('the directory, with an admin token', () => {
    it('POST /users creates a user: 201 with its public fields only, then GET lists and shows it', async () => {
      const reply = await api('POST', '/api/v1/users', {
        body: { uid: 'alice', email: 'alice@example.com', display_name: 'Alice Andersen', language: 'zh-CN', timezone: 'Asia/Shanghai', password: 'Tulip-garden-42' },
      });
      assert.equal(reply.status, 201, reply.text);
      assertNoSecrets(reply);
      const created = json<{ user: PublicUser }>(reply).user;
      assert.deepEqual(Object.keys(created).sort(), PUBLIC_FIELDS);
      assert.equal(created.uid, 'alice');
      assert.equal(created.email, 'alice@example.com');
      assert.equal(created.display_name, 'Alice Andersen');
      assert.equal(created.language, 'zh-CN');
      assert.equal(created.timezone, 'Asia/Shanghai');
      assert.equal(created.admin, false);
      assert.equal(created.disabled, false);

      const list = await api('GET', '/api/v1/users');
      assert.equal(list.status, 200, list.text);
      assertNoSecrets(list);
      const users = json<{ users: PublicUser[] }>(list).users;
      assert.deepEqual(
        users.map((u) => u.uid),
        ['admin', 'alice'],
      );
      for (const u of users) assert.deepEqual(Object.keys(u).sort(), PUBLIC_FIELDS);

      const one = await api('GET', '/api/v1/users/alice');
      assert.equal(one.status, 200, one.text);
      assertNoSecrets(one);
      assert.deepEqual(json<{ user: PublicUser }>(one).user, created);
    });

    it('a new user without options gets the uid as name, no address, en and UTC', async () => {
      const user = await addUser({ uid: 'plain.user' });
      assert.equal(user.display_name, 'plain.user');
      assert.equal(user.email, null);
      assert.equal(user.language, 'en');
      assert.equal(user.timezone, 'UTC');
    });

    it('PATCH /users/:uid changes the given fields only and keeps them', async () => {
      const reply = await api('PATCH', '/api/v1/users/plain.user', { body: { display_name: 'Plain User', email: 'plain@example.org', timezone: 'Europe/Berlin' } });
      assert.equal(reply.status, 200, reply.text);
      assertNoSecrets(reply);
      const changed = json<{ user: PublicUser }>(reply).user;
      assert.equal(changed.display_name, 'Plain User');
      assert.equal(changed.email, 'plain@example.org');
      assert.equal(changed.timezone, 'Europe/Berlin');
      assert.equal(changed.language, 'en', 'what was not given stays');
      assert.deepEqual(await getUser('plain.user'), changed);

      const removed = await api('PATCH', '/api/v1/users/plain.user', { body: { email: null } });
      assert.equal(removed.status, 200, removed.text);
      assert.equal((await getUser('plain.user')).email, null, 'null removes the address');
    });

    it('DELETE /users/:uid answers 204 with no body; the user is gone, and so are their app passwords and sessions', async () => {
      await addUser({ uid: 'leaver', password: 'Goodbye-and-thanks-7' });
      const appPassword = await ctx.tokens.create('leaver-laptop', { uid: 'leaver' });
      const session = await signIn('leaver', 'Goodbye-and-thanks-7');
      assert.equal((await api('GET', '/api/v1/me', { token: appPassword })).status, 200);

      const reply = await api('DELETE', '/api/v1/users/leaver');
      assert.equal(reply.status, 204, reply.text);
      assert.equal(reply.text, '');
      assertError(await api('GET', '/api/v1/users/leaver'), 404, 'not_found');
      assert.ok(!json<{ users: PublicUser[] }>(await api('GET', '/api/v1/users')).users.some((u) => u.uid === 'leaver'));
      assertError(await api('GET', '/api/v1/me', { token: appPassword }), 401, 'unauthorized');
      assertError(await api('GET', '/api/v1/me', { session }), 401, 'unauthorized');
      assert.ok(!(await ctx.tokens.list()).some((t) => t.name === 'leaver-laptop'), 'the app password is revoked with its user');
    });

    const refusedNewUsers: Array<{ what: string; body: Record<string, unknown>; status: number; code: ErrorCode; message: RegExp }> = [
      { what: 'a malformed email a@b@c', body: { email: 'a@b@c' }, status: 400, code: 'invalid_address', message: /"a@b@c" is not a valid email address/ },
      { what: 'a time zone that does not exist', body: { timezone: 'Mars/Olympus' }, status: 400, code: 'invalid_timezone', message: /"Mars\/Olympus" is not a time zone/ },
      { what: 'an unknown language', body: { language: 'sv' }, status: 400, code: 'invalid_request', message: /^language: / },
      { what: 'a short password', body: { password: 'Short-1' }, status: 400, code: 'password_too_weak', message: /at least 10 characters \(it has 7\)/ },
      { what: 'a well-known password', body: { password: '1234567890' }, status: 400, code: 'password_too_weak', message: /most used passwords/ },
      { what: 'a password holding the uid', body: { password: 'i-am-newbie-2026' }, status: 400, code: 'password_too_weak', message: /contains the user name/ },
      { what: 'a field that is not one (password_hash)', body: { password_hash: 'scrypt$1$1$1$AAAA$AAAA' }, status: 400, code: 'invalid_request', message: /password_hash|Unrecognized key/i },
      { what: 'a uid with a space', body: { uid: 'new bie' }, status: 400, code: 'invalid_request', message: /^uid: / },
    ];
    for (const { what, body, status, code, message } of refusedNewUsers) {
      it(`POST /users with ${what} answers ${status} ${code} and creates nobody`, async () => {
        const reply = await api('POST', '/api/v1/users', { body: { uid: 'newbie', ...body } });
        const error = assertError(reply, status, code);
        assert.match(error.message, message);
        assertError(await api('GET', '/api/v1/users/newbie'), 404, 'not_found');
        assertError(await api('GET', `/api/v1/users/${encodeURIComponent('new bie')}`), 404, 'not_found');
      });
    }

    it('PATCH /users/:uid with a bad address, time zone, language or password answers 400 and changes nothing', async () => {
      const before = await getUser('alice');
      const cases: Array<[Record<string, unknown>, ErrorCode]> = [
        [{ email: 'a@b@c', display_name: 'Changed' }, 'invalid_address'],
        [{ timezone: 'Mars/Olympus', display_name: 'Changed' }, 'invalid_timezone'],
        [{ language: 'klingon', display_name: 'Changed' }, 'invalid_request'],
        [{ password: 'alice-1234567', display_name: 'Changed' }, 'password_too_weak'],
        [{ display_name: 'two\nlines' }, 'invalid_request'],
      ];
      for (const [body, code] of cases) assertError(await api('PATCH', '/api/v1/users/alice', { body }), 400, code);
      assert.deepEqual(await getUser('alice'), before);
      assert.equal((await login('alice', 'Tulip-garden-42')).status, 200, 'the password is the old one');
    });

    it('POST /users with a uid that exists answers 409 user_exists and leaves that user as it was', async () => {
      const before = await getUser('alice');
      const reply = await api('POST', '/api/v1/users', { body: { uid: 'alice', display_name: 'Impostor', email: 'impostor@example.com' } });
      const error = assertError(reply, 409, 'user_exists');
      assert.match(error.message, /"alice" exists already/);
      assert.deepEqual(await getUser('alice'), before);
    });

    it('an unknown uid answers 404 not_found on every per-user route', async () => {
      assertError(await api('GET', '/api/v1/users/ghost'), 404, 'not_found');
      assertError(await api('PATCH', '/api/v1/users/ghost', { body: { display_name: 'Ghost' } }), 404, 'not_found');
      assertError(await api('DELETE', '/api/v1/users/ghost'), 404, 'not_found');
      assertError(await api('GET', '/api/v1/users/ghost/preferences'), 404, 'not_found');
      assertError(await api('PATCH', '/api/v1/users/ghost/preferences', { body: { frequency: 'daily' } }), 404, 'not_found');
      assertError(await api('GET', '/api/v1/users/ghost'), 404, 'not_found');
    });

    it('the last active admin can be neither deleted, demoted nor disabled; another admin can', async () => {
      const refusals = [await api('DELETE', '/api/v1/users/admin'), await api('PATCH', '/api/v1/users/admin', { body: { admin: false } }), await api('PATCH', '/api/v1/users/admin', { body: { disabled: true } })];
      for (const reply of refusals) assert.match(assertError(reply, 409, 'last_admin').message, /last active admin/);
      const admin = await getUser('admin');
      assert.equal(admin.admin, true);
      assert.equal(admin.disabled, false);

      // A second admin may be demoted and deleted while admin remains.
      await addUser({ uid: 'boss', admin: true });
      const demoted = await api('PATCH', '/api/v1/users/boss', { body: { admin: false } });
      assert.equal(demoted.status, 200, demoted.text);
      assert.equal(json<{ user: PublicUser }>(demoted).user.admin, false);
      assert.equal((await api('PATCH', '/api/v1/users/boss', { body: { admin: true } })).status, 200);
      assert.equal((await api('DELETE', '/api/v1/users/boss')).status, 204);

      // A disabled admin administers nothing, so it does not count.
      await addUser({ uid: 'old-boss', admin: true });
      assert.equal((await api('PATCH', '/api/v1/users/old-boss', { body: { disabled: true } })).status, 200);
      assertError(await api('PATCH', '/api/v1/users/admin', { body: { admin: false } }), 409, 'last_admin');
      assertError(await api('DELETE', '/api/v1/users/admin'), 409, 'last_admin');
      assert.equal((await getUser('admin')).admin, true);
    });
  });

  describe('search, delete with what goes with a user, and time zones by their current names', () => {
    it('GET /users?search= finds by any part of the uid, name or address, in any case; every word must match', async () => {
      await addUser({ uid: 'mei.lin', display_name: 'Mei Lin', email: 'Mei.Lin@Example.org' });
      await addUser({ uid: 'mei.wang', display_name: 'Mei Wang', email: 'wang@example.net' });
      const found = async (search: string) =>
        json<{ users: PublicUser[] }>(await api('GET', `/api/v1/users?search=${encodeURIComponent(search)}`))
          .users.map((u) => u.uid)
          .filter((uid) => uid.startsWith('mei.'));
      assert.deepEqual(await found('mei'), ['mei.lin', 'mei.wang']);
      assert.deepEqual(await found('LIN'), ['mei.lin'], 'any case, the uid or the name');
      assert.deepEqual(await found('example.net'), ['mei.wang'], 'the address');
      assert.deepEqual(await found('mei wang'), ['mei.wang'], 'every word');
      assert.deepEqual(await found('nobody-like-this'), []);
      assertError(await api('GET', `/api/v1/users?search=${'x'.repeat(201)}`), 400, 'invalid_request');
      assertError(await api('GET', '/api/v1/users?sort=uid'), 400, 'invalid_request');
    });

    it('DELETE /users/:uid also deletes their mailed links, preferences and activities; a user token gets 403 and deletes nothing', async () => {
      await addUser({ uid: 'parting', email: 'parting@example.org', password: 'Sweet-sorrow-lantern-91' });
      assert.equal((await api('PATCH', '/api/v1/users/parting/preferences', { body: { frequency: 'daily' } })).status, 200);
      const own = await ctx.tokens.create('parting-phone', { uid: 'parting' });
      await addUser({ uid: 'bystander', password: 'Quiet-onlooker-2041' });
      const other = await ctx.tokens.create('bystander-phone', { uid: 'bystander' });
      assertError(await api('DELETE', '/api/v1/users/parting', { token: other }), 403, 'forbidden');
      assertError(await api('DELETE', '/api/v1/users/bystander', { token: own }), 403, 'forbidden');
      assertError(await api('POST', '/api/v1/users/bystander/password-reset', { token: own }), 403, 'forbidden');
      assertError(await api('GET', '/api/v1/users?search=by', { token: own }), 403, 'forbidden');
      assert.equal((await getUser('parting')).uid, 'parting');

      // A live reset link of theirs, and their choices: rows of theirs that go with them.
      const sent = await api('POST', '/api/v1/users/parting/password-reset');
      assert.equal(sent.status, 202, sent.text);
      const rowsOf = (uid: string) => {
        const file = new BetterSqlite3(join(mailroom.dataDir, 'mailroom.sqlite'), { readonly: true });
        try {
          return ['user_tokens', 'notification_settings', 'api_tokens', 'sessions'].map((table) => Number((file.prepare(`SELECT count(*) AS n FROM ${table} WHERE uid = ?`).get(uid) as { n: number }).n));
        } finally {
          file.close();
        }
      };
      await signIn('parting', 'Sweet-sorrow-lantern-91');
      assert.deepEqual(rowsOf('parting'), [1, 1, 1, 1], 'a reset link, preferences, an app password and a session');
      assert.equal((await api('DELETE', '/api/v1/users/parting')).status, 204);
      assert.deepEqual(rowsOf('parting'), [0, 0, 0, 0], 'none of them is left');
      assert.deepEqual(rowsOf('bystander'), [0, 0, 1, 0], "another user's app password stays");
      assertError(await api('GET', '/api/v1/users/parting/preferences'), 404, 'not_found');
      // Added again under the same uid, the account starts from nothing: the admin's defaults, no earlier choice.
      await addUser({ uid: 'parting' });
      const prefs = json<{ preferences: PreferencesView }>(await api('GET', '/api/v1/users/parting/preferences')).preferences;
      assert.notEqual(prefs.frequency, 'daily');
      assert.equal((await api('DELETE', '/api/v1/users/parting')).status, 204);
    });

    it('an old time-zone name is taken and saved as the current one; one saved before is shown as the current one', async () => {
      const added = await addUser({ uid: 'kolkata', timezone: 'Asia/Calcutta' });
      assert.equal(added.timezone, 'Asia/Kolkata');
      const changed = await api('PATCH', '/api/v1/users/kolkata', { body: { timezone: 'Europe/Kiev' } });
      assert.equal(json<{ user: PublicUser }>(changed).user.timezone, 'Europe/Kyiv');
      // As an older version saved it: the old name in the row.
      const file = new BetterSqlite3(join(mailroom.dataDir, 'mailroom.sqlite'));
      try {
        file.prepare("UPDATE users SET timezone = 'Asia/Calcutta' WHERE uid = 'kolkata'").run();
      } finally {
        file.close();
      }
      assert.equal((await getUser('kolkata')).timezone, 'Asia/Kolkata', 'shown by its current name');
      assert.ok(json<{ users: PublicUser[] }>(await api('GET', '/api/v1/users?search=kolkata')).users.every((u) => u.timezone === 'Asia/Kolkata'));
      const zones = json<{ time_zones: string[] }>(await api('GET', '/api/v1/time-zones', { session: await signIn('alice', 'Tulip-garden-42') })).time_zones;
      assert.ok(zones.includes('Asia/Kolkata') && zones.includes('Europe/Kyiv') && zones.includes('UTC'), 'the current names');
      assert.ok(!zones.includes('Asia/Calcutta') && !zones.includes('Europe/Kiev'), 'not the old ones');
      assert.deepEqual(zones, [...zones].sort(), 'sorted');
      assertError(await api('GET', '/api/v1/time-zones', { token: null }), 401, 'unauthorized');
      for (const token of [adminToken, serviceToken]) assert.equal((await api('GET', '/api/v1/time-zones', { token })).status, 200, 'any caller may read the list');
    });

    it('GET /api/v1/languages lists the 14 languages of the mails, each in its own name', async () => {
      const languages = json<{ languages: Array<{ code: string; name: string; direction: string }> }>(await api('GET', '/api/v1/languages', { session: await signIn('alice', 'Tulip-garden-42') })).languages;
      assert.deepEqual(
        languages.map((l) => l.code),
        ['en', 'zh-CN', 'de', 'fr', 'es', 'it', 'pt-BR', 'nl', 'pl', 'ru', 'ja', 'ko', 'zh-TW', 'ar'],
      );
      assert.deepEqual(
        languages.find((l) => l.code === 'de'),
        { code: 'de', name: 'Deutsch', direction: 'ltr' },
      );
      assert.deepEqual(
        languages.find((l) => l.code === 'ar'),
        { code: 'ar', name: 'العربية', direction: 'rtl' },
      );
      assertError(await api('GET', '/api/v1/languages', { token: null }), 401, 'unauthorized');
    });
  });

  describe('token scopes', () => {
    it('no credentials, a wrong token or another scheme answer 401 unauthorized', async () => {
      for (const path of ['/api/v1/users', '/api/v1/me', '/api/v1/me/preferences', '/api/v1/settings/mail']) {
        assertError(await api('GET', path, { token: null }), 401, 'unauthorized');
        assertError(await api('GET', path, { token: 'mr_not-a-real-token' }), 401, 'unauthorized');
      }
      assertError(await api('GET', '/api/v1/users', { token: null, headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } }), 401, 'unauthorized');
      assertError(await api('POST', '/api/v1/users', { token: null, body: { uid: 'sneaky' } }), 401, 'unauthorized');
      assertError(await api('GET', '/api/v1/users/sneaky'), 404, 'not_found');
    });

    it('a service token gets 403 forbidden on the directory and the mail settings, and may queue messages', async () => {
      assertError(await api('GET', '/api/v1/users', { token: serviceToken }), 403, 'forbidden');
      assertError(await api('GET', '/api/v1/users/alice', { token: serviceToken }), 403, 'forbidden');
      assertError(await api('POST', '/api/v1/users', { token: serviceToken, body: { uid: 'svc-made', admin: true } }), 403, 'forbidden');
      assertError(await api('GET', '/api/v1/users/svc-made'), 404, 'not_found');
      assertError(await api('GET', '/api/v1/settings/mail', { token: serviceToken }), 403, 'forbidden');
      assertError(await api('PATCH', '/api/v1/settings/mail', { token: serviceToken, body: { instance_name: 'Hijacked' } }), 403, 'forbidden');
      assert.equal((await ctx.settings.get()).instance_name, 'Mailroom');
      assertError(await api('PATCH', '/api/v1/preferences/defaults', { token: serviceToken, body: { frequency: 'asap' } }), 403, 'forbidden');
      // It acts for no user, so it has no "me".
      assertError(await api('GET', '/api/v1/me', { token: serviceToken }), 403, 'forbidden');

      const sent = await api('POST', '/api/v1/messages', { token: serviceToken, body: { to: 'someone@example.com', subject: 'From the host app', text: 'Hello' } });
      assert.equal(sent.status, 202, sent.text);
      assert.equal(json<{ ids: number[] }>(sent).ids.length, 1);
    });

    it('a user app password acts as that user on /me and /me/preferences and gets 403 on admin routes', async () => {
      const appPassword = await ctx.tokens.create('alice-phone', { uid: 'alice' });
      const me = await api('GET', '/api/v1/me', { token: appPassword });
      assert.equal(me.status, 200, me.text);
      assertNoSecrets(me);
      assert.equal(json<{ user: PublicUser }>(me).user.uid, 'alice');
      assert.equal((await myPreferences({ token: appPassword })).timezone, 'Asia/Shanghai');

      // A bearer token is not a cookie: no CSRF token is needed.
      const changed = await api('PATCH', '/api/v1/me/preferences', { token: appPassword, body: { own_actions: true } });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((await myPreferences({ token: appPassword })).own_actions, true);
      const renamed = await api('PATCH', '/api/v1/me', { token: appPassword, body: { display_name: 'Alice A.' } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((await getUser('alice')).display_name, 'Alice A.');

      for (const [method, path] of [
        ['GET', '/api/v1/users'],
        ['GET', '/api/v1/users/admin'],
        ['GET', '/api/v1/users/alice/preferences'],
        ['GET', '/api/v1/preferences/defaults'],
        ['GET', '/api/v1/settings/mail'],
        ['GET', '/api/v1/templates'],
      ] as const) {
        assertError(await api(method, path, { token: appPassword }), 403, 'forbidden');
      }
      // It cannot make itself admin either: PATCH /me refuses the admin flag.
      assertError(await api('PATCH', '/api/v1/me', { token: appPassword, body: { admin: true } }), 400, 'invalid_request');
      assertError(await api('PATCH', '/api/v1/users/alice', { token: appPassword, body: { admin: true } }), 403, 'forbidden');
      assert.equal((await getUser('alice')).admin, false);
      // Messages are for host applications and admins, not for a user's app password.
      assertError(await api('POST', '/api/v1/messages', { token: appPassword, body: { to: 'x@example.com', subject: 'S', text: 'T' } }), 403, 'forbidden');
    });

    it('an admin token acts for no user: 403 on /me', async () => {
      assertError(await api('GET', '/api/v1/me'), 403, 'forbidden');
      assertError(await api('GET', '/api/v1/me/preferences'), 403, 'forbidden');
    });

    it('a revoked token answers 401 from then on', async () => {
      const token = await ctx.tokens.create('short-lived');
      assert.equal((await api('GET', '/api/v1/users', { token })).status, 200);
      await ctx.tokens.revoke('short-lived');
      assertError(await api('GET', '/api/v1/users', { token }), 401, 'unauthorized');

      const appPassword = await ctx.tokens.create('alice-old-tablet', { uid: 'alice' });
      assert.equal((await api('GET', '/api/v1/me', { token: appPassword })).status, 200);
      await ctx.tokens.revoke('alice-old-tablet');
      assertError(await api('GET', '/api/v1/me', { token: appPassword }), 401, 'unauthorized');
    });
  });

  describe('sessions', () => {
    before(async () => {
      await addUser({ uid: 'bob', email: 'bob@example.com', password: 'Sailing-boat-17' });
    });

    it('POST /login with the right password sets an HttpOnly SameSite=Lax cookie, not Secure over http, and returns the CSRF token', async () => {
      const reply = await login('bob', 'Sailing-boat-17');
      assert.equal(reply.status, 200, reply.text);
      assertNoSecrets(reply);
      const cookie = setCookie(reply) ?? '';
      assert.match(cookie, /^mailroom_session=[A-Za-z0-9_-]{40,};/);
      const attributes = cookie
        .split(';')
        .slice(1)
        .map((a) => a.trim());
      assert.ok(attributes.includes('HttpOnly'), cookie);
      assert.ok(attributes.includes('SameSite=Lax'), cookie);
      assert.ok(attributes.includes('Path=/'), cookie);
      assert.ok(!attributes.includes('Secure'), `no Secure for an http base_url: ${cookie}`);
      const body = json<{ user: PublicUser; csrf_token: string }>(reply);
      assert.equal(body.user.uid, 'bob');
      assert.match(body.csrf_token, /^[A-Za-z0-9_-]{20,}$/);
      assert.ok(!cookie.includes(body.csrf_token), 'the CSRF token is not the cookie');
    });

    it('POST /login by email address works too', async () => {
      const reply = await login('BOB@example.com', 'Sailing-boat-17');
      assert.equal(reply.status, 200, reply.text);
      assert.equal(json<{ user: PublicUser }>(reply).user.uid, 'bob');
    });

    it('the cookie is Secure when base_url is https', async () => {
      assert.equal((await api('PATCH', '/api/v1/settings/mail', { body: { base_url: 'https://cloud.example.com' } })).status, 200);
      try {
        const reply = await login('bob', 'Sailing-boat-17');
        assert.equal(reply.status, 200, reply.text);
        const attributes = (setCookie(reply) ?? '').split(';').map((a) => a.trim());
        assert.ok(attributes.includes('Secure'), String(setCookie(reply)));
        assert.ok(attributes.includes('HttpOnly') && attributes.includes('SameSite=Lax'));
      } finally {
        assert.equal((await api('PATCH', '/api/v1/settings/mail', { body: { base_url: null } })).status, 200);
      }
    });

    it('a wrong password or an unknown user answers 401 login_failed alike, and sets no cookie', async () => {
      const wrong = await login('bob', 'Sailing-boat-18');
      const unknown = await login('nobody-here', 'Sailing-boat-17');
      const wrongError = assertError(wrong, 401, 'login_failed');
      const unknownError = assertError(unknown, 401, 'login_failed');
      assert.equal(wrongError.message, unknownError.message, 'nothing tells whether the account exists');
      assert.equal(setCookie(wrong), undefined);
      assert.equal(setCookie(unknown), undefined);
    });

    it('after 5 failures for an account, from any address, it answers 429 rate_limited with Retry-After, even to the right password', async () => {
      await addUser({ uid: 'carol', password: 'Mountain-lake-33' });
      // From five addresses: the limit is the account's, not the client's.
      for (let i = 1; i <= 5; i++) assertError(await login('carol', `wrong-guess-${i}x`, `192.0.2.${i}`), 401, 'login_failed');
      for (const password of ['wrong-guess-6x', 'Mountain-lake-33']) {
        const reply = await login('carol', password, '192.0.2.99');
        const error = assertError(reply, 429, 'rate_limited');
        const retryAfter = Number(reply.headers['retry-after']);
        assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${String(reply.headers['retry-after'])}`);
        assert.match(error.message, new RegExp(`try again in ${retryAfter} seconds`));
        assert.equal(setCookie(reply), undefined);
      }
      // Other accounts, from the same addresses, are not held up.
      assert.equal((await login('bob', 'Sailing-boat-17', '192.0.2.1')).status, 200);
    });

    it('failures count for the account whether it is named by uid or by address: 5 in all, then 429', async () => {
      await addUser({ uid: 'heidi', email: 'Heidi@example.com', password: 'Garden-gnome-48' });
      const logins = ['heidi', 'heidi@example.com', 'heidi', 'HEIDI@EXAMPLE.COM', 'heidi@example.com'];
      for (const [i, name] of logins.entries()) assertError(await login(name, `wrong-guess-${i}x`, `203.0.113.${i + 1}`), 401, 'login_failed');
      assertError(await login('heidi@example.com', 'Garden-gnome-48', '203.0.113.50'), 429, 'rate_limited');
      assertError(await login('heidi', 'Garden-gnome-48', '203.0.113.51'), 429, 'rate_limited');
    });

    it('after 20 failures from one address it answers 429 there, to any account, and not elsewhere', async () => {
      for (let i = 1; i <= 20; i++) assertError(await login(`someone-${i}`, 'not-the-password', '198.51.100.7'), 401, 'login_failed');
      const blocked = await login('bob', 'Sailing-boat-17', '198.51.100.7');
      assertError(blocked, 429, 'rate_limited');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal((await login('bob', 'Sailing-boat-17', '198.51.100.8')).status, 200);
    });

    it('GET /me and GET /session work with the cookie; a made-up or malformed cookie gets 401', async () => {
      const session = await signIn('bob', 'Sailing-boat-17');
      const me = await api('GET', '/api/v1/me', { session });
      assert.equal(me.status, 200, me.text);
      assertNoSecrets(me);
      assert.equal(json<{ user: PublicUser }>(me).user.uid, 'bob');
      const current = await api('GET', '/api/v1/session', { session });
      assert.equal(current.status, 200, current.text);
      assert.equal(json<{ csrf_token: string }>(current).csrf_token, session.csrf);

      assertError(await api('GET', '/api/v1/me', { session: { cookie: 'x'.repeat(43), csrf: session.csrf } }), 401, 'unauthorized');
      // Not valid percent-encoding: still just a cookie that signs nobody in.
      assertError(await api('GET', '/api/v1/me', { session: { cookie: '%E0%A4%A', csrf: session.csrf } }), 401, 'unauthorized');
    });

    it('a change with the cookie but without (or with a wrong) X-CSRF-Token answers 403 csrf_token_invalid and changes nothing; with it, 200', async () => {
      const session = await signIn('bob', 'Sailing-boat-17');
      const before = await myPreferences({ session });
      assert.equal(before.frequency, 'hourly');

      const without = await api('PATCH', '/api/v1/me/preferences', { session, csrf: false, body: { frequency: 'asap' } });
      assert.match(assertError(without, 403, 'csrf_token_invalid').message, /X-CSRF-Token/);
      const wrong = await api('PATCH', '/api/v1/me/preferences', { session, csrf: 'not-the-token', body: { frequency: 'asap' } });
      assertError(wrong, 403, 'csrf_token_invalid');
      const otherSessions = await signIn('bob', 'Sailing-boat-17');
      assertError(await api('PATCH', '/api/v1/me/preferences', { session, csrf: otherSessions.csrf, body: { frequency: 'asap' } }), 403, 'csrf_token_invalid');
      assertError(await api('PATCH', '/api/v1/me', { session, csrf: false, body: { display_name: 'Mallory' } }), 403, 'csrf_token_invalid');
      assert.deepEqual(await myPreferences({ session }), before);
      assert.equal((await getUser('bob')).display_name, 'bob');

      const ok = await api('PATCH', '/api/v1/me/preferences', { session, body: { frequency: 'asap' } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(json<{ preferences: PreferencesView }>(ok).preferences.frequency, 'asap');
      assert.equal((await myPreferences({ session })).frequency, 'asap');
    });

    it('a non-admin session gets 403 on the admin APIs; an admin session gets in', async () => {
      const session = await signIn('bob', 'Sailing-boat-17');
      for (const path of ['/api/v1/users', '/api/v1/settings/mail', '/api/v1/templates', '/api/v1/preferences/defaults', '/api/v1/outbox']) {
        assertError(await api('GET', path, { session }), 403, 'forbidden');
      }
      assertError(await api('POST', '/api/v1/users', { session, body: { uid: 'bobs-friend', admin: true } }), 403, 'forbidden');
      assertError(await api('PATCH', '/api/v1/users/bob', { session, body: { admin: true } }), 403, 'forbidden');
      assertError(await api('PATCH', '/api/v1/settings/mail', { session, body: { instance_name: 'Bob Cloud' } }), 403, 'forbidden');
      assert.equal((await getUser('bob')).admin, false);
      assertError(await api('GET', '/api/v1/users/bobs-friend'), 404, 'not_found');

      const adminSession = await signIn('admin', ADMIN_PASSWORD);
      for (const path of ['/api/v1/users', '/api/v1/settings/mail', '/api/v1/templates']) {
        const reply = await api('GET', path, { session: adminSession });
        assert.equal(reply.status, 200, `${path}: ${reply.text}`);
      }
      // An admin's session needs the CSRF token for changes too.
      assertError(await api('POST', '/api/v1/users', { session: adminSession, csrf: false, body: { uid: 'csrf-victim' } }), 403, 'csrf_token_invalid');
      assertError(await api('GET', '/api/v1/users/csrf-victim'), 404, 'not_found');
    });

    it('POST /logout ends the session: 204, the cookie is cleared and then gets 401; without the CSRF token it is refused', async () => {
      const session = await signIn('bob', 'Sailing-boat-17');
      assertError(await api('POST', '/api/v1/logout', { session, csrf: false }), 403, 'csrf_token_invalid');
      assert.equal((await api('GET', '/api/v1/me', { session })).status, 200, 'a refused logout signs nobody out');

      const reply = await api('POST', '/api/v1/logout', { session });
      assert.equal(reply.status, 204, reply.text);
      assert.match(setCookie(reply) ?? '', /^mailroom_session=;.*Max-Age=0/);
      assertError(await api('GET', '/api/v1/me', { session }), 401, 'unauthorized');
      assertError(await api('GET', '/api/v1/session', { session }), 401, 'unauthorized');
    });

    it('PATCH /me with a new password needs the current one; after it, the other sessions end and this one goes on', async () => {
      await addUser({ uid: 'dave', password: 'Old-lighthouse-21' });
      const other = await signIn('dave', 'Old-lighthouse-21');
      const current = await signIn('dave', 'Old-lighthouse-21');

      const without = await api('PATCH', '/api/v1/me', { session: current, body: { password: 'New-lighthouse-22' } });
      assert.match(assertError(without, 403, 'forbidden').message, /current_password/);
      assertError(await api('PATCH', '/api/v1/me', { session: current, body: { password: 'New-lighthouse-22', current_password: 'Old-lighthouse-20' } }), 403, 'forbidden');
      assertError(await api('PATCH', '/api/v1/me', { session: current, body: { password: 'short', current_password: 'Old-lighthouse-21' } }), 400, 'password_too_weak');
      // Nothing of that changed the password or ended a session.
      assert.equal((await api('GET', '/api/v1/me', { session: other })).status, 200);

      const changed = await api('PATCH', '/api/v1/me', { session: current, body: { password: 'New-lighthouse-22', current_password: 'Old-lighthouse-21' } });
      assert.equal(changed.status, 200, changed.text);
      assertNoSecrets(changed);
      assertError(await api('GET', '/api/v1/me', { session: other }), 401, 'unauthorized');
      assert.equal((await api('GET', '/api/v1/me', { session: current })).status, 200);
      assert.equal((await api('PATCH', '/api/v1/me/preferences', { session: current, body: { frequency: 'weekly' } })).status, 200);
      assertError(await login('dave', 'Old-lighthouse-21'), 401, 'login_failed');
      assert.equal((await login('dave', 'New-lighthouse-22')).status, 200);
    });

    it('PATCH /me with a new email address needs the current password too; the name and language do not', async () => {
      await addUser({ uid: 'fiona', email: 'fiona@example.com', password: 'Quiet-harbour-31' });
      const session = await signIn('fiona', 'Quiet-harbour-31');
      const without = await api('PATCH', '/api/v1/me', { session, body: { email: 'attacker@example.net' } });
      assert.match(assertError(without, 403, 'forbidden').message, /current_password.*email/);
      assert.equal((await getUser('fiona')).email, 'fiona@example.com');
      assert.equal((await api('PATCH', '/api/v1/me', { session, body: { display_name: 'Fiona F', language: 'zh-CN' } })).status, 200);
      const changed = await api('PATCH', '/api/v1/me', { session, body: { email: 'fiona@new.example.com', current_password: 'Quiet-harbour-31' } });
      assert.equal(changed.status, 200, changed.text);
      // The new address takes effect only once the link mailed to it is followed (test/users/account-mails.test.ts).
      assert.equal(json<{ pending_email: string }>(changed).pending_email, 'fiona@new.example.com');
      assert.equal((await getUser('fiona')).email, 'fiona@example.com');
    });

    it('a disabled user cannot sign in, and their session and app password stop working; enabled again, they can', async () => {
      await addUser({ uid: 'erin', password: 'Winter-forest-55' });
      const session = await signIn('erin', 'Winter-forest-55');
      const appPassword = await ctx.tokens.create('erin-mail-app', { uid: 'erin' });

      assert.equal((await api('PATCH', '/api/v1/users/erin', { body: { disabled: true } })).status, 200);
      assertError(await api('GET', '/api/v1/me', { session }), 401, 'unauthorized');
      assertError(await api('GET', '/api/v1/me', { token: appPassword }), 401, 'unauthorized');
      assertError(await login('erin', 'Winter-forest-55'), 401, 'login_failed');

      assert.equal((await api('PATCH', '/api/v1/users/erin', { body: { disabled: false } })).status, 200);
      assertError(await api('GET', '/api/v1/me', { session }), 401, 'unauthorized'); // a session ended by disabling stays ended
      assert.equal((await api('GET', '/api/v1/me', { token: appPassword })).status, 200);
      assert.equal((await login('erin', 'Winter-forest-55')).status, 200);
    });

    it("an admin who sets a user's password ends all of that user's sessions", async () => {
      const session = await signIn('bob', 'Sailing-boat-17');
      assert.equal((await api('PATCH', '/api/v1/users/bob', { body: { password: 'Harbour-wind-18' } })).status, 200);
      assertError(await api('GET', '/api/v1/me', { session }), 401, 'unauthorized');
      assert.equal((await login('bob', 'Harbour-wind-18')).status, 200);
    });
  });

  describe('preferences', () => {
    before(async () => {
      await addUser({ uid: 'frank', email: 'frank@example.com', password: 'Copper-kettle-64' });
      await addUser({ uid: 'grace', password: 'Silver-spoon-75', language: 'zh-CN', timezone: 'Europe/Paris' });
    });

    it('GET /me/preferences shows the built-in defaults, the time zone and the language', async () => {
      const prefs = await myPreferences({ session: await signIn('grace', 'Silver-spoon-75') });
      assert.deepEqual(prefs, {
        frequency: 'hourly',
        own_actions: false,
        types: Object.fromEntries(EVENT_TYPES.map((t) => [t, { email: true, stream: true }])),
        timezone: 'Europe/Paris',
        language: 'zh-CN',
      });
    });

    it('PATCH /me/preferences changes a subset, answers the whole, and it sticks', async () => {
      const session = await signIn('frank', 'Copper-kettle-64');
      const reply = await api('PATCH', '/api/v1/me/preferences', { session, body: { frequency: 'weekly', types: { 'file.changed': { email: false } } } });
      assert.equal(reply.status, 200, reply.text);
      const answered = json<{ preferences: PreferencesView }>(reply).preferences;
      const expected = {
        frequency: 'weekly',
        own_actions: false,
        types: { ...Object.fromEntries(EVENT_TYPES.map((t) => [t, { email: true, stream: true }])), 'file.changed': { email: false, stream: true } },
        timezone: 'UTC',
        language: 'en',
      };
      assert.deepEqual(answered, expected);
      assert.deepEqual(await myPreferences({ session }), expected);

      // A later change of another field keeps the earlier ones.
      assert.equal((await api('PATCH', '/api/v1/me/preferences', { session, body: { types: { 'file.changed': { stream: false } } } })).status, 200);
      const after = await myPreferences({ session });
      assert.equal(after.frequency, 'weekly');
      assert.deepEqual(after.types['file.changed'], { email: false, stream: false });
    });

    it('unknown activity types, frequencies and fields answer 400 invalid_request and change nothing', async () => {
      const session = await signIn('frank', 'Copper-kettle-64');
      const before = await myPreferences({ session });
      const bodies: Array<[Record<string, unknown>, RegExp]> = [
        [{ types: { 'file.exploded': { email: false } } }, /types/],
        [{ frequency: 'monthly' }, /^frequency: /],
        [{ frequency: 'asap', types: { 'file.created': { email: 'no' } } }, /types\.file\.created\.email/],
        [{ frequency: 'asap', types: { 'file.created': { sms: true } } }, /types\.file\.created/],
        [{ frequency: 'asap', colour: 'blue' }, /colour|Unrecognized key/i],
      ];
      for (const [body, message] of bodies) {
        assert.match(assertError(await api('PATCH', '/api/v1/me/preferences', { session, body }), 400, 'invalid_request').message, message);
        assertError(await api('PATCH', '/api/v1/users/frank/preferences', { body }), 400, 'invalid_request');
        assertError(await api('PATCH', '/api/v1/preferences/defaults', { body }), 400, 'invalid_request');
      }
      assert.deepEqual(await myPreferences({ session }), before);
      assert.equal(json<{ preferences: Preferences }>(await api('GET', '/api/v1/preferences/defaults')).preferences.frequency, 'hourly');
    });

    it('PATCH /me/preferences with timezone and language changes the account; GET /me shows it', async () => {
      const session = await signIn('frank', 'Copper-kettle-64');
      const reply = await api('PATCH', '/api/v1/me/preferences', { session, body: { timezone: 'Asia/Shanghai', language: 'zh-CN' } });
      assert.equal(reply.status, 200, reply.text);
      const prefs = json<{ preferences: PreferencesView }>(reply).preferences;
      assert.equal(prefs.timezone, 'Asia/Shanghai');
      assert.equal(prefs.language, 'zh-CN');
      assert.equal(prefs.frequency, 'weekly', 'the other choices stay');
      const me = json<{ user: PublicUser }>(await api('GET', '/api/v1/me', { session })).user;
      assert.equal(me.timezone, 'Asia/Shanghai');
      assert.equal(me.language, 'zh-CN');
    });

    it('PATCH /me/preferences with a time zone that does not exist answers 400 invalid_timezone and changes nothing', async () => {
      const session = await signIn('frank', 'Copper-kettle-64');
      const before = await myPreferences({ session });
      const reply = await api('PATCH', '/api/v1/me/preferences', { session, body: { timezone: 'Mars/Olympus', frequency: 'asap', language: 'en' } });
      assert.match(assertError(reply, 400, 'invalid_timezone').message, /Mars\/Olympus/);
      assertError(await api('PATCH', '/api/v1/me/preferences', { session, body: { language: 'sv', frequency: 'asap' } }), 400, 'invalid_request');
      assert.deepEqual(await myPreferences({ session }), before);
      assert.equal(json<{ user: PublicUser }>(await api('GET', '/api/v1/me', { session })).user.language, 'zh-CN');
    });

    it('PATCH /me with a regional or script tag stores the language it falls back to (de-AT → de, zh-Hant → zh-TW)', async () => {
      const session = await signIn('frank', 'Copper-kettle-64');
      for (const [tag, stored] of [
        ['de-AT', 'de'],
        ['zh-Hant', 'zh-TW'],
        ['pt', 'pt-BR'],
        ['ar', 'ar'],
        ['zh-CN', 'zh-CN'],
      ] as const) {
        const reply = await api('PATCH', '/api/v1/me', { session, body: { language: tag } });
        assert.equal(reply.status, 200, reply.text);
        assert.equal(json<{ user: PublicUser }>(reply).user.language, stored, tag);
      }
      const refused = assertError(await api('PATCH', '/api/v1/me', { session, body: { language: 'tlh' } }), 400, 'invalid_request');
      assert.match(refused.message, /language: Mailroom writes no language that "tlh" falls back to; use one of "en", "zh-CN", "de"/);
    });

    it("an admin reads and changes a user's preferences through /users/:uid/preferences", async () => {
      const read = await api('GET', '/api/v1/users/frank/preferences');
      assert.equal(read.status, 200, read.text);
      const prefs = json<{ preferences: PreferencesView }>(read).preferences;
      assert.equal(prefs.frequency, 'weekly');
      assert.equal(prefs.timezone, 'Asia/Shanghai');

      const changed = await api('PATCH', '/api/v1/users/frank/preferences', { body: { own_actions: true, types: { 'comment.created': { email: false } } } });
      assert.equal(changed.status, 200, changed.text);
      const mine = await myPreferences({ session: await signIn('frank', 'Copper-kettle-64') });
      assert.equal(mine.own_actions, true);
      assert.deepEqual(mine.types['comment.created'], { email: false, stream: true });
      assert.equal(mine.frequency, 'weekly');
    });

    it("the admin's defaults reach users who chose nothing; users who chose keep their choice", async () => {
      const reply = await api('PATCH', '/api/v1/preferences/defaults', { body: { frequency: 'daily', types: { 'file.changed': { email: false } } } });
      assert.equal(reply.status, 200, reply.text);
      const defaults = json<{ preferences: Preferences }>(reply).preferences;
      assert.equal(defaults.frequency, 'daily');
      assert.deepEqual(defaults.types['file.changed'], { email: false, stream: true });
      assert.deepEqual(json<{ preferences: Preferences }>(await api('GET', '/api/v1/preferences/defaults')).preferences, defaults);

      // grace chose nothing: she now has the admin's defaults, over the built-in ones.
      const grace = await myPreferences({ session: await signIn('grace', 'Silver-spoon-75') });
      assert.equal(grace.frequency, 'daily');
      assert.deepEqual(grace.types['file.changed'], { email: false, stream: true });
      assert.deepEqual(grace.types['file.created'], { email: true, stream: true });

      // frank chose weekly and, for file.changed, also stream off; he keeps what he chose.
      const admin = json<{ preferences: PreferencesView }>(await api('GET', '/api/v1/users/frank/preferences')).preferences;
      assert.equal(admin.frequency, 'weekly');
      assert.deepEqual(admin.types['file.changed'], { email: false, stream: false });

      // A user who turned file.changed mail on keeps it on against a default of off.
      const session = await signIn('bob', 'Harbour-wind-18');
      assert.equal((await api('PATCH', '/api/v1/me/preferences', { session, body: { types: { 'file.changed': { email: true } } } })).status, 200);
      const bob = await myPreferences({ session });
      assert.deepEqual(bob.types['file.changed'], { email: true, stream: true });
      assert.equal(bob.frequency, 'asap', 'bob chose asap earlier');
    });

    it('GET /me/activities lists what happened to the user, in their language, leaving out types whose stream is off', async () => {
      // frank turned the stream of file.changed off above; file.created he keeps.
      const events = [
        { type: 'file.changed', actor: 'grace', affected: ['frank'], object: { type: 'file', id: '17', name: 'hidden.odt' } },
        { type: 'file.created', actor: 'grace', affected: ['frank'], object: { type: 'file', id: '18', name: 'plan.odt' } },
      ];
      const posted = await api('POST', '/api/v1/events', { token: serviceToken, body: { events } });
      assert.equal(posted.status, 202, posted.text);
      const session = await signIn('frank', 'Copper-kettle-64');
      const reply = await api('GET', '/api/v1/me/activities', { session });
      assert.equal(reply.status, 200, reply.text);
      const { activities } = json<{ activities: Array<{ type: string; actor: string; object: { name: string }; subject: string }> }>(reply);
      assert.deepEqual(
        activities.map((a) => `${a.type} ${a.object.name}`),
        ['file.created plan.odt'],
        reply.text,
      );
      assert.equal(activities[0]?.actor, 'grace');
      assert.match(activities[0]?.subject ?? '', /[\u4e00-\u9fff]/, `frank reads Chinese now: ${activities[0]?.subject}`);
      // The actor finds both in her own list, as her own actions; a bystander finds nothing.
      const grace = await api('GET', '/api/v1/me/activities', { session: await signIn('grace', 'Silver-spoon-75') });
      assert.equal(grace.status, 200, grace.text);
      const own = json<{ activities: Array<{ type: string; own: boolean }> }>(grace).activities;
      assert.deepEqual(
        own.map((a) => `${a.type} ${String(a.own)}`),
        ['file.created true', 'file.changed true'],
      );
      const bystander = await api('GET', '/api/v1/me/activities', { session: await signIn('bob', 'Harbour-wind-18') });
      assert.deepEqual(json<{ activities: unknown[] }>(bystander).activities, []);
      assertError(await api('GET', '/api/v1/me/activities', { token: serviceToken }), 403, 'forbidden');
    });
  });
});
