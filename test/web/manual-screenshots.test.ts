/**
 * The pictures of the admin manual (docs/admin/email.md) that the other browser tests do not
 * take, each checked for what it shows: the Email server page after a failed test mail against
 * the suite's real Postfix (the diagnosis code, the server's 535 reply and the SMTP conversation
 * with the credentials masked), and the template editor refusing a template that names a
 * variable it does not have (the error at its line, saving refused, nothing stored).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ADMIN_PASSWORD,
  DESKTOP,
  SCREENSHOT_DIR,
  eventually,
  launchBrowser,
  screenshot,
  signIn,
  startMailroom,
  type MailroomInstance,
  type TestBrowser,
} from '../support/browser.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';

/** The password Postfix accepts, and the one the admin typed by mistake. */
const SMTP_PASSWORD = 'Pelican-Orchard-3390';
const WRONG_PASSWORD = 'Typo-Pelican-0000';

interface TemplateDetail {
  customized: boolean;
  parts: { subject: string; html: string; text: string };
  versions: unknown[];
}

describe('the screenshots of the admin manual', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser, mailroom] = await Promise.all([startPostfix({ pass: SMTP_PASSWORD }), launchBrowser(), startMailroom()]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(async () => {
    try {
      await browser?.close();
      await mailroom?.close();
    } finally {
      await postfix?.stop();
    }
  });

  /** The whole page as one picture, with sandboxed frames painted (see admin-templates-outbox.test.ts). */
  async function pictureOf(page: Page, name: string): Promise<void> {
    const size = page.viewportSize() ?? DESKTOP;
    await page.evaluate('window.scrollTo(0, 0)');
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    await page.setViewportSize({ width: size.width, height });
    try {
      for (const frame of await page.locator('iframe').all()) {
        if (await frame.isVisible()) await frame.screenshot({ animations: 'disabled' });
      }
      await screenshot(page, name);
    } finally {
      await page.setViewportSize(size);
    }
  }

  it('admin-email-test-failed.png: a wrong password, diagnosed as smtp_auth_failed with the 535 reply and the masked conversation', async () => {
    // The settings an admin would have entered, with the password mistyped, and debug on.
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', {
      body: {
        mail_smtpmode: 'smtp',
        mail_smtphost: postfix.host,
        mail_smtpport: postfix.smtpPort,
        mail_smtpsecure: 'tls',
        mail_smtptls_ca: postfix.certPath,
        mail_smtpauth: true,
        mail_smtpauthtype: 'PLAIN',
        mail_smtpname: postfix.user,
        mail_smtppassword: WRONG_PASSWORD,
        mail_from_address: 'cloud',
        mail_domain: 'example.org',
        mail_smtpdebug: true,
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const delivered = (await readMaildir(postfix.maildir)).length;

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
      assert.equal(await page.getByLabel('Show the SMTP conversation with the test mail').isChecked(), true, 'debug is on');
      await page.getByText('A password is saved. Type a new one to replace it.').waitFor();

      await page.getByLabel('Send the test mail to').fill('you@example.org');
      await page.getByRole('button', { name: 'Send email' }).click();
      const failure = page.getByRole('alert').filter({ hasText: 'The test mail was not sent.' });
      await failure.waitFor({ timeout: 30_000 });
      const shown = await failure.innerText();
      assert.match(shown, /smtp_auth_failed/, 'the code of docs/errors.md');
      assert.match(shown, /refused the user name or password[\s\S]*Check User name \(mail_smtpname\), Password \(mail_smtppassword\)/, "what to change, in the page's words");
      assert.match(shown, /535 5\.7\.8/, "Postfix's reply, verbatim");

      const transcript = page.locator('details', { has: page.getByText('SMTP conversation', { exact: true }) }).locator('pre');
      const conversation = await transcript.innerText();
      assert.match(conversation, /^\* connecting to /m);
      assert.match(conversation, /^C: STARTTLS$/m);
      assert.match(conversation, /^\* TLS /m);
      assert.match(conversation, /^C: AUTH PLAIN \*\*\*$/m, 'the credentials are masked');
      assert.match(conversation, /^S: 535 /m);
      const html = await page.content();
      for (const secret of [WRONG_PASSWORD, SMTP_PASSWORD, Buffer.from(`\0${postfix.user}\0${WRONG_PASSWORD}`).toString('base64')]) {
        assert.ok(!html.includes(secret), `the page does not hold ${secret}`);
      }
      // The end of the conversation, where the login is refused, is what the picture is for.
      await transcript.evaluate((el) => {
        const box = el as unknown as { scrollTop: number; scrollHeight: number };
        box.scrollTop = box.scrollHeight;
      });
      await pictureOf(page, 'admin-email-test-failed.png');
    });
    assert.equal((await readMaildir(postfix.maildir)).length, delivered, 'nothing was delivered');
  });

  it('admin-templates-error.png: an unknown variable is marked at its line and the template is not saved', async () => {
    const shipped = (await mailroom.api<TemplateDetail>('GET', '/api/v1/templates/lost_password/en')).body;
    assert.equal(shipped.customized, false);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.goto(`${mailroom.url}/admin/templates?template=lost_password&lang=en`);
      await page.getByRole('heading', { level: 1, name: 'Email templates' }).waitFor();
      await page.locator('#template-preview[data-state="ready"]').waitFor();

      // The seed's own example, with a slip: the password itself is not a variable of any template.
      const text = ['Hi {{ user.display_name }},', '', 'Use the following link to reset your password: {{ link }}', 'Your old password was {{ user.password }}.', ''].join('\n');
      await page.fill('#editor-text .cm-content', text);
      await eventually(async () => (await page.locator('#editor-text-value').inputValue()) === text, 'the text editor holds the draft');
      const error = page.locator('#template-error');
      await error.filter({ hasText: /^Line 4, column 26: unknown variable "user\.password"/ }).waitFor();
      assert.match(await error.innerText(), /allowed: .*\blink\b/, 'the message lists the variables there are');
      await page.getByText('The preview shows the last version without errors.').waitFor();

      const refused = page.waitForResponse((res) => res.request().method() === 'PUT' && res.url().endsWith('/api/v1/templates/lost_password/en'));
      await page.locator('#template-save').click();
      assert.equal((await refused).status(), 400, 'the server refuses it too');
      await page.locator('#template-save-status').filter({ hasText: 'Not saved: the template has an error.' }).waitFor();
      const marked = await page.locator('#editor-text .cm-content .cm-line.cm-tpl-error-line').allInnerTexts();
      assert.deepEqual(marked, ['Your old password was {{ user.password }}.'], 'the line is marked in the editor');
      await pictureOf(page, 'admin-templates-error.png');
    });
    assert.deepEqual((await mailroom.api<TemplateDetail>('GET', '/api/v1/templates/lost_password/en')).body, shipped, 'nothing was saved');
  });
});
