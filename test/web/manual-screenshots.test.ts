/**
 * The pictures of the admin manual (docs/admin/email.md) that the other browser tests do not
 * take, each checked for what it shows: the Email server page after a failed test mail against
 * the suite's real Postfix (the diagnosis code, the server's 535 reply and the SMTP conversation
 * with the credentials masked), the template editor refusing a template that names a variable it
 * does not have (the error at its line, saving refused, nothing stored), and the manual's table of
 * pages: each main page in English and Chinese, light and dark, on a desktop and a phone, where
 * every phone page is also checked for what a picture would show cut off (sideways scrolling, a
 * chosen option wider than its list).
 */
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, DESKTOP, PHONE, SCREENSHOT_DIR, assertWholeChoices, eventually, launchBrowser, scrollsSideways, signIn, startMailroom, type MailroomInstance, type TestBrowser, wholePagePicture } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import type { OutboxWorker } from '../../src/outbox/outbox-worker.ts';

/** The password Postfix accepts, and the one the admin typed by mistake. */
const SMTP_PASSWORD = 'Pelican-Orchard-3390';
const WRONG_PASSWORD = 'Typo-Pelican-0000';

/**
 * The pages of the manual's table (docs/web-interface.md, docs/admin/email.zh-CN.md), with their
 * headings in each language and what shows that a page has what it loads.
 */
