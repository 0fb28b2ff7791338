/**
 * The two setups of the Email server page beyond user name and password, in a real browser
 * (chromium) against a real Mailroom:
 * - XOAUTH2: choosing the method swaps the password for the OAuth settings (token URL, client
 *   ID, client secret, refresh token), each saved on its own, the two secrets write-only; the test
 *   mail then goes out through the suite's fake OAuth token endpoint and an SMTP server that only
 *   takes XOAUTH2 (test/support/xoauth2-servers.ts).
 * - A private CA: against the suite's real Postfix, whose certificate is self-signed, the test mail
 *   fails with smtp_certificate_untrusted and points to the "CA certificate file" field; a relative
 *   path is refused there, a path that cannot be read is saved (the server cannot tell at that
 *   point) and diagnosed by the next test mail, and Postfix's certificate lets the mail through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, descriptionOf, focusedId, launchBrowser, signIn, startMailroom, typeInto, waitForDescription, type MailroomInstance, type TestBrowser, sendTestMail, testMailSent } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';
import { startTokenEndpoint, startXOAuth2SmtpServer, type TokenEndpoint, type XOAuth2SmtpServer } from '../support/xoauth2-servers.ts';
import type { SettingView } from '../../src/config/settings-service.ts';

const MAILBOX = 'cloud@example.org';
const CLIENT_ID = 'mailroom-app-5f1c';
/** Values that could not turn up in a page by chance. */
const CLIENT_SECRET = 'Secret-Otter-Quarry-9137';
const REFRESH_TOKEN = 'Refresh-Heron-Basalt-2268';
const SMTP_PASSWORD = 'Kestrel-Lagoon-6604';
const APP_SCOPE = 'https://outlook.office365.com/.default';

