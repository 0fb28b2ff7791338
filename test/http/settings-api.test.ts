import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { settingKeys } from '../../src/config/settings-schema.ts';
import type { SettingView } from '../../src/config/settings-service.ts';
import type { AppContext } from '../../src/context.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { buildApp } from '../../src/http/build-app.ts';
import type { MailTestService } from '../../src/mail/mail-test-service.ts';
import type { DetectReport } from '../../src/mail/detect-service.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { freePort, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startTestMailroom, type TestMailroom } from '../support/test-mailroom.ts';
import { closeAll } from '../support/close-all.ts';
import { injectRequest } from '../support/inject.ts';
import type { ApiErrorBody } from '../../src/http/error-handler.ts';

type TestMailReport = Awaited<ReturnType<MailTestService['sendTestMail']>>;

interface SettingsBody {
  settings: SettingView[];
}

interface Reply {
  status: number;
  /** The body exactly as sent, to check what must never appear in it. */
  text: string;
}

type Method = 'GET' | 'PATCH' | 'POST';

function json<T>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

function errorCode(reply: Reply): ErrorCode {
  return json<ApiErrorBody>(reply).error.code;
}

function view(settings: SettingsBody, key: string): SettingView {
  const found = settings.settings.find((s) => s.key === key);
  assert.ok(found, `the settings list has ${key}`);
  return found;
}