const MATRIX_PAGES = [
  { name: 'email-server', path: '/admin/email', title: { en: 'Email server', 'zh-CN': '邮件服务器' }, ready: '#f-mail_smtphost' },
  { name: 'general', path: '/admin/general', title: { en: 'General', 'zh-CN': '常规' }, ready: '#f-base_url' },
  { name: 'templates', path: '/admin/templates', title: { en: 'Email templates', 'zh-CN': '邮件模板' }, ready: '#template-preview[data-state="ready"]' },
  { name: 'outbox', path: '/admin/outbox', title: { en: 'Outbox', 'zh-CN': '发件箱' }, ready: '#outbox-list tbody tr' },
  { name: 'users', path: '/admin/users', title: { en: 'Users', 'zh-CN': '用户' }, ready: '#users-list' },
  { name: 'personal', path: '/personal', title: { en: 'Personal settings', 'zh-CN': '个人设置' }, ready: '#me-language' },
] as const;
/** The admin each language is seen by (the pages speak the signed-in user's language). */
const MATRIX_ADMINS = [
  { lang: 'en', uid: 'admin', password: ADMIN_PASSWORD, locale: 'en-US' },
  { lang: 'zh-CN', uid: 'wang.fang', password: 'Jade-Harbor-Kite-4821', locale: 'zh-CN' },
] as const;
const MATRIX_SCREENS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: PHONE },
] as const;
const MATRIX_THEMES = ['light', 'dark'] as const;
/** The table's pictures are what a window shows (not whole pages), as JPEG: small enough to keep 48 of them. */
const MATRIX_QUALITY = 70;

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
    await mkdir(join(SCREENSHOT_DIR, 'pages'), { recursive: true });
  });

  let worker: OutboxWorker | undefined;

  after(() => closeAll(worker, browser, mailroom, postfix));

  it('admin-email-test-failed.png: a wrong password, diagnosed as smtp_auth_failed with the 535 reply and the masked conversation', async () => {
    // The settings an admin would have entered, with the password mistyped, and debug on.
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', {
      body: { ...postfixSettings(postfix), mail_smtppassword: WRONG_PASSWORD, mail_from_address: 'cloud', mail_domain: 'example.org', mail_smtpdebug: true },
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
      await wholePagePicture(page, 'admin-email-test-failed.png');
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
      await wholePagePicture(page, 'admin-templates-error.png');
    });
    assert.deepEqual((await mailroom.api<TemplateDetail>('GET', '/api/v1/templates/lost_password/en')).body, shipped, 'nothing was saved');
  });
  it('pages/*.jpg: each main page in English and Chinese, light and dark, on a desktop and a phone, nothing cut off on the phone', async () => {
    // An instance in use: a working mail server, links to this address, a few users and mails.
    await mailroom.ctx.settings.update({ ...postfixSettings(postfix), mail_from_address: 'cloud', mail_domain: 'example.org', mail_smtpdebug: false, instance_name: 'Example Cloud', base_url: mailroom.url });
    const [, zh] = MATRIX_ADMINS;
    await mailroom.ctx.users.add({ uid: zh.uid, display_name: '王芳', email: 'wang.fang@example.org', password: zh.password, admin: true, language: 'zh-CN', timezone: 'Asia/Shanghai' });
    await mailroom.ctx.users.add({ uid: 'mei.lin', display_name: 'Mei Lin', email: 'mei.lin@example.org', password: 'Lotus-Bridge-Amber-7730', language: 'zh-CN', timezone: 'Asia/Shanghai' });
    await mailroom.ctx.users.add({ uid: 'noor', display_name: 'Noor Haddad', email: 'noor.haddad@example.org', timezone: 'Asia/Dubai' });
    for (const [to, subject] of [
      ['jonas@example.org', 'Quarterly report is ready'],
      ['mei.lin@example.org', 'Photos from the workshop'],
      ['team@example.org', 'Maintenance on Saturday, 06:00–08:00'],
    ] as const) {
      const r = await mailroom.api('POST', '/api/v1/messages', { body: { to, subject, text: 'x' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    worker = mailroom.ctx.createWorker();
    worker.start();
    await eventually(async () => (await mailroom.ctx.outbox.counts())['sent'] === 4, 'the worker sends the three mails and the invitation', 20_000);

    const started = Date.now();
    const written: string[] = [];
    for (const admin of MATRIX_ADMINS) {
      await browser.withPage({ locale: admin.locale, viewport: MATRIX_SCREENS[0].viewport }, async ({ page }) => {
        // The sign-in page speaks the browser's language: its fields are found by their ids here.
        await page.goto(`${mailroom.url}/login`);
        await page.locator('#login-user').fill(admin.uid);
        await page.locator('#login-password').fill(admin.password);
        await page.locator('#login-password').press('Enter');
        await page.waitForURL(/\/admin\/email$/);
        for (const shown of MATRIX_PAGES) {
          await page.setViewportSize(MATRIX_SCREENS[0].viewport);
          await page.goto(`${mailroom.url}${shown.path}`);
          await page.getByRole('heading', { level: 1, name: shown.title[admin.lang], exact: true }).waitFor();
          await page.locator(shown.ready).first().waitFor();
          assert.equal(await page.evaluate<string>('document.documentElement.lang'), admin.lang, `${shown.name} speaks ${admin.lang}`);
          for (const screen of MATRIX_SCREENS) {
            await page.setViewportSize(screen.viewport);
            if (screen.name === 'phone') {
              const wide = await scrollsSideways(page);
              assert.ok(!wide.sideways, `${shown.name} (${admin.lang}) fits a phone: ${wide.scrollWidth} px wide in ${wide.innerWidth}`);
              await assertWholeChoices(page);
            }
            for (const theme of MATRIX_THEMES) {
              await page.emulateMedia({ colorScheme: theme });
              // Sandboxed frames (the template preview) are painted only once captured on their own (which scrolls to them).
              for (const frame of await page.locator('iframe').all()) {
                if (await frame.isVisible()) await frame.screenshot({ animations: 'disabled' });
              }
              await page.evaluate('window.scrollTo(0, 0)');
              const name = `${shown.name}.${admin.lang}.${theme}.${screen.name}.jpg`;
              await page.screenshot({ path: join(SCREENSHOT_DIR, 'pages', name), type: 'jpeg', quality: MATRIX_QUALITY, animations: 'disabled' });
              written.push(name);
            }
          }
        }
      });
    }
    assert.equal(written.length, MATRIX_PAGES.length * MATRIX_ADMINS.length * MATRIX_SCREENS.length * MATRIX_THEMES.length);
    let bytes = 0;
    for (const name of written) bytes += (await stat(join(SCREENSHOT_DIR, 'pages', name))).size;
    // Kept in the repository: 48 pictures must stay a few megabytes, not tens.
    assert.ok(bytes < 3_000_000, `the table's pictures take ${(bytes / 1e6).toFixed(2)} MB`);
    process.stdout.write(`# ${written.length} pictures, ${(bytes / 1e6).toFixed(2)} MB, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });
});
