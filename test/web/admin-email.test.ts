/**
 * The admin's "Email server" page in a real browser (chromium) against a real Mailroom and the
 * suite's real Postfix: the admin signs in, fills in the wizard field by field (each field saves
 * on its own and says "Saved"), sends the test mail, which arrives in Postfix's Maildir, then
 * breaks the password and reads the diagnosis and the SMTP conversation on the page. A setting
 * fixed by the environment is read-only with its reason, and a value out of range is refused
 * next to its field with nothing saved.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, SCREENSHOT_DIR, descriptionOf, eventually, launchBrowser, screenshot, signIn, startMailroom, typeInto, waitForDescription, type MailroomInstance, type TestBrowser, sendTestMail, testMailSent } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { freePort, readMaildir, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import type { SettingView } from '../../src/config/settings-service.ts';

/** Not Postfix's default "testpass": a password that could not turn up in a transcript by chance. */
const SMTP_PASSWORD = 'Kestrel-Meadow-5821';
const WRONG_PASSWORD = 'Wrong-Guess-0042';
/** Fixed by the environment, so the page must show the timeout read-only. */
const LOCKED_TIMEOUT = '7';

describe('the Email server page, against a real Postfix', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser] = await Promise.all([startPostfix({ pass: SMTP_PASSWORD }), launchBrowser()]);
    mailroom = await startMailroom({ env: { MAILROOM_MAIL_SMTPTIMEOUT: LOCKED_TIMEOUT } });
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    // Not in the wizard: the CA of Postfix's self-signed certificate, as an admin sets it with
    // `mailroom config:set mail_smtptls_ca`. And the server address a previous admin left
    // behind, so that entering Postfix's address in the wizard is a change that must be saved.
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtptls_ca: postfix.certPath, mail_smtphost: 'mail.example.invalid' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  after(() => closeAll(browser, mailroom, postfix));

  /** A setting as the API shows it to an admin. */
  async function setting(key: string): Promise<SettingView> {
    const r = await mailroom.api<{ settings: SettingView[] }>('GET', '/api/v1/settings/mail');
    assert.equal(r.status, 200);
    const found = r.body.settings.find((s) => s.key === key);
    assert.ok(found, `the API lists ${key}`);
    return found;
  }

  /** After a change in the page: the field says "Saved", and the API has the value from the database. */
  async function assertSaved(page: Page, label: string, key: string, want: string | number | boolean, exact = true) {
    const field = page.getByLabel(label, { exact });
    await waitForDescription(field, /✓ Saved/);
    const s = await setting(key);
    assert.deepEqual({ value: s.value, source: s.source }, { value: want, source: 'database' }, `${key} after changing "${label}"`);
  }

  it('is filled in field by field, sends a test mail that arrives, and diagnoses a wrong password without showing it', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
      // A fresh install captures mails, and says so.
      await page.getByRole('status').filter({ hasText: 'Mails are captured, not sent' }).waitFor();

      await page.getByLabel('Send mode').selectOption({ label: 'SMTP' });
      await assertSaved(page, 'Send mode', 'mail_smtpmode', 'smtp');
      await page.getByRole('status').filter({ hasText: 'Mails are captured, not sent' }).waitFor({ state: 'detached' });
      // The SMTP fields appear with the mode.
      await page.getByLabel('Encryption').selectOption({ label: 'STARTTLS required (usually port 587)' });
      await assertSaved(page, 'Encryption', 'mail_smtpsecure', 'tls');

      await typeInto(page.getByLabel('From address, the part before @'), 'cloud');
      await assertSaved(page, 'From address, the part before @', 'mail_from_address', 'cloud');
      await typeInto(page.getByLabel('Mail domain, the part after @'), 'example.org');
      await assertSaved(page, 'Mail domain, the part after @', 'mail_domain', 'example.org');

      await page.getByLabel('Authentication required').check();
      await assertSaved(page, 'Authentication required', 'mail_smtpauth', true);
      await page.getByLabel('Authentication method').selectOption({ label: 'PLAIN' });
      await assertSaved(page, 'Authentication method', 'mail_smtpauthtype', 'PLAIN');

      assert.equal(await page.getByLabel('Server address').inputValue(), 'mail.example.invalid', 'the page shows the saved server');
      await typeInto(page.getByLabel('Server address'), postfix.host);
      await assertSaved(page, 'Server address', 'mail_smtphost', postfix.host);
      assert.equal(await page.getByLabel('Mail server to probe').inputValue(), postfix.host, 'the probe follows the server entered');
      await typeInto(page.getByLabel('Port'), String(postfix.smtpPort));
      await assertSaved(page, 'Port', 'mail_smtpport', postfix.smtpPort);

      await typeInto(page.getByLabel('User name'), postfix.user);
      await assertSaved(page, 'User name', 'mail_smtpname', postfix.user);
      const password = page.getByLabel('Password', { exact: true });
      assert.equal(await password.getAttribute('type'), 'password');
      await page.getByText('No password saved.').waitFor();
      await typeInto(password, SMTP_PASSWORD);
      await waitForDescription(password, /✓ Saved/);
      // Write-only: the API says a password is set and never shows it; the field is emptied.
      const saved = await setting('mail_smtppassword');
      assert.equal(saved.isSet, true);
      assert.ok(!JSON.stringify(saved).includes(SMTP_PASSWORD), 'the API does not return the password');
      assert.equal((await mailroom.ctx.settings.get()).mail_smtppassword, SMTP_PASSWORD, 'the password saved is the one typed');
      assert.equal(await password.inputValue(), '');
      await page.getByText('A password is saved. Type a new one to replace it.').waitFor();

      // The test mail, through Postfix.
      const to = 'wizard-check@example.org';
      await sendTestMail(page, to);
      await testMailSent(page, to).waitFor();
      const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);
      const mail = await simpleParser(delivered.raw);
      assert.equal(mail.from?.value[0]?.address, 'cloud@example.org', 'the sender is the from address entered in the wizard');
      assert.match(mail.text ?? '', /If you received this email, the settings seem to be correct\./);
      assert.equal(await page.getByText('SMTP conversation', { exact: true }).count(), 0, 'no conversation without debug');

      await screenshot(page, 'admin-email-server.png');

      // A wrong password: saved like any change, and the test mail names the cause.
      await typeInto(password, WRONG_PASSWORD);
      // The field said "Saved" already, for the first password: wait for the new one to be stored.
      await eventually(async () => (await mailroom.ctx.settings.get()).mail_smtppassword === WRONG_PASSWORD, 'the new password is saved');
      await waitForDescription(password, /✓ Saved/);
      await page.getByLabel('Show the SMTP conversation with the test mail').check();
      await assertSaved(page, 'Show the SMTP conversation with the test mail', 'mail_smtpdebug', true);

      const before = (await readMaildir(postfix.maildir)).length;
      await sendTestMail(page, 'wrong-password@example.org');
      const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
      await failure.waitFor();
      const failureText = await failure.innerText();
      assert.match(failureText, /smtp_auth_failed/);
      assert.match(failureText, /refused the user name or password/, 'the diagnosis says what was refused');
      assert.match(failureText, /Check User name \(mail_smtpname\), Password \(mail_smtppassword\)\./, "and names the fields to check by the page's labels");
      assert.doesNotMatch(failureText, /check mail_smtpname and mail_smtppassword/, "the CLI's words are for the CLI");
      assert.match(failureText, /535/, "Postfix's reply is shown");
      assert.ok(!failureText.includes(WRONG_PASSWORD), 'the diagnosis does not show the password');

      const transcript = page.locator('details', { has: page.getByText('SMTP conversation', { exact: true }) }).locator('pre');
      const conversation = await transcript.innerText();
      assert.match(conversation, /STARTTLS/);
      assert.match(conversation, /AUTH PLAIN \*\*\*/, 'the credentials are masked');
      for (const secret of [WRONG_PASSWORD, SMTP_PASSWORD, Buffer.from(`\0${postfix.user}\0${WRONG_PASSWORD}`).toString('base64')]) {
        assert.ok(!conversation.includes(secret), `the conversation does not show ${secret}`);
        assert.ok(!(await page.content()).includes(secret), `the page does not hold ${secret}`);
      }
      assert.equal((await readMaildir(postfix.maildir)).length, before, 'nothing was delivered with the wrong password');
    });
  });

  it('shows a setting fixed by the environment read-only, and refuses a port out of range next to the field', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const timeout = page.getByLabel('Timeout (seconds)');
      assert.equal(await timeout.inputValue(), LOCKED_TIMEOUT);
      assert.equal(await timeout.isEditable(), false, 'the locked timeout cannot be edited');
      assert.match(await descriptionOf(timeout), /Fixed by the environment; change it there\./);
      const locked = await setting('mail_smtptimeout');
      assert.deepEqual({ value: locked.value, source: locked.source, locked: locked.locked }, { value: Number(LOCKED_TIMEOUT), source: 'env', locked: true });
      // The fields next to it are not locked.
      assert.equal(await page.getByLabel('Port').isEditable(), true);
      assert.doesNotMatch(await descriptionOf(page.getByLabel('Port')), /Fixed by/);

      const port = page.getByLabel('Port');
      const savedPort = (await setting('mail_smtpport')).value;
      await typeInto(port, '70000');
      const message = await waitForDescription(port, /mail_smtpport/);
      assert.match(message, /70000/, 'the message names the value given');
      assert.match(message, /between 1 and 65535/, 'and what is allowed');
      assert.doesNotMatch(message, /Saved/);
      assert.equal(await port.getAttribute('aria-invalid'), 'true');
      assert.equal(await port.inputValue(), '70000', 'the refused value stays in the field, to be corrected');
      assert.equal((await page.getByRole('alert').filter({ hasText: '70000' }).count()) > 0, true, 'the refusal is announced');
      assert.equal((await setting('mail_smtpport')).value, savedPort, 'nothing was saved');
    });
  });

  it('with a failover list, the test mail names the server that is down and the one that took the mail, and the next test skips the dead one', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const live = `127.0.0.1:${postfix.smtpPort}`;
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', {
      body: { mail_smtpmode: 'smtp', mail_smtphost: `${dead};${live}`, mail_smtpsecure: 'tls', mail_smtpauth: true, mail_smtpauthtype: 'PLAIN', mail_smtpname: postfix.user, mail_smtppassword: SMTP_PASSWORD, mail_smtptls_ca: postfix.certPath, mail_smtpdebug: false },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const to = 'failover-check@example.org';
      await sendTestMail(page, to);
      await testMailSent(page, to, live).waitFor();
      const servers = page.locator('.host-attempts li');
      const lines = async () => (await servers.allInnerTexts()).map((line) => line.replace(/\s+/g, ' ').trim());
      const first = await lines();
      assert.equal(first.length, 2, first.join('\n'));
      assert.match(first[0] ?? '', new RegExp(`^${dead} Nothing accepts connections at ${dead}.* smtp_connection_refused$`));
      assert.equal(first[1], `${live} took the mail.`);
      await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);

      // Within the minute, the dead server is passed over and the page says why.
      await sendTestMail(page, 'failover-again@example.org');
      await eventually(async () => (await lines()).some((line) => line.startsWith(`${dead} skipped`)), 'the second test shows the dead server skipped');
      assert.deepEqual(await lines(), [`${dead} skipped: it failed less than a minute ago, so the next server was tried first.`, `${live} took the mail.`]);
      await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'failover-again@example.org');
    });
  });

  it('in Chinese, explains a refused value and a failed test mail in Chinese, with the exact message after it', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtpmode: 'smtp', mail_smtphost: dead, mail_smtpdebug: false } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'zh-CN' } })).status, 200);
    try {
      // Signed in from an English browser: the admin's own language turns the page Chinese.
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('heading', { level: 1, name: '邮件服务器' }).waitFor();

        const port = page.getByLabel('端口', { exact: true });
        await typeInto(port, '70000');
        const message = await waitForDescription(port, /70000/);
        assert.match(message, /^该设置不允许此值。（.*mail_smtpport.*70000.*between 1 and 65535.*）$/, 'the Chinese summary, then the exact message');

        await page.getByLabel('测试邮件发送到').fill('zh-check@example.org');
        await page.getByRole('button', { name: '发送邮件' }).click();
        const failure = page.getByRole('alert').filter({ hasText: '测试邮件未能发出。' });
        await failure.waitFor();
        const text = await failure.innerText();
        assert.match(text, /该服务器地址和端口上没有服务接受连接。（Nothing accepts connections at 127\.0\.0\.1:\d+/);
        assert.match(text, /smtp_connection_refused/, 'the code stays as it is, to look up');

        // What "Detect settings" found is said in Chinese too: Postfix's self-signed certificate, without the CA.
        assert.equal((await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtptls_ca: null } })).status, 200);
        await page.getByLabel('要检测的邮件服务器').fill(`127.0.0.1:${postfix.smtpPort}`);
        await page.getByRole('button', { name: '检测设置' }).click();
        await page.getByText(/已找到该服务器所需的设置，但其证书不受信任/).waitFor({ timeout: 30_000 });
        await page.getByText('在您应用之前，不会保存任何设置。', { exact: false }).first().waitFor();
        assert.match(await page.locator('.detect-summary').innerText(), /服务器提供的功能[\s\S]*STARTTLS[\s\S]*SHA-256 指纹/);
        const notes = await page.locator('#detect-title').locator('xpath=..').locator('ul.notes li').allInnerTexts();
        assert.deepEqual(notes, [`端口 ${postfix.smtpPort}：证书是自签名的。请在上方“CA 证书文件”中填写 CA 的 PEM 文件的绝对路径（没有 CA 的证书则填写证书本身），然后再次检测，确认证书已受信任。`]);
      });
    } finally {
      assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'en' } })).status, 200);
    }
  });

  it('"Detect settings" probes the server, shows what it found and the changes, then saves them on Apply', async () => {
    // Without the CA, Postfix's self-signed certificate is not trusted: the settings are found, but not called working.
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtpmode: 'smtp', mail_smtphost: 'mail.example.invalid', mail_smtpport: 25, mail_smtpsecure: '', mail_smtpauth: false, mail_smtptls_ca: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByLabel('Mail server to probe').fill(`127.0.0.1:${postfix.smtpPort}`);
      await page.getByRole('button', { name: 'Detect settings' }).click();
      await page.getByText(/its certificate is not trusted: the test mail will fail until you give the CA certificate file/).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByText('Found working settings. Nothing is saved until you apply them.').count(), 0);
      assert.match(await page.locator('.detect-summary').innerText(), /Certificate: .*\(not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)\)/);
      assert.equal((await setting('mail_smtphost')).value, 'mail.example.invalid', 'nothing is saved before Apply');
      await page.getByRole('button', { name: 'Cancel' }).click();
      // With the CA given, the same probe finds settings that work.
      assert.equal((await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtptls_ca: postfix.certPath } })).status, 200);
      await page.getByRole('button', { name: 'Detect settings' }).click();
      await page.getByText('Found working settings. Nothing is saved until you apply them.').waitFor({ timeout: 30_000 });
      const rows = (await page.locator('table.detect-changes tr').allInnerTexts()).map((row) => row.replace(/\s+/g, ' ').trim());
      assert.ok(rows.includes('Server address mail.example.invalid → 127.0.0.1'), rows.join(' | '));
      assert.ok(rows.includes(`Port 25 → ${postfix.smtpPort}`), rows.join(' | '));
      await screenshot(page, 'admin-email-detect.png');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Applied and saved.').waitFor();
      // What the probe found is what Postfix offers: STARTTLS and AUTH on its port.
      assert.equal((await setting('mail_smtphost')).value, '127.0.0.1');
      assert.equal((await setting('mail_smtpport')).value, postfix.smtpPort);
      assert.equal((await setting('mail_smtpsecure')).value, 'tls');
      assert.equal((await setting('mail_smtpauth')).value, true);
      // And the form shows it without a reload.
      assert.equal(await page.getByLabel('Port').inputValue(), String(postfix.smtpPort));
      assert.equal(await page.getByLabel('Server address').inputValue(), '127.0.0.1');
      assert.equal(await page.getByLabel('Authentication required').isChecked(), true);
    });
  });

  it('shows the path of sendmail read-only, with where the host admin sets it, and never saves one', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByLabel('Send mode').selectOption({ label: 'Sendmail' });
      await assertSaved(page, 'Send mode', 'mail_smtpmode', 'sendmail');
      const path = page.getByLabel('Path of sendmail');
      assert.equal(await path.inputValue(), '/usr/sbin/sendmail');
      assert.equal(await path.isEditable(), false, 'a program path cannot be typed in the page');
      assert.match(await descriptionOf(path), /this page cannot change it: only the host’s admin can, in the config file or with the environment variable MAILROOM_MAIL_SENDMAIL_PATH/);
      const s = await setting('mail_sendmail_path');
      assert.deepEqual({ value: s.value, source: s.source, fileOnly: s.fileOnly }, { value: '/usr/sbin/sendmail', source: 'default', fileOnly: true });
      await page.getByLabel('Send mode').selectOption({ label: 'SMTP' });
      await assertSaved(page, 'Send mode', 'mail_smtpmode', 'smtp');
    });
  });
});
