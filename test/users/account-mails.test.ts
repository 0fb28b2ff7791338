/**
 * The mails about an account itself, end to end as users meet them: the HTTP API (fastify's
 * inject), the real SQLite database, the outbox worker and a real Postfix whose Maildir is each
 * person's inbox. Every link is read out of the delivered mail and followed through the API.
 * Time is a fake clock (the real one plus an offset) so that links expire without sleeping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import type { TestMailroom } from '../support/test-mailroom.ts';
import { outboxIdle as waitForOutbox, outboxTotal } from '../support/mail-fixtures.ts';
import { assertChineseTypography } from '../support/zh-typography.ts';
import { readMaildir, type PostfixServer } from '../support/servers.ts';
import { closeAll } from '../support/close-all.ts';
import { startMailroomWithPostfix } from '../support/postfix-mailroom.ts';

const BASE_URL = 'https://cloud.example.com';
const DOMAIN = 'account-mails.example.org';
const PASSWORD = 'Tulip-Orbit-1987-Quartz';
const NEW_PASSWORD = 'Maple-Harbor-2042-Violet';
const HOUR = 3_600_000;

interface Reply {
  status: number;
  json: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

describe('account mails through a real Postfix: invitation, password changed, address change', () => {
  let postfix: PostfixServer;
  let mailroom: TestMailroom;
  let ctx: AppContext;
  let app: FastifyInstance;
  let adminToken: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  async function api(method: 'GET' | 'POST' | 'PATCH', url: string, options: { body?: unknown; token?: string; cookie?: string; userAgent?: string } = {}): Promise<Reply & { headers: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (options.userAgent !== undefined) headers['user-agent'] = options.userAgent;
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    if (options.cookie !== undefined) headers['cookie'] = options.cookie;
    const res = await app.inject({ method, url, headers, ...(options.body !== undefined ? { payload: options.body as Record<string, unknown> } : {}) });
    return { status: res.statusCode, json: res.body === '' ? {} : (JSON.parse(res.body) as Reply['json']), headers: res.headers };
  }
  const address = (uid: string) => `${uid}@${DOMAIN}`;

  /** Every mail delivered to an address so far, parsed, oldest first. */
  async function inbox(to: string): Promise<ParsedMail[]> {
    // readMaildir gives delivery order; Maildir file names do not (within one second they order by inode).
    const delivered = (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === to);
    return Promise.all(delivered.map((m) => simpleParser(m.raw)));
  }

  /** Waits for the `n`-th mail to an address whose subject matches, and returns it. */
  async function nthMail(to: string, subject: RegExp, n = 1): Promise<ParsedMail> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const matching = (await inbox(to)).filter((m) => subject.test(m.subject ?? ''));
      if (matching.length >= n) return matching[n - 1] as ParsedMail;
      if (Date.now() > deadline) assert.fail(`expected ${n} mail(s) to ${to} with a subject like ${subject}; got: ${(await inbox(to)).map((m) => m.subject).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The link to `path` in a mail, checked to be the same in the text and the HTML part; returns its token. */
  function tokenIn(mail: ParsedMail, path: string): string {
    const pattern = new RegExp(`${BASE_URL.replace(/[.]/g, '\\.')}/${path}/([A-Za-z0-9_-]+)`);
    const match = pattern.exec(mail.text ?? '');
    assert.ok(match, `the text part links to ${BASE_URL}/${path}/…:\n${mail.text}`);
    assert.ok(typeof mail.html === 'string' && mail.html.includes(`href="${match[0]}"`), 'the HTML part has the same link');
    return match[1] as string;
  }

  const outboxIdle = () => waitForOutbox(ctx.outbox, 500);

  const login = (user: string, password: string) => api('POST', '/api/v1/login', { body: { user, password } });
  const appPassword = (uid: string) => ctx.tokens.create(`app-${uid}-${Math.random().toString(36).slice(2)}`, { uid });

  before(async () => {
    ({ postfix, mailroom } = await startMailroomWithPostfix({
      prefix: 'mailroom-account-mails-',
      clock,
      settings: { instance_name: 'Example Cloud', base_url: BASE_URL },
      http: 'inject',
      worker: true,
    }));
    ({ ctx, app } = mailroom);
    await ctx.users.add({ uid: 'root', email: address('root'), password: PASSWORD, admin: true });
    adminToken = await ctx.tokens.create('test-admin');
  });
  after(() => closeAll(mailroom, postfix));

  describe('the welcome invitation', () => {
    it('invitation → set password (no password_changed for the first one) → sign-in works; the link then is spent', async () => {
      const added = await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'nina', display_name: 'Nina Novak', email: address('nina') } });
      assert.equal(added.status, 201, JSON.stringify(added.json));
      const user = added.json['user'] as { password_set: boolean; invitation: { email: string; expires_at: string } };
      assert.equal(user.password_set, false);
      assert.equal(user.invitation.email, address('nina'));
      assert.equal(Date.parse(user.invitation.expires_at) - clock.now().getTime() > 6.9 * 24 * HOUR, true, 'valid for 7 days by default');

      const welcome = await nthMail(address('nina'), /account/i);
      assert.equal(welcome.subject, 'Your Example Cloud account');
      assert.equal(welcome.from?.value[0]?.address, 'mailroom@cloud.example.com');
      assert.deepEqual(welcome.to && !Array.isArray(welcome.to) ? welcome.to.value : undefined, [{ address: address('nina'), name: 'Nina Novak' }], 'To with the display name');
      assert.match(welcome.text ?? '', /nina/, 'the user name');
      assert.ok((welcome.text ?? '').includes(BASE_URL), "the instance's address");
      assert.match(welcome.text ?? '', /7 days/);
      assert.equal(welcome.headers.get('list-unsubscribe'), undefined, 'an account mail has no unsubscribe');
      const token = tokenIn(welcome, 'set-password');

      const page = await api('GET', `/api/v1/invitations/${token}`);
      assert.equal(page.status, 200);
      // Whom the link is for, in their language; the address only masked.
      assert.deepEqual(page.json['invitation'], { uid: 'nina', display_name: 'Nina Novak', email: `n•••@${address('nina').split('@')[1]}`, language: 'en' });
      assert.equal((await login('nina', NEW_PASSWORD)).status, 401, 'no password before the invitation is followed');

      const weak = await api('POST', '/api/v1/invitations/accept', { body: { token, password: 'password1' } });
      assert.equal(weak.status, 400);
      assert.equal(weak.json.error?.code, 'password_too_weak');
      const accepted = await api('POST', '/api/v1/invitations/accept', { body: { token, password: NEW_PASSWORD } });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.json));

      assert.equal((await login('nina', NEW_PASSWORD)).status, 200);
      // The first password is no change to warn of. The next one is: its mail arrives, and by
      // then one for the first password would have too.
      const later = await api('PATCH', '/api/v1/users/nina', { token: adminToken, body: { password: 'Later-Quince-Harbor-64' } });
      assert.equal(later.status, 200, JSON.stringify(later.json));
      const changed = await nthMail(address('nina'), /password was changed/);
      assert.equal(changed.subject, 'Your Example Cloud password was changed');
      assert.ok((changed.text ?? '').includes(`${BASE_URL}/forgot`), 'what to do if it was not you');
      assert.equal((await inbox(address('nina'))).filter((m) => /password was changed/.test(m.subject ?? '')).length, 1, 'none for the first password');

      const again = await api('POST', '/api/v1/invitations/accept', { body: { token, password: 'Another-Strong-Pass-77' } });
      assert.equal(again.status, 400);
      assert.equal(again.json.error?.code, 'invitation_token_invalid');
      assert.match(again.json.error?.message ?? '', /^The token provided is invalid\./);
      const resend = await api('POST', '/api/v1/users/nina/invitation', { token: adminToken });
      assert.equal(resend.status, 409, 'nina has a password now');
      assert.equal(resend.json.error?.code, 'invitation_not_pending');
    });

    it('resend: the newest link works, the older one is refused with "The token provided is invalid."; in Chinese for a Chinese user', async () => {
      const added = await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'lei', display_name: '王磊', email: address('lei'), language: 'zh-CN', timezone: 'Asia/Shanghai' } });
      assert.equal(added.status, 201);
      const first = await nthMail(address('lei'), /账号|帐号|账户/);
      assert.match(first.text ?? '', /[\u4e00-\u9fff]/);
      const oldToken = tokenIn(first, 'set-password');

      const resent = await api('POST', '/api/v1/users/lei/invitation', { token: adminToken });
      assert.equal(resent.status, 202, JSON.stringify(resent.json));
      const second = await nthMail(address('lei'), /账号|帐号|账户/, 2);
      const newToken = tokenIn(second, 'set-password');
      assert.notEqual(newToken, oldToken);

      for (const attempt of [api('GET', `/api/v1/invitations/${oldToken}`), api('POST', '/api/v1/invitations/accept', { body: { token: oldToken, password: NEW_PASSWORD } })]) {
        const reply = await attempt;
        assert.equal(reply.status, 400);
        assert.equal(reply.json.error?.code, 'invitation_token_invalid');
        assert.match(reply.json.error?.message ?? '', /^The token provided is invalid\./);
      }
      const accepted = await api('POST', '/api/v1/invitations/accept', { body: { token: newToken, password: NEW_PASSWORD } });
      assert.equal(accepted.status, 200);
      assert.equal((await login('lei', NEW_PASSWORD)).status, 200);
      // No mail about the first password; a later change gets one, in Chinese.
      const later = await api('PATCH', '/api/v1/users/lei', { token: adminToken, body: { password: 'Later-Quince-Harbor-64' } });
      assert.equal(later.status, 200, JSON.stringify(later.json));
      const changed = await nthMail(address('lei'), /密码/);
      assert.match(changed.text ?? '', /[\u4e00-\u9fff]/);
      assert.equal((await inbox(address('lei'))).filter((m) => /密码/.test(m.subject ?? '')).length, 1, 'none for the first password');
    });

    it('an invitation expires after invitation_expiry_days', async () => {
      await ctx.settings.update({ invitation_expiry_days: 2 });
      try {
        await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'otto', email: address('otto') } });
        const token = tokenIn(await nthMail(address('otto'), /account/i), 'set-password');
        assert.match((await nthMail(address('otto'), /account/i)).text ?? '', /2 days/);
        await outboxIdle();
        offsetMs += 2 * 24 * HOUR + 60_000;
        const late = await api('POST', '/api/v1/invitations/accept', { body: { token, password: NEW_PASSWORD } });
        assert.equal(late.status, 400);
        assert.equal(late.json.error?.code, 'invitation_token_expired');
      } finally {
        await ctx.settings.update({ invitation_expiry_days: null });
      }
    });

    it('no invitation without an address, with invite: false, or with a password; refusals say why', async () => {
      await outboxIdle();
      const before = await outboxTotal(ctx.outbox);
      const noAddress = await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'paul' } });
      assert.equal(noAddress.status, 201);
      assert.equal((noAddress.json['user'] as Record<string, unknown>)['invitation'], undefined);
      const quiet = await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'quinn', email: address('quinn'), invite: false } });
      assert.equal(quiet.status, 201);
      const withPassword = await api('POST', '/api/v1/users', { token: adminToken, body: { uid: 'rosa', email: address('rosa'), password: PASSWORD } });
      assert.equal(withPassword.status, 201);
      await outboxIdle();
      assert.equal(await outboxTotal(ctx.outbox), before, 'nothing queued');

      const resendNoAddress = await api('POST', '/api/v1/users/paul/invitation', { token: adminToken });
      assert.equal(resendNoAddress.status, 400);
      assert.equal(resendNoAddress.json.error?.code, 'no_recipient');
      const resendUnknown = await api('POST', '/api/v1/users/nobody/invitation', { token: adminToken });
      assert.equal(resendUnknown.status, 404);
      // quinn was added without the mail; the admin sends it later.
      const later = await api('POST', '/api/v1/users/quinn/invitation', { token: adminToken });
      assert.equal(later.status, 202);
      tokenIn(await nthMail(address('quinn'), /account/i), 'set-password');
      const notAdmin = await api('POST', '/api/v1/users/quinn/invitation', { token: await appPassword('rosa') });
      assert.equal(notAdmin.status, 403);
    });
  });

  describe('password_changed', () => {
    it('after a reset through the mailed link', async () => {
      await ctx.users.add({ uid: 'sam', email: address('sam'), password: PASSWORD, language: 'zh-CN' });
      const requested = await api('POST', '/api/v1/password-reset', { body: { user: 'sam' } });
      assert.equal(requested.status, 202);
      const token = tokenIn(await nthMail(address('sam'), /重置/), 'reset');
      const confirmed = await api('POST', '/api/v1/password-reset/confirm', { body: { token, password: NEW_PASSWORD }, userAgent: CHROME_ANDROID });
      assert.equal(confirmed.status, 200);
      const changed = await nthMail(address('sam'), /密码已更改|密码已修改|密码被更改|密码已被/);
      assert.ok((changed.text ?? '').includes(`${BASE_URL}/forgot`));
      // Where the reset came from, in Chinese, spaced by the rule.
      assert.match(changed.text ?? '', /^此次更改来自 IP 地址 127\.0\.0\.1（Android 上的 Chrome）。$/m);
      assert.match(changed.text ?? '', /（UTC）修改。/, 'the time names its zone');
    });

    it("after a change on the personal page, with the time of the change in the user's zone", async () => {
      await ctx.users.add({ uid: 'tia', email: address('tia'), password: PASSWORD, timezone: 'Asia/Kolkata' });
      const reply = await api('PATCH', '/api/v1/me', { token: await appPassword('tia'), body: { password: NEW_PASSWORD, current_password: PASSWORD }, userAgent: FIREFOX_WINDOWS });
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      const changed = await nthMail(address('tia'), /password was changed/);
      const kolkata = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'Asia/Kolkata' }).format(clock.now());
      assert.ok((changed.text ?? '').includes(kolkata), `the date ${kolkata} in the text:\n${changed.text}`);
      assert.match(changed.text ?? '', /was changed on .+ GMT\+5:30\.\n/, 'the time names its zone');
      assert.match(changed.text ?? '', /^The change was made from 127\.0\.0\.1 \(Firefox on Windows\)\.$/m);
      assert.match(changed.html as string, /The change was made from 127\.0\.0\.1 \(Firefox on Windows\)\./);
      assert.doesNotMatch(changed.text ?? '', /Mozilla|Gecko/, 'never the User-Agent header itself');
    });

    it('after an admin sets it, and not for other changes', async () => {
      await ctx.users.add({ uid: 'uma', email: address('uma'), password: PASSWORD });
      await api('PATCH', '/api/v1/users/uma', { token: adminToken, body: { display_name: 'Uma U', timezone: 'Europe/Berlin' } });
      await api('PATCH', '/api/v1/users/uma', { token: adminToken, body: { password: NEW_PASSWORD } });
      const changed = await nthMail(address('uma'), /password was changed/);
      await outboxIdle();
      assert.equal((await inbox(address('uma'))).length, 1, 'one mail: the password change, not the name or zone change');
      assert.match(changed.text ?? '', /GMT\+1\.\n/, 'in her new zone, named');
      assert.match(changed.text ?? '', /^The change was made from 127\.0\.0\.1/m, "the admin's request is a web request too");
      // Not through the web (the CLI, a host application calling the service): the time alone.
      await ctx.users.modify('uma', { password: PASSWORD });
      const fromCli = await nthMail(address('uma'), /password was changed/, 2);
      assert.match(fromCli.text ?? '', /GMT\+1\.\n/);
      assert.doesNotMatch(fromCli.text ?? '', /The change was made from/);
    });
  });

  describe("changing one's address", () => {
    it('confirmed: the new address gets the link, the change waits for it, then the old address is told', async () => {
      await ctx.users.add({ uid: 'vera', display_name: 'Vera V', email: address('vera'), password: PASSWORD });
      const app_ = await appPassword('vera');
      const noPassword = await api('PATCH', '/api/v1/me', { token: app_, body: { email: address('vera.new') } });
      assert.equal(noPassword.status, 403, 'the current password is needed');

      const asked = await api('PATCH', '/api/v1/me', { token: app_, body: { email: address('vera.new'), current_password: PASSWORD } });
      assert.equal(asked.status, 200, JSON.stringify(asked.json));
      assert.equal((asked.json['user'] as { email: string }).email, address('vera'), 'not changed yet');
      assert.equal(asked.json['pending_email'], address('vera.new'));
      assert.equal((await api('GET', '/api/v1/me', { token: app_ })).json['pending_email'], address('vera.new'));

      const verify = await nthMail(address('vera.new'), /Confirm/);
      assert.equal(verify.subject, 'Confirm your new email address for Example Cloud');
      assert.ok((verify.text ?? '').includes(address('vera.new')));
      assert.match(verify.text ?? '', /24 hours/);
      const token = tokenIn(verify, 'confirm-email');

      const confirmed = await api('POST', '/api/v1/email-change/confirm', { body: { token } });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.json));
      assert.equal(confirmed.json['email'], address('vera.new'));
      const me = await api('GET', '/api/v1/me', { token: app_ });
      assert.equal((me.json['user'] as { email: string }).email, address('vera.new'));
      assert.equal(me.json['pending_email'], null);

      const notice = await nthMail(address('vera'), /address was changed/);
      assert.equal(notice.subject, 'Your Example Cloud email address was changed');
      assert.ok((notice.text ?? '').includes(address('vera')) && (notice.text ?? '').includes(address('vera.new')), 'old and new address');
      assert.ok((notice.text ?? '').includes(`${BASE_URL}/forgot`));

      const twice = await api('POST', '/api/v1/email-change/confirm', { body: { token } });
      assert.equal(twice.status, 400);
      assert.equal(twice.json.error?.code, 'email_change_token_invalid');
      // Mails now go to the new address: a reset request proves it.
      await api('POST', '/api/v1/password-reset', { body: { user: 'vera' } });
      await nthMail(address('vera.new'), /Reset/);
    });

    it('"it was not me": the undo link in the notice puts the old address back and signs the intruder out, even after a second change', async () => {
      await ctx.users.add({ uid: 'zoe', email: address('zoe'), password: PASSWORD });
      // Someone who knows zoe's password signs in, makes an app password and moves the address twice.
      const intruder = await login('zoe', PASSWORD);
      assert.equal(intruder.status, 200);
      const cookie = String((intruder.headers['set-cookie'] as string).split(';')[0]);
      const intruderApp = await appPassword('zoe');
      for (const [n, target] of [address('zoe.evil'), address('zoe.evil2')].entries()) {
        await api('PATCH', '/api/v1/me', { token: intruderApp, body: { email: target, current_password: PASSWORD } });
        const verify = await nthMail(target, /Confirm/);
        assert.equal((await api('POST', '/api/v1/email-change/confirm', { body: { token: tokenIn(verify, 'confirm-email') } })).status, 200, `change ${n + 1}`);
      }
      const notice = await nthMail(address('zoe'), /address was changed/);
      const undo = tokenIn(notice, 'undo-email');
      assert.ok((notice.text ?? '').includes(`${BASE_URL}/forgot`), 'and then reset the password');

      const undone = await api('POST', '/api/v1/email-change/undo', { body: { token: undo } });
      assert.equal(undone.status, 200, JSON.stringify(undone.json));
      assert.equal(undone.json['email'], address('zoe'));
      assert.equal((await ctx.users.get('zoe')).email, address('zoe'));
      assert.equal((await api('GET', '/api/v1/me', { cookie })).status, 401, 'the session ended');
      assert.equal((await api('GET', '/api/v1/me', { token: intruderApp })).status, 401, 'the app password was revoked');
      // A reset now reaches the owner, not the intruder.
      await api('POST', '/api/v1/password-reset', { body: { user: 'zoe' } });
      await nthMail(address('zoe'), /Reset/);
      const again = await api('POST', '/api/v1/email-change/undo', { body: { token: undo } });
      assert.equal(again.status, 400);
      assert.equal(again.json.error?.code, 'email_change_token_invalid');
    });

    it('never confirmed: the address stays, the link expires after 24 hours, the old address hears nothing', async () => {
      await ctx.users.add({ uid: 'walt', email: address('walt'), password: PASSWORD, language: 'zh-CN' });
      const asked = await api('PATCH', '/api/v1/me', { token: await appPassword('walt'), body: { email: address('walt.new'), current_password: PASSWORD } });
      assert.equal(asked.status, 200);
      const verify = await nthMail(address('walt.new'), /确认|验证/);
      assert.match(verify.text ?? '', /[\u4e00-\u9fff]/);
      const token = tokenIn(verify, 'confirm-email');
      // The page of the link asks first whom it is for: the account, in its language, the new address masked.
      const checked = await api('GET', `/api/v1/email-change/confirm/${token}`);
      assert.equal(checked.status, 200, JSON.stringify(checked.json));
      assert.deepEqual(checked.json['email_change'], { uid: 'walt', display_name: 'walt', email: `w•••@${DOMAIN}`, language: 'zh-CN' });
      const wrongKind = await api('GET', `/api/v1/email-change/undo/${token}`);
      assert.equal(wrongKind.json.error?.code, 'email_change_token_invalid', 'a confirmation link is no undo link');
      await outboxIdle();
      offsetMs += 24 * HOUR + 60_000;
      const expiredCheck = await api('GET', `/api/v1/email-change/confirm/${token}`);
      const unknownCheck = await api('GET', `/api/v1/email-change/confirm/${'Z'.repeat(43)}`);
      assert.equal(expiredCheck.status, 400);
      assert.equal(expiredCheck.json.error?.code, 'email_change_token_invalid', 'an expired link is answered as an unknown one');
      assert.deepEqual(expiredCheck.json, unknownCheck.json);
      const late = await api('POST', '/api/v1/email-change/confirm', { body: { token } });
      assert.equal(late.status, 400);
      assert.equal(late.json.error?.code, 'email_change_token_expired');
      assert.equal((await ctx.users.get('walt')).email, address('walt'));
      await outboxIdle();
      assert.equal((await inbox(address('walt'))).length, 0, 'no notice to the old address');
    });

    it('a newer request replaces the older link; an admin sets an address directly, with no mail', async () => {
      await ctx.users.add({ uid: 'xena', email: address('xena'), password: PASSWORD });
      const app_ = await appPassword('xena');
      await api('PATCH', '/api/v1/me', { token: app_, body: { email: address('xena.one'), current_password: PASSWORD } });
      const first = tokenIn(await nthMail(address('xena.one'), /Confirm/), 'confirm-email');
      await api('PATCH', '/api/v1/me', { token: app_, body: { email: address('xena.two'), current_password: PASSWORD } });
      const second = tokenIn(await nthMail(address('xena.two'), /Confirm/), 'confirm-email');
      const stale = await api('POST', '/api/v1/email-change/confirm', { body: { token: first } });
      assert.equal(stale.json.error?.code, 'email_change_token_invalid');
      assert.equal((await api('POST', '/api/v1/email-change/confirm', { body: { token: second } })).status, 200);
      assert.equal((await ctx.users.get('xena')).email, address('xena.two'));

      // The confirmation owes a notice to the old address: let it be rendered and sent first.
      await outboxIdle();
      const before = await outboxTotal(ctx.outbox);
      const direct = await api('PATCH', '/api/v1/users/xena', { token: adminToken, body: { email: address('xena.admin') } });
      assert.equal(direct.status, 200);
      assert.equal((direct.json['user'] as { email: string }).email, address('xena.admin'));
      await outboxIdle();
      assert.equal(await outboxTotal(ctx.outbox), before, 'an admin change sends nothing');
    });

    it('in Chinese for a Chinese user: the confirmation to the new address and the notice to the old', async () => {
      await ctx.users.add({ uid: 'yan', display_name: '严明', email: address('yan'), password: PASSWORD, language: 'zh-CN', timezone: 'Asia/Shanghai' });
      await api('PATCH', '/api/v1/me', { token: await appPassword('yan'), body: { email: address('yan.new'), current_password: PASSWORD } });
      const verify = await nthMail(address('yan.new'), /邮箱/);
      assert.match(verify.text ?? '', /[\u4e00-\u9fff]/);
      assert.equal((await api('POST', '/api/v1/email-change/confirm', { body: { token: tokenIn(verify, 'confirm-email') }, userAgent: FIREFOX_WINDOWS })).status, 200);
      const notice = await nthMail(address('yan'), /邮箱已更改/);
      assert.match(notice.subject ?? '', /^【Example Cloud】/);
      assert.ok((notice.text ?? '').includes(address('yan.new')));
      tokenIn(notice, 'undo-email');
      const shanghai = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeZone: 'Asia/Shanghai' }).format(clock.now());
      assert.ok((notice.text ?? '').includes(shanghai), `the time of the change in Shanghai (${shanghai}):\n${notice.text}`);
      assert.match(notice.text ?? '', /已于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}（GMT\+8）由 yan@/);
      assert.match(notice.text ?? '', /^此次更改来自 IP 地址 127\.0\.0\.1（Windows 上的 Firefox）。$/m);
      assertChineseTypography(notice.subject ?? '', 'subject');
      assertChineseTypography(notice.text ?? '', 'text');
    });

    it('refuses a bad new address before anything is mailed', async () => {
      await ctx.users.add({ uid: 'yuri', email: address('yuri'), password: PASSWORD });
      await outboxIdle();
      const before = await outboxTotal(ctx.outbox);
      const bad = await api('PATCH', '/api/v1/me', { token: await appPassword('yuri'), body: { email: 'a@b@c', current_password: PASSWORD } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error?.code, 'invalid_address');
      await outboxIdle();
      assert.equal(await outboxTotal(ctx.outbox), before);
    });
  });
});