describe('the Email server page: XOAUTH2 and a private CA', () => {
  let endpoint: TokenEndpoint;
  let oauthSmtp: XOAuth2SmtpServer;
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    endpoint = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, expiresIn: 3600, clientCredentialsScope: APP_SCOPE });
    [oauthSmtp, postfix, browser] = await Promise.all([startXOAuth2SmtpServer({ isValidToken: (user, token) => user === MAILBOX && endpoint.isValid(token) }), startPostfix({ pass: SMTP_PASSWORD }), launchBrowser()]);
    mailroom = await startMailroom();
    // A server a previous admin left behind, so that entering the test server's address in the
    // page is a change that must be saved (the default, 127.0.0.1, would not be one).
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtphost: 'mail.example.invalid' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  after(() => closeAll(browser, mailroom, oauthSmtp, endpoint, postfix));

  async function setting(key: string): Promise<SettingView> {
    const r = await mailroom.api<{ settings: SettingView[] }>('GET', '/api/v1/settings/mail');
    assert.equal(r.status, 200);
    const found = r.body.settings.find((s) => s.key === key);
    assert.ok(found, `the API lists ${key}`);
    return found;
  }

  /** After a change in the page: the field says "Saved", and the API has the value from the database. */
  async function assertSaved(page: Page, label: string, key: string, want: string | number | boolean) {
    await waitForDescription(page.getByLabel(label, { exact: true }), /✓ Saved/);
    const s = await setting(key);
    assert.deepEqual({ value: s.value, source: s.source }, { value: want, source: 'database' }, `${key} after changing "${label}"`);
  }

  /** A write-only field: saved, emptied, said to be set; the API says so and never shows it. */
  async function assertSecretSaved(page: Page, label: string, key: 'mail_smtpoauth_client_secret' | 'mail_smtpoauth_refresh_token', secret: string, saidSet: string) {
    const field = page.getByLabel(label, { exact: true });
    await waitForDescription(field, /✓ Saved/);
    const s = await setting(key);
    assert.deepEqual({ secret: s.secret, isSet: s.isSet, value: s.value, source: s.source }, { secret: true, isSet: true, value: null, source: 'database' }, key);
    assert.ok(!JSON.stringify(s).includes(secret), `the API does not return ${key}`);
    assert.equal((await mailroom.ctx.settings.get())[key], secret, `the ${key} saved is the one typed`);
    assert.equal(await field.inputValue(), '', 'the field is emptied');
    assert.match(await descriptionOf(field), new RegExp(saidSet));
  }

  async function assertNoSecretsIn(page: Page, secrets: string[]) {
    const html = await page.content();
    for (const secret of secrets) assert.ok(!html.includes(secret), `the page does not hold ${secret}`);
  }

  it('with XOAUTH2 shows the OAuth settings instead of the password, saves each one, keeps the secrets write-only, and the test mail goes out with a token', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
      await page.getByLabel('Send mode').selectOption({ label: 'SMTP' });
      await assertSaved(page, 'Send mode', 'mail_smtpmode', 'smtp');
      // The fake server offers no STARTTLS; "None" is the default encryption.
      assert.equal(await page.getByLabel('Encryption').inputValue(), '');
      // The CA field is there with "None" too: STARTTLS is still used when a server offers it.
      assert.match(await descriptionOf(page.getByLabel('CA certificate file')), /Path of a PEM file on the Mailroom server/);

      await typeInto(page.getByLabel('Server address'), '127.0.0.1');
      await assertSaved(page, 'Server address', 'mail_smtphost', '127.0.0.1');
      await typeInto(page.getByLabel('Port'), String(oauthSmtp.port));
      await assertSaved(page, 'Port', 'mail_smtpport', oauthSmtp.port);

      await page.getByLabel('Authentication required').check();
      await assertSaved(page, 'Authentication required', 'mail_smtpauth', true);
      // With a password method: user name and password, no OAuth settings.
      assert.equal(await page.getByLabel('Authentication method').inputValue(), 'LOGIN');
      await page.getByLabel('Password', { exact: true }).waitFor();
      assert.equal(await page.getByLabel('Token URL').count(), 0);

      await page.getByLabel('Authentication method').selectOption({ label: 'XOAUTH2' });
      await assertSaved(page, 'Authentication method', 'mail_smtpauthtype', 'XOAUTH2');
      await page.getByLabel('Token URL').waitFor();
      assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'XOAUTH2 uses no password');
      for (const label of ['User name', 'Client ID', 'Client secret', 'Refresh token']) {
        assert.equal(await page.getByLabel(label, { exact: true }).isEditable(), true, `${label} is there`);
      }
      const group = page.getByRole('group', { name: 'XOAUTH2 (OAuth 2.0)' });
      assert.match(await group.innerText(), /the admin manual, section XOAUTH2/);
      assert.match(await descriptionOf(page.getByLabel('Token URL')), /https:\/\/login\.microsoftonline\.com\/TENANT\/oauth2\/v2\.0\/token.*https:\/\/oauth2\.googleapis\.com\/token/);
      assert.equal(await page.getByLabel('Client secret').getAttribute('type'), 'password');
      assert.equal(await page.getByLabel('Refresh token').getAttribute('type'), 'password');
      assert.match(await descriptionOf(page.getByLabel('Refresh token')), /No refresh token saved\./);

      await typeInto(page.getByLabel('User name', { exact: true }), MAILBOX);
      await assertSaved(page, 'User name', 'mail_smtpname', MAILBOX);
      await typeInto(page.getByLabel('Token URL'), endpoint.url);
      await assertSaved(page, 'Token URL', 'mail_smtpoauth_token_url', endpoint.url);
      await typeInto(page.getByLabel('Client ID'), CLIENT_ID);
      await assertSaved(page, 'Client ID', 'mail_smtpoauth_client_id', CLIENT_ID);
      await typeInto(page.getByLabel('Client secret'), CLIENT_SECRET);
      await assertSecretSaved(page, 'Client secret', 'mail_smtpoauth_client_secret', CLIENT_SECRET, 'A client secret is saved\\.');
      await typeInto(page.getByLabel('Refresh token'), REFRESH_TOKEN);
      await assertSecretSaved(page, 'Refresh token', 'mail_smtpoauth_refresh_token', REFRESH_TOKEN, 'A refresh token is saved\\.');
      await assertNoSecretsIn(page, [CLIENT_SECRET, REFRESH_TOKEN]);

      // A token URL that is not one is refused next to its field, and nothing is saved.
      await typeInto(page.getByLabel('Token URL'), 'login.example.com/token');
      assert.match(await waitForDescription(page.getByLabel('Token URL'), /mail_smtpoauth_token_url/), /http\(s\) URL/);
      assert.equal(await page.getByLabel('Token URL').getAttribute('aria-invalid'), 'true');
      assert.equal((await setting('mail_smtpoauth_token_url')).value, endpoint.url);
      await typeInto(page.getByLabel('Token URL'), endpoint.url);
      await waitForDescription(page.getByLabel('Token URL'), /✓ Saved/);

      // The test mail: Mailroom trades the refresh token for an access token and logs in with it.
      const to = 'oauth-check@example.org';
      await sendTestMail(page, to);
      await testMailSent(page, to).waitFor({ timeout: 20_000 });
      assert.deepEqual(
        oauthSmtp.received.map((m) => m.to),
        [[to]],
        'the XOAUTH2 server received the test mail',
      );
      assert.equal(endpoint.issued.length, 1, 'one access token was fetched');
      assert.deepEqual(oauthSmtp.logins.at(-1), { user: MAILBOX, accessToken: endpoint.issued[0], accepted: true });
      await assertNoSecretsIn(page, [CLIENT_SECRET, REFRESH_TOKEN, endpoint.issued[0] as string]);

      // Opened again: the settings are shown, the secrets only as "saved".
      await page.reload();
      await page.getByLabel('Token URL').waitFor();
      assert.equal(await page.getByLabel('Token URL').inputValue(), endpoint.url);
      assert.equal(await page.getByLabel('Client ID').inputValue(), CLIENT_ID);
      assert.equal(await page.getByLabel('User name', { exact: true }).inputValue(), MAILBOX);
      assert.equal(await page.getByLabel('Client secret').inputValue(), '');
      assert.match(await descriptionOf(page.getByLabel('Client secret')), /A client secret is saved\./);
      assert.equal(await page.getByLabel('Refresh token').inputValue(), '');
      assert.match(await descriptionOf(page.getByLabel('Refresh token')), /A refresh token is saved\./);
      await assertNoSecretsIn(page, [CLIENT_SECRET, REFRESH_TOKEN, endpoint.issued[0] as string]);

      // Back to a password method: the password returns, the OAuth settings go (and stay saved).
      await page.getByLabel('Authentication method').selectOption({ label: 'PLAIN' });
      await assertSaved(page, 'Authentication method', 'mail_smtpauthtype', 'PLAIN');
      await page.getByLabel('Password', { exact: true }).waitFor();
      assert.equal(await page.getByLabel('Token URL').count(), 0);
      assert.equal((await setting('mail_smtpoauth_refresh_token')).isSet, true);
    });
  });

  it('with the app’s own permission (client credentials) asks for the scope instead of a refresh token, says what is missing, and the test mail goes out', async () => {
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', {
      body: {
        mail_smtpmode: 'smtp',
        mail_smtphost: '127.0.0.1',
        mail_smtpport: oauthSmtp.port,
        mail_smtpsecure: '',
        mail_smtpauth: true,
        mail_smtpauthtype: 'XOAUTH2',
        mail_smtpname: MAILBOX,
        mail_smtpoauth_token_url: endpoint.url,
        mail_smtpoauth_client_id: CLIENT_ID,
        mail_smtpoauth_client_secret: CLIENT_SECRET,
        mail_smtpoauth_scope: '',
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const grant = page.getByLabel('Tokens from');
      assert.equal(await grant.inputValue(), 'refresh_token', 'the refresh token is the default');
      assert.equal(await page.getByLabel('Scope').count(), 0);

      await grant.selectOption({ label: 'The app’s own permission, client credentials (Microsoft 365)' });
      await assertSaved(page, 'Tokens from', 'mail_smtpoauth_grant', 'client_credentials');
      await page.getByLabel('Scope').waitFor();
      assert.equal(await page.getByLabel('Refresh token').count(), 0, 'no user, so no refresh token');
      assert.match(await descriptionOf(page.getByLabel('Scope')), /https:\/\/outlook\.office365\.com\/\.default/);
      assert.match(await descriptionOf(page.getByLabel('User name', { exact: true })), /The mailbox to send as/);

      // Without the scope the test mail says exactly what is missing, and asks the endpoint nothing.
      const asked = endpoint.asked.length;
      await sendTestMail(page, 'app-missing@example.org');
      const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
      await failure.waitFor({ timeout: 20_000 });
      const text = await failure.innerText();
      assert.match(text, /client_credentials grant but mail_smtpoauth_scope is not set/);
      assert.match(text, /oauth_not_configured/);
      assert.equal(endpoint.asked.length, asked);

      await typeInto(page.getByLabel('Scope'), APP_SCOPE);
      await assertSaved(page, 'Scope', 'mail_smtpoauth_scope', APP_SCOPE);

      // A mailbox the app may not send as: the token is issued, the server refuses it, and the
      // diagnosis points to the app's permission for that mailbox.
      await typeInto(page.getByLabel('User name', { exact: true }), 'someone-else@example.org');
      await assertSaved(page, 'User name', 'mail_smtpname', 'someone-else@example.org');
      await sendTestMail(page, 'app-refused@example.org');
      const refused = page.getByRole('alert').filter({ hasText: 'smtp_auth_failed' });
      await refused.waitFor({ timeout: 20_000 });
      assert.match(await refused.innerText(), /refused the OAuth access token of the app for someone-else@example\.org \(check that the app has the SMTP\.SendAsApp permission/);
      await typeInto(page.getByLabel('User name', { exact: true }), MAILBOX);
      await assertSaved(page, 'User name', 'mail_smtpname', MAILBOX);

      const to = 'app-only@example.org';
      await sendTestMail(page, to);
      await testMailSent(page, to).waitFor({ timeout: 20_000 });
      assert.deepEqual(endpoint.asked.at(-1), { grant: 'client_credentials', scope: APP_SCOPE, refreshTokenSent: false });
      assert.deepEqual(oauthSmtp.received.at(-1)?.to, [to]);
      assert.deepEqual(oauthSmtp.logins.at(-1), { user: MAILBOX, accessToken: endpoint.issued.at(-1), accepted: true });
      await assertNoSecretsIn(page, [CLIENT_SECRET, endpoint.issued.at(-1) as string]);
    });
    // Back to the refresh token for the tests after this one.
    assert.equal((await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtpoauth_grant: 'refresh_token' } })).status, 200);
  });

  it('points an untrusted certificate to the CA certificate file, refuses a relative path there, diagnoses an unreadable file at the test mail, and delivers with the right CA', async () => {
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', {
      body: { ...postfixSettings(postfix), mail_smtptls_ca: '', mail_from_address: 'cloud', mail_domain: 'example.org' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const ca = page.getByLabel('CA certificate file');
      assert.equal(await ca.inputValue(), '');
      assert.match(await descriptionOf(ca), /Path of a PEM file on the Mailroom server, for a server whose certificate comes from a private CA\./);

      // Postfix's certificate is self-signed: not trusted, and the page says where to fix it.
      await sendTestMail(page, 'untrusted@example.org');
      const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
      await failure.waitFor({ timeout: 20_000 });
      assert.match(await failure.innerText(), /smtp_certificate_untrusted/);
      await page.getByText('If the server’s certificate comes from a private CA, give Mailroom the CA’s PEM file.').waitFor();
      await page.getByRole('button', { name: 'Enter the CA certificate file' }).click();
      assert.equal(await focusedId(page), 'f-mail_smtptls_ca', 'the link moves the focus to the CA field');

      // Refused where the server refuses it: a relative path.
      await typeInto(ca, 'certs/mail-ca.pem');
      const message = await waitForDescription(ca, /mail_smtptls_ca/);
      assert.match(message, /absolute path of a PEM file/);
      assert.doesNotMatch(message, /Saved/);
      assert.equal(await ca.getAttribute('aria-invalid'), 'true');
      assert.equal(await ca.inputValue(), 'certs/mail-ca.pem', 'the refused value stays in the field, to be corrected');
      assert.equal((await setting('mail_smtptls_ca')).value, '', 'nothing was saved');

      // An absolute path that cannot be read is saved (the host's admin may put the file there
      // next) and flagged under the field at once; the test mail names the setting, the path
      // and the reason.
      const missing = `${postfix.dir}/no-such-ca.pem`;
      await typeInto(ca, missing);
      await assertSaved(page, 'CA certificate file', 'mail_smtptls_ca', missing);
      await waitForDescription(ca, /Mailroom cannot use this file: it is missing, unreadable or not a PEM file of CA certificates/);
      assert.equal(await ca.getAttribute('aria-invalid'), 'true');
      await sendTestMail(page, 'unreadable-ca@example.org');
      const unreadable = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' }).filter({ hasText: 'config_invalid_value' });
      await unreadable.waitFor({ timeout: 20_000 });
      const text = await unreadable.innerText();
      assert.match(text, /mail_smtptls_ca/);
      assert.ok(text.includes(missing), 'the diagnosis names the path');
      // The same words whatever the reason (missing, unreadable, not PEM): the page tells an admin
      // of the web page nothing about which files exist on the host.
      assert.match(text, /is not a PEM file of CA certificates that Mailroom can read/);
      assert.doesNotMatch(text, /ENOENT|no such file/i);
      assert.equal(await page.getByRole('button', { name: 'Enter the CA certificate file' }).count(), 0, 'the pointer is for an untrusted certificate only');

      // Postfix's certificate as the CA: the test mail arrives.
      await typeInto(ca, postfix.certPath);
      await assertSaved(page, 'CA certificate file', 'mail_smtptls_ca', postfix.certPath);
      assert.doesNotMatch(await descriptionOf(ca), /cannot use this file/);
      const before = (await readMaildir(postfix.maildir)).length;
      const to = 'private-ca@example.org';
      await sendTestMail(page, to);
      await testMailSent(page, to).waitFor({ timeout: 20_000 });
      const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === to);
      assert.match(delivered.headers.get('from') ?? '', /cloud@example\.org/);
      assert.equal((await readMaildir(postfix.maildir)).length, before + 1);
      await assertNoSecretsIn(page, [SMTP_PASSWORD]);
    });
  });
});