describe('the mail settings API on a real server and database', () => {
  let mailroom: TestMailroom | undefined;
  let ctx: AppContext;
  /** The same Mailroom's app once more, for requests through inject. */
  let app: FastifyInstance;
  let token: string;

  /** Over the network, as a browser or script would call it. */
  async function fetchApi(method: Method, path: string, options: { token?: string; body?: unknown } = {}): Promise<Reply> {
    assert.ok(mailroom, 'the server is running');
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${mailroom.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  }

  /** In-process through the same app; `raw` sends a body as given instead of as JSON of it. */
  function api(method: Method, path: string, options: { token?: string | null; body?: unknown; raw?: string } = {}): Promise<Reply> {
    return injectRequest(app, method, path, { ...options, token: options.token === undefined ? token : options.token });
  }

  async function getSettings(): Promise<SettingsBody> {
    const reply = await api('GET', '/api/v1/settings/mail');
    assert.equal(reply.status, 200, reply.text);
    return json<SettingsBody>(reply);
  }

  async function patch(body: Record<string, unknown>): Promise<Reply> {
    return api('PATCH', '/api/v1/settings/mail', { body });
  }

  before(async () => {
    const port = await freePort();
    mailroom = await startTestMailroom({
      prefix: 'mailroom-api-test-',
      env: { MAILROOM_PORT: String(port), MAILROOM_MAIL_SMTPTIMEOUT: '3', MAILROOM_INSTANCE_NAME: 'Env Cloud' },
      http: 'listen',
    });
    ctx = mailroom.ctx;
    token = await ctx.tokens.create('test');
    app = buildApp(ctx);
    await app.ready();
  });

  after(() => closeAll(app, mailroom));

  it('answers GET /healthz with 200 and the database it uses, on a real port', async () => {
    const reply = await fetchApi('GET', '/healthz');
    assert.equal(reply.status, 200);
    const body = json<{ status: string; database: string }>(reply);
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.database, 'string');
  });

  it('refuses the settings without a token with 401 unauthorized', async () => {
    const reply = await fetchApi('GET', '/api/v1/settings/mail');
    assert.equal(reply.status, 401);
    assert.equal(errorCode(reply), 'unauthorized');
  });

  it('refuses the settings with a wrong token with 401 unauthorized', async () => {
    const reply = await fetchApi('GET', '/api/v1/settings/mail', { token: 'mr_not-a-real-token' });
    assert.equal(reply.status, 401);
    assert.equal(errorCode(reply), 'unauthorized');
    const notBearer = await api('GET', '/api/v1/settings/mail', { token: null });
    assert.equal(notBearer.status, 401, 'and without one in-process too');
  });

  it('shows every setting to an admin token, the unset password only as isSet false and the env key as locked', async () => {
    const reply = await fetchApi('GET', '/api/v1/settings/mail', { token });
    assert.equal(reply.status, 200);
    const body = json<SettingsBody>(reply);
    assert.deepEqual(body.settings.map((s) => s.key).sort(), [...settingKeys].sort());
    const password = view(body, 'mail_smtppassword');
    assert.equal(password.value, null);
    assert.equal(password.isSet, false);
    assert.equal(password.secret, true);
    const { value, source, locked, lockedBy } = view(body, 'instance_name');
    assert.deepEqual({ value, source, locked, lockedBy }, { value: 'Env Cloud', source: 'env', locked: true, lockedBy: 'env' });
    assert.equal(view(body, 'mail_smtptimeout').value, 3);
    assert.equal(view(body, 'mail_smtpport').source, 'default');
  });

  it('saves a password but never sends it back, only isSet true', async () => {
    const saved = await patch({ mail_smtppassword: 'pw-123456' });
    assert.equal(saved.status, 200, saved.text);
    assert.ok(!saved.text.includes('pw-123456'), 'the PATCH answer does not hold the password');
    const reply = await api('GET', '/api/v1/settings/mail');
    assert.equal(reply.status, 200);
    assert.ok(!reply.text.includes('pw-123456'), 'the GET answer does not hold the password');
    assert.ok(!reply.text.includes(Buffer.from('pw-123456').toString('base64')), 'nor its base64');
    const password = view(json<SettingsBody>(reply), 'mail_smtppassword');
    assert.equal(password.value, null);
    assert.equal(password.isSet, true);
    assert.equal(password.source, 'database');
  });

  it('saves a changed port at once, so the next GET shows it from the database', async () => {
    const reply = await patch({ mail_smtpport: 587 });
    assert.equal(reply.status, 200, reply.text);
    const port = view(await getSettings(), 'mail_smtpport');
    assert.equal(port.value, 587);
    assert.equal(port.source, 'database');
  });

  it('refuses to change a key the environment sets with 409 setting_locked', async () => {
    const reply = await patch({ instance_name: 'x' });
    assert.equal(reply.status, 409);
    const body = json<ApiErrorBody>(reply);
    assert.equal(body.error.code, 'setting_locked');
    assert.match(body.error.message, /MAILROOM_INSTANCE_NAME/);
    assert.equal(view(await getSettings(), 'instance_name').value, 'Env Cloud');
  });

  it('saves nothing when one of the changed keys is invalid (400 config_invalid_value)', async () => {
    const before = view(await getSettings(), 'mail_smtpport').value;
    assert.notEqual(before, 2525);
    const reply = await patch({ mail_smtpport: 2525, mail_smtpmode: 'smtps' });
    assert.equal(reply.status, 400);
    const body = json<ApiErrorBody>(reply);
    assert.equal(body.error.code, 'config_invalid_value');
    assert.equal(body.error.details?.['key'], 'mail_smtpmode');
    const after = await getSettings();
    assert.equal(view(after, 'mail_smtpport').value, before);
    assert.equal(view(after, 'mail_smtpmode').value, 'capture');
  });

  it('saves none of the changes when a key to unset is locked or unknown', async () => {
    const before = view(await getSettings(), 'mail_smtpport').value;
    assert.notEqual(before, 2526);
    const locked = await patch({ mail_smtpport: 2526, instance_name: null });
    assert.equal(locked.status, 409);
    assert.equal(errorCode(locked), 'setting_locked');
    const unknown = await patch({ mail_smtpport: 2526, mail_smtphots: null });
    assert.equal(unknown.status, 400);
    assert.equal(errorCode(unknown), 'config_unknown_key');
    assert.equal(view(await getSettings(), 'mail_smtpport').value, before);
  });

  it('refuses an unknown key with 400 config_unknown_key and suggests the likely one', async () => {
    const reply = await patch({ mail_smtphots: 'mail.example.com' });
    assert.equal(reply.status, 400);
    const body = json<ApiErrorBody>(reply);
    assert.equal(body.error.code, 'config_unknown_key');
    assert.equal(body.error.details?.['suggestion'], 'mail_smtphost');
  });

  it('refuses a line break in a header setting with 400 header_injection and keeps the old value', async () => {
    const reply = await patch({ mail_from_address: 'a\r\nBcc: x@evil' });
    assert.equal(reply.status, 400);
    assert.equal(errorCode(reply), 'header_injection');
    assert.equal(view(await getSettings(), 'mail_from_address').value, 'mailroom');
  });

  it('unsets a key given as null, back to its default', async () => {
    assert.equal((await patch({ mail_smtpport: 587 })).status, 200);
    const reply = await patch({ mail_smtpport: null });
    assert.equal(reply.status, 200, reply.text);
    const port = view(json<SettingsBody>(reply), 'mail_smtpport');
    assert.equal(port.value, 25);
    assert.equal(port.source, 'default');
    assert.equal(view(await getSettings(), 'mail_smtpport').source, 'default');
  });

  it('refuses a body over 1 MiB with 413 payload_too_large', async () => {
    const raw = JSON.stringify({ mail_smtpname: 'x'.repeat(1024 * 1024 + 16) });
    const reply = await api('PATCH', '/api/v1/settings/mail', { raw });
    assert.equal(reply.status, 413);
    assert.equal(errorCode(reply), 'payload_too_large');
  });

  it('answers an unknown route with 404 not_found', async () => {
    const reply = await api('GET', '/api/v1/no-such-thing');
    assert.equal(reply.status, 404);
    assert.equal(errorCode(reply), 'not_found');
  });

  describe('test mail and detection against a real Postfix', () => {
    let postfix: PostfixServer;
    const password = 'Api-Test-Secret-42';

    before(async () => {
      postfix = await startPostfix({ pass: password });
      const reply = await patch({ ...postfixSettings(postfix), mail_domain: 'example.com' });
      assert.equal(reply.status, 200, reply.text);
    });

    after(async () => {
      await postfix?.stop();
    });

    it('sends the test mail through the saved settings and shows a transcript without the password', async () => {
      const reply = await fetchApi('POST', '/api/v1/settings/mail/test', { token, body: { to: 'api@example.com', debug: true } });
      assert.equal(reply.status, 200, reply.text);
      const report = json<TestMailReport>(reply);
      assert.equal(report.ok, true, reply.text);
      assert.equal(report.to, 'api@example.com');
      assert.equal(typeof report.transcript, 'string');
      assert.match(report.transcript ?? '', /C: STARTTLS/);
      assert.match(report.transcript ?? '', /C: AUTH PLAIN \*\*\*/, 'the AUTH line is shown, its credentials masked');
      assert.match(report.transcript ?? '', /S: 235 /);
      for (const secret of [password, Buffer.from(password).toString('base64'), Buffer.from(`\0${postfix.user}\0${password}`).toString('base64')]) {
        assert.ok(!reply.text.includes(secret), `the answer does not hold ${secret}`);
      }
      const mail = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'api@example.com');
      assert.equal(mail.headers.get('subject'), 'Email setting test');
      const parsed = await simpleParser(mail.raw);
      assert.equal(parsed.from?.value[0]?.address, 'mailroom@example.com');
      assert.equal(parsed.from?.value[0]?.name, 'Env Cloud');
    });

    it('sends the test mail in Chinese when asked for zh-CN', async () => {
      const reply = await api('POST', '/api/v1/settings/mail/test', { body: { to: 'api-zh@example.com', language: 'zh-CN' } });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(json<TestMailReport>(reply).ok, true, reply.text);
      assert.equal(json<TestMailReport>(reply).transcript, undefined, 'no transcript without debug');
      const mail = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'api-zh@example.com');
      const parsed = await simpleParser(mail.raw);
      assert.equal(parsed.subject, '邮件设置测试');
      assert.match(parsed.text ?? '', /邮件设置是正确的/);
    });

    it('refuses a malformed recipient with 400 invalid_address', async () => {
      const reply = await api('POST', '/api/v1/settings/mail/test', { body: { to: 'x@' } });
      assert.equal(reply.status, 400);
      assert.equal(errorCode(reply), 'invalid_address');
    });

    it('detects STARTTLS on the Postfix port and recommends mail_smtpsecure tls', async () => {
      const reply = await api('POST', '/api/v1/settings/mail/detect', { body: { host: `127.0.0.1:${postfix.smtpPort}` } });
      assert.equal(reply.status, 200, reply.text);
      const report = json<DetectReport>(reply);
      assert.equal(report.recommended?.mail_smtpsecure, 'tls', reply.text);
      assert.equal(report.recommended?.mail_smtpport, postfix.smtpPort);
      assert.equal(report.recommended?.mail_smtphost, '127.0.0.1');
      // The certificate passed only with the CA given: said as data and as the English note.
      assert.deepEqual(report.findings, [{ kind: 'ca_checked' }], reply.text);
      assert.match(report.notes[0] ?? '', /^The certificate was checked with the CA you gave/);
    });

    it('reports a wrong password as ok false with smtp_auth_failed, and still answers 200', async () => {
      assert.equal((await patch({ mail_smtppassword: 'wrong-password' })).status, 200);
      const reply = await api('POST', '/api/v1/settings/mail/test', { body: { to: 'api-fail@example.com', debug: true } });
      assert.equal(reply.status, 200, reply.text);
      const report = json<TestMailReport>(reply);
      assert.equal(report.ok, false);
      assert.equal(report.error?.code, 'smtp_auth_failed', reply.text);
      assert.ok(!reply.text.includes('wrong-password'), 'the transcript does not hold the wrong password either');
    });
  });
});
