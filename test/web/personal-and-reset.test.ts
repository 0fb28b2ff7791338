/**
 * What a user who is not an admin meets in a real browser (chromium), against a real Mailroom
 * with its outbox worker and the suite's real Postfix: signing in (also with the keyboard only),
 * the personal page (language, digest frequency, one notification switched off, at desktop and
 * phone width; its lists browsed with the arrow keys save nothing until Enter or leaving them), the admin pages and APIs closed to them, the CSRF check on changes made with the
 * session cookie, and "forgot password" from the form to the mailed link to the new password.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, SCREENSHOT_DIR, descriptionOf, eventually, focusedId, generatedText, launchBrowser, screenshot, scrollsSideways, signIn, waitForDescription, type MailroomInstance, type TestBrowser, startMailroomSendingThrough } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { startPostfix, waitForMail, type PostfixServer } from '../support/servers.ts';

const PASSWORD = 'Harbor-Violet-Lantern-31';
const NEW_PASSWORD = 'Copper-Finch-Meadow-77';

interface Preferences {
  frequency: string;
  language: string;
  types: Record<string, { email: boolean; stream: boolean }>;
}

interface ApiErrorBody {
  error: { code: string; message: string };
}

/** The same token with one character in the middle changed to another valid one. */
function tamper(token: string): string {
  const i = Math.floor(token.length / 2);
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
}

describe('the personal page, sign-in and password reset, for a user who is not an admin', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser] = await Promise.all([startPostfix(), launchBrowser()]);
    mailroom = await startMailroomSendingThrough(postfix);
    for (const uid of ['mei', 'li', 'ana', 'kai']) await mailroom.ctx.users.add({ uid, email: `${uid}@example.org`, password: PASSWORD, display_name: uid.toUpperCase() });
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(() => closeAll(browser, mailroom, postfix));

  async function preferencesOf(uid: string): Promise<Preferences> {
    const r = await mailroom.api<{ preferences: Preferences }>('GET', `/api/v1/users/${uid}/preferences`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.preferences;
  }

  async function languageOf(uid: string): Promise<string> {
    const r = await mailroom.api<{ user: { language: string } }>('GET', `/api/v1/users/${uid}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.user.language;
  }

  /** A request made by a script in the page, with the session cookie and the headers given. */
  function fetchInPage(page: Page, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: unknown }> {
    return page.evaluate(
      async ([method, path, headers, body]) => {
        const r = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        return { status: r.status, body: (await r.json()) as unknown };
      },
      [method, path, headers, body] as const,
    );
  }

  it('signs in with the keyboard alone: Tab reaches the user name, the password and the button in order, Enter submits', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await page.goto(`${mailroom.url}/login`);
      await page.getByRole('heading', { level: 1, name: 'Sign in to Mailroom' }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), await page.getByLabel('User name or email').getAttribute('id'), 'first Tab: the user name');
      await page.keyboard.type('kai');
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), await page.getByLabel('Password', { exact: true }).getAttribute('id'), 'second Tab: the password');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Sign in', 'third Tab: the button');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/personal$/);
      await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();

      // Enter in the password field submits too.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login$/);
      await page.getByLabel('User name or email').fill('kai');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Password', { exact: true }).press('Enter');
      await page.waitForURL(/\/personal$/);
    });
  });

  it('sets the language to Chinese, the digest to daily and one notification off, and fits a phone screen', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'mei', PASSWORD, /\/personal$/);
      await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();

      const language = page.getByLabel('Language', { exact: true });
      await language.selectOption({ label: '中文（简体）' });
      // The page turns Chinese at once: headings, labels, navigation and the status.
      await page.getByRole('heading', { level: 1, name: '个人设置' }).waitFor();
      await waitForDescription(page.getByLabel('语言', { exact: true }), /✓ 已保存/);
      await page.getByRole('heading', { level: 2, name: '通知' }).waitFor();
      await page.getByRole('link', { name: '个人设置' }).waitFor();
      await page.getByRole('button', { name: '退出登录' }).waitFor();
      assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'zh-CN');
      assert.equal(await languageOf('mei'), 'zh-CN');
      assert.equal((await preferencesOf('mei')).language, 'zh-CN');

      const frequency = page.getByLabel('活动邮件发送频率');
      await frequency.selectOption({ label: '每天' });
      await waitForDescription(frequency, /✓ 已保存/);
      assert.equal((await preferencesOf('mei')).frequency, 'daily');

      const fileChangedByMail = page.getByRole('checkbox', { name: '文件被修改: 邮件' });
      assert.equal(await fileChangedByMail.isChecked(), true, 'on by default');
      await fileChangedByMail.uncheck();
      await waitForDescription(fileChangedByMail, /✓ 已保存/);
      const prefs = await preferencesOf('mei');
      assert.deepEqual(prefs.types['file.changed'], { email: false, stream: true }, 'only the email of that type is off');
      assert.equal(prefs.types['file.created']?.email, true, 'the other types are untouched');

      // What was saved is what a reload shows.
      await page.reload();
      await page.getByRole('heading', { level: 1, name: '个人设置' }).waitFor();
      assert.equal(await page.getByLabel('活动邮件发送频率').inputValue(), 'daily');
      assert.equal(await page.getByRole('checkbox', { name: '文件被修改: 邮件' }).isChecked(), false);
      await screenshot(page, 'personal.png');

      await page.setViewportSize(PHONE);
      await page.getByRole('heading', { level: 1, name: '个人设置' }).waitFor();
      const fit = await scrollsSideways(page);
      assert.equal(fit.sideways, false, `the personal page fits ${PHONE.width} px: ${JSON.stringify(fit)}`);
      // The column heads are hidden at this width: each switch names its column itself.
      const cellOf = (name: string) => page.getByRole('checkbox', { name }).locator('xpath=..');
      const columnName = (name: string) => generatedText(cellOf(name), '::before');
      assert.equal(await page.getByRole('columnheader', { name: '邮件' }).isVisible(), false);
      assert.match(await columnName('文件被修改: 邮件'), /邮件/);
      assert.match(await columnName('文件被修改: 动态列表'), /动态列表/);
      await screenshot(page, 'personal-phone.png');
    });
  });

  it('browsing the language, time zone and digest lists with the keyboard saves nothing until Enter or leaving the list', async () => {
    await mailroom.ctx.users.add({ uid: 'noa', email: 'noa@example.org', password: PASSWORD, display_name: 'Noa' });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'noa', PASSWORD, /\/personal$/);
      await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();
      const saves: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'PATCH' && new URL(request.url()).pathname === '/api/v1/me/preferences') saves.push(request.postData() ?? '');
      });

      // Down from English passes Chinese: the page stays English and nothing is saved.
      const language = page.getByLabel('Language', { exact: true });
      await language.focus();
      await page.keyboard.press('ArrowDown');
      assert.equal(await language.inputValue(), 'zh-CN', 'the list shows the option browsed to');
      await waitForDescription(language, /Not saved yet: press Enter to save this choice/);
      await page.waitForTimeout(300);
      assert.deepEqual(saves, [], 'no save while browsing');
      assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'en');
      assert.equal(await languageOf('noa'), 'en');
      // Escape: back to the saved one.
      await page.keyboard.press('Escape');
      assert.equal(await language.inputValue(), 'en');

      // The digest: browsed, then left with Tab, which saves the option shown.
      const frequency = page.getByLabel('Send activity emails');
      const before = await frequency.inputValue();
      await frequency.focus();
      await page.keyboard.press('ArrowDown');
      const browsed = await frequency.inputValue();
      assert.notEqual(browsed, before);
      await waitForDescription(frequency, /Not saved yet/);
      assert.equal((await preferencesOf('noa')).frequency, before);
      await page.keyboard.press('Tab');
      await waitForDescription(frequency, /✓ Saved/);
      assert.equal((await preferencesOf('noa')).frequency, browsed);

      // Enter saves the language browsed to, and the page turns Chinese.
      await language.focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: '个人设置' }).waitFor();
      assert.equal(await languageOf('noa'), 'zh-CN');
      assert.deepEqual(
        saves.map((x) => JSON.parse(x) as unknown),
        [{ frequency: browsed }, { language: 'zh-CN' }],
        'one save for each choice made, none for those passed',
      );
    });
  });

  it('keeps a refused display name in its field with the reason while another choice is saved, until it is corrected', async () => {
    await mailroom.ctx.users.add({ uid: 'ylva', email: 'ylva@example.org', password: PASSWORD, display_name: 'Ylva' });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'ylva', PASSWORD, /\/personal$/);
      // Typed once the page has all it loads (an answer arriving meanwhile shows the saved name again).
      await page.locator('#notifications').waitFor();
      const name = page.getByLabel('Display name');
      await name.fill('');
      await name.press('Tab');
      await waitForDescription(name, /display_name: /);
      assert.equal(await name.inputValue(), '', 'what was typed stays');
      assert.equal(await name.getAttribute('aria-invalid'), 'true');

      const ownActions = page.getByLabel('List my own actions in activity emails');
      await ownActions.check();
      await waitForDescription(ownActions, /✓ Saved/);
      assert.equal(await name.inputValue(), '', 'another save does not put the saved name back');
      assert.match(await descriptionOf(name), /display_name: /, 'nor take the reason away');

      await name.fill('Ylva Lind');
      await name.press('Tab');
      await waitForDescription(name, /✓ Saved/);
      assert.equal(await name.getAttribute('aria-invalid'), null);
      const r = await mailroom.api<{ user: { display_name: string } }>('GET', '/api/v1/users/ylva');
      assert.equal(r.body.user.display_name, 'Ylva Lind');
    });
  });

  it('shows the sign-in page in the browser language and without sideways scrolling on a phone', async () => {
    await browser.withPage({ locale: 'zh-CN', viewport: PHONE }, async ({ page }) => {
      await page.goto(`${mailroom.url}/login`);
      await page.getByRole('heading', { level: 1, name: '登录 Mailroom' }).waitFor();
      await page.getByLabel('用户名或邮箱').waitFor();
      const fit = await scrollsSideways(page);
      assert.equal(fit.sideways, false, `the sign-in page fits ${PHONE.width} px: ${JSON.stringify(fit)}`);
    });
  });

  it('keeps the admin pages and APIs closed to a user, and refuses changes without the CSRF token', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'li', PASSWORD, /\/personal$/);
      assert.equal(await page.getByRole('link', { name: 'Email server' }).count(), 0, 'no admin links for a user');
      await page.goto(`${mailroom.url}/admin/email`);
      await page.getByRole('alert').filter({ hasText: 'You may not see this page.' }).waitFor();
      assert.equal(await page.getByLabel('Send mode').count(), 0, 'no settings shown');

      // The session cookie rides along with these requests, and is not enough.
      const settings = await page.request.get(`${mailroom.url}/api/v1/settings/mail`);
      assert.equal(settings.status(), 403);
      assert.equal(((await settings.json()) as ApiErrorBody).error.code, 'forbidden');
      const users = await page.request.get(`${mailroom.url}/api/v1/users`);
      assert.equal(users.status(), 403);
      const { csrf_token: csrf } = (await (await page.request.get(`${mailroom.url}/api/v1/session`)).json()) as { csrf_token: string };
      assert.ok(csrf, 'the session has a CSRF token');
      const patch = await fetchInPage(page, 'PATCH', '/api/v1/settings/mail', { 'content-type': 'application/json', 'x-csrf-token': csrf }, { mail_smtphost: 'evil.example' });
      assert.deepEqual([patch.status, (patch.body as ApiErrorBody).error.code], [403, 'forbidden'], 'even with the CSRF token a user may not change the server');
      assert.equal((await mailroom.ctx.settings.get()).mail_smtphost, '127.0.0.1');

      // A change to their own preferences with the cookie but without the token: refused, nothing saved.
      const frequency = (await preferencesOf('li')).frequency;
      assert.notEqual(frequency, 'weekly');
      const without = await fetchInPage(page, 'PATCH', '/api/v1/me/preferences', { 'content-type': 'application/json' }, { frequency: 'weekly' });
      assert.deepEqual([without.status, (without.body as ApiErrorBody).error.code], [403, 'csrf_token_invalid']);
      const viaRequest = await page.request.patch(`${mailroom.url}/api/v1/me/preferences`, { data: { frequency: 'weekly' } });
      assert.equal(viaRequest.status(), 403);
      assert.equal(((await viaRequest.json()) as ApiErrorBody).error.code, 'csrf_token_invalid');
      const wrong = await fetchInPage(page, 'PATCH', '/api/v1/me/preferences', { 'content-type': 'application/json', 'x-csrf-token': tamper(csrf) }, { frequency: 'weekly' });
      assert.deepEqual([wrong.status, (wrong.body as ApiErrorBody).error.code], [403, 'csrf_token_invalid'], 'a wrong token is no token');
      assert.equal((await preferencesOf('li')).frequency, frequency, 'nothing was saved');
      // The same change with the token goes through: the refusals above were the token's.
      const withToken = await fetchInPage(page, 'PATCH', '/api/v1/me/preferences', { 'content-type': 'application/json', 'x-csrf-token': csrf }, { frequency: 'weekly' });
      assert.equal(withToken.status, 200, JSON.stringify(withToken.body));
      assert.equal((await preferencesOf('li')).frequency, 'weekly');
    });
  });

  it('resets a forgotten password through the mailed link, refuses a weak password and an altered link', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await page.goto(`${mailroom.url}/login`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.waitForURL(/\/forgot$/);
      await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
      await page.getByLabel('User name or email').fill('ana@example.org');
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('status').filter({ hasText: 'a link to reset the password is on its way' }).waitFor();

      const delivered = await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'ana@example.org', { timeoutMs: 15_000 });
      const mail = await simpleParser(delivered.raw);
      const link = new RegExp(`${mailroom.url.replace(/[.]/g, '\\.')}/reset/([A-Za-z0-9_-]+)`).exec(mail.text ?? '');
      assert.ok(link, `the mail has a link to ${mailroom.url}/reset/…:\n${mail.text}`);
      const token = link[1] as string;

      // An altered link is refused as the page opens, before any password is typed.
      await page.goto(`${mailroom.url}/reset/${tamper(token)}`);
      await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
      await page.getByRole('alert').filter({ hasText: 'This password-reset link is not valid' }).waitFor();
      assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0, 'no form for a link that does not work');

      await page.goto(link[0]);
      await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
      assert.equal(await page.locator('#link-account').innerText(), 'For the account ANA (a•••@example.org).');
      const password = page.getByLabel('New password', { exact: true });
      const repeat = page.getByLabel('Repeat the new password');
      const submit = page.getByRole('button', { name: 'Set password' });
      // Too short: the browser stops the form and says how long it must be.
      await password.fill('short');
      await repeat.fill('short');
      await submit.click();
      const tooShort = await password.evaluate((el) => (el as HTMLInputElement).validationMessage);
      assert.match(tooShort, /10/, `the browser asks for 10 characters: ${JSON.stringify(tooShort)}`);
      assert.equal(await page.getByRole('status').filter({ hasText: 'Your password was changed' }).count(), 0);
      // Long enough but well known: Mailroom refuses it and says why; the link still works.
      await password.fill('1234567890');
      await repeat.fill('1234567890');
      await submit.click();
      await page.getByRole('alert').filter({ hasText: 'The password is too weak: it is one of the most used passwords' }).waitFor();

      await password.fill(NEW_PASSWORD);
      await repeat.fill(NEW_PASSWORD);
      await submit.click();
      await page.getByRole('status').filter({ hasText: 'Your password was changed. You can sign in with it now.' }).waitFor();

      // The link works once: opened again, it says so at once.
      await page.goto(link[0]);
      await page.getByRole('alert').filter({ hasText: 'This password-reset link is not valid' }).waitFor();
      assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0);

      // The old password is gone, the new one signs in.
      await page.goto(`${mailroom.url}/login`);
      await page.getByLabel('User name or email').fill('ana');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
      await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/personal$/);
      await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();
    });
  });
  it('shows a user their activity stream, newest first, in their language, without the kinds they took off the stream', async () => {
    await mailroom.ctx.users.add({ uid: 'tove', email: 'tove@example.org', password: PASSWORD, display_name: 'Tove', invite: false });
    const off = await mailroom.api('PATCH', '/api/v1/users/tove/preferences', { body: { types: { 'tag.assigned': { stream: false } } } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    await mailroom.ctx.events.ingest([
      { id: 'tove-1', type: 'file.changed', actor: 'mei', affected: ['tove'], object: { type: 'file', id: '1', name: 'Budget 2027.xlsx' }, link: 'https://cloud.example.org/f/1' },
      { id: 'tove-2', type: 'tag.assigned', actor: 'mei', affected: ['tove'], object: { type: 'file', id: '1', name: 'Budget 2027.xlsx' } },
      { id: 'tove-3', type: 'comment.created', actor: 'li', affected: ['tove'], object: { type: 'folder', id: '2', name: 'Plans' } },
    ]);
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'tove', PASSWORD, /\/personal$/);
      await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
      await page.waitForURL(/\/activity$/);
      await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
      const entries = page.locator('#activity-list li');
      await entries.first().waitFor();
      assert.deepEqual(await entries.evaluateAll((items) => items.map((li) => li.getAttribute('data-type'))), ['comment.created', 'file.changed'], 'newest first, no tag.assigned');
      assert.equal(await entries.nth(0).locator('.subject').innerText(), 'LI commented on a folder');
      assert.equal(await entries.nth(0).locator('.object').innerText(), 'Plans');
      assert.equal(await entries.nth(1).locator('.subject').innerText(), 'MEI changed a file');
      assert.equal(await entries.nth(1).getByRole('link', { name: 'Budget 2027.xlsx' }).getAttribute('href'), 'https://cloud.example.org/f/1');
      assert.equal(await entries.nth(1).locator('time').count(), 1);
      assert.equal(await page.locator('#activity-more').count(), 0, 'two entries fit on one page');
      await screenshot(page, 'activity.png');

      // The same stream in Chinese, once the user's language is Chinese.
      assert.equal((await mailroom.api('PATCH', '/api/v1/users/tove', { body: { language: 'zh-CN' } })).status, 200);
      await page.reload();
      await page.getByRole('heading', { level: 1, name: '动态' }).waitFor();
      await page.locator('#activity-list li').first().waitFor();
      assert.deepEqual(await page.locator('#activity-list .subject').allInnerTexts(), ['LI 评论了文件夹', 'MEI 修改了文件']);
      assert.equal((await scrollsSideways(page)).sideways, false);
    });

    // Someone to whom nothing has happened.
    await browser.withPage({ locale: 'en-US', viewport: PHONE }, async ({ page }) => {
      await signIn(page, mailroom.url, 'kai', PASSWORD, /\/personal$/);
      await page.goto(`${mailroom.url}/activity`);
      await page.locator('#activity-empty').filter({ hasText: 'Nothing has happened yet.' }).waitFor();

      // 55 changes: a page of 50, then "Older activity" brings the other 5, oldest last.
      await mailroom.ctx.events.ingest(Array.from({ length: 55 }, (_, i) => ({ id: `kai-${i}`, type: 'file.changed' as const, actor: 'mei', affected: ['kai'], object: { type: 'file' as const, id: String(i), name: `Report ${i + 1}.pdf` } })));
      await page.reload();
      const names = page.locator('#activity-list .object');
      await eventually(async () => (await names.count()) === 50, 'the first 50');
      assert.equal(await names.first().innerText(), 'Report 55.pdf');
      await page.getByRole('button', { name: 'Older activity' }).click();
      await eventually(async () => (await names.count()) === 55, 'all 55 after "Older activity"');
      assert.equal(await names.last().innerText(), 'Report 1.pdf');
      assert.equal(await page.locator('#activity-more').count(), 0, 'nothing older left');
      assert.equal((await scrollsSideways(page)).sideways, false);
    });
  });
});
