/**
 * The Users page, the pages of mailed links, and the finish of the web interface, in a real
 * browser (chromium) against a real Mailroom with its outbox worker and the suite's real Postfix:
 * 8. search, delete and disable (each asked first), "Send password reset", and time zones by
 *    their current IANA names (also one saved under its old name);
 * 9. the reset, set-password and confirm-address pages check their link as they open, name
 *    its account and speak the account's language;
 * 10. "Page not found", the favicon, one settings request per page, Chinese pills and headings
 *    on one line, addresses that wrap at "@" and ".", checkboxes beside their labels and whole
 *    options on a phone, "Sign out" on the baseline of the navigation, and messages that go
 *    when their action is over. It also takes the screenshots of these pages (docs/screenshots/).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import type { Locator, Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, PHONE, SCREENSHOT_DIR, assertWholeChoices, eventually, launchBrowser, screenshot, signIn, type MailroomInstance, type TestBrowser, type TestPage, startMailroomSendingThrough } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';

const PASSWORD = 'Juniper-Kettle-Harbor-52';
const NEW_PASSWORD = 'Saffron-Lighthouse-8841';
const LONG_ADDRESS = 'christopher.montgomery-fitzgerald@accounts.example-organisation.org';

interface UserView {
  uid: string;
  disabled: boolean;
  timezone: string;
}

/** The lines a piece of text is laid out on: for each line, the text on it. */
function linesOf(element: Locator): Promise<string[]> {
  return element.evaluate((el) => {
    type Rect = { top: number };
    type Range = { setStart(n: unknown, o: number): void; setEnd(n: unknown, o: number): void; getClientRects(): ArrayLike<Rect> };
    type TextNode = { data: string };
    const doc = (globalThis as unknown as { document: { createRange(): Range; createTreeWalker(root: unknown, what: number): { nextNode(): TextNode | null } } }).document;
    const lines: Array<{ top: number; text: string }> = [];
    const walker = doc.createTreeWalker(el, 4);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = doc.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        const line = lines.find((l) => Math.abs(l.top - rect.top) < 3);
        if (line) line.text += node.data[i];
        else lines.push({ top: rect.top, text: node.data[i] as string });
      }
    }
    return lines.sort((a, b) => a.top - b.top).map((l) => l.text);
  });
}

/** The bottom of the first line of text in an element: where its letters stand. */
function baselineOf(element: Locator): Promise<number> {
  return element.evaluate((el) => {
    type Range = { selectNodeContents(n: unknown): void; getClientRects(): ArrayLike<{ bottom: number }> };
    const range = (globalThis as unknown as { document: { createRange(): Range } }).document.createRange();
    range.selectNodeContents(el);
    return range.getClientRects()[0]?.bottom ?? Number.NaN;
  });
}

/** A 404 the test asked for is not a fault of the page: taken off the list of problems. */
function expect404(t: TestPage, path: string): void {
  const i = t.problems.findIndex((p) => p.startsWith('HTTP 404 from GET') && p.endsWith(path));
  assert.ok(i >= 0, `the page at ${path} was answered 404: ${JSON.stringify(t.problems)}`);
  t.problems.splice(i, 1);
}

describe('users, the pages of mailed links, and the finish of the web interface', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser] = await Promise.all([startPostfix(), launchBrowser()]);
    mailroom = await startMailroomSendingThrough(postfix);
    const people = [
      { uid: 'mei.lin', display_name: 'Mei Lin', email: 'mei.lin@example.org', language: 'zh-CN' as const, timezone: 'Asia/Shanghai' },
      { uid: 'omar', display_name: 'Omar Haddad', email: 'omar@example.org', timezone: 'Europe/Berlin' },
      { uid: 'chris', display_name: 'Christopher Montgomery-Fitzgerald', email: LONG_ADDRESS, timezone: 'Europe/London' },
      { uid: 'ravi', display_name: 'Ravi Kumar', email: 'ravi@example.org', timezone: 'Asia/Kolkata' },
    ];
    for (const p of people) await mailroom.ctx.users.add({ ...p, password: PASSWORD });
    // As an older version saved it: Ravi's zone under its old name.
    const file = new BetterSqlite3(join(mailroom.dataDir, 'mailroom.sqlite'));
    try {
      file.prepare("UPDATE users SET timezone = 'Asia/Calcutta' WHERE uid = 'ravi'").run();
    } finally {
      file.close();
    }
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(() => closeAll(browser, mailroom, postfix));

  const userOf = async (uid: string) => (await mailroom.api<{ user?: UserView }>('GET', `/api/v1/users/${encodeURIComponent(uid)}`)).body.user;

  const seenLinks = new Set<string>();
  /** The `/{path}/…` link of a mail to the address that no earlier call returned: the newest one. */
  async function linkIn(address: string, path: string): Promise<string> {
    const pattern = new RegExp(`${mailroom.url.replace(/[.]/g, '\\.')}/${path}/[A-Za-z0-9_-]+`);
    let found: string | undefined;
    await eventually(
      async () => {
        for (const mail of (await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === address)) {
          const link = pattern.exec((await simpleParser(mail.raw)).text ?? '')?.[0];
          if (link && !seenLinks.has(link)) found = link;
        }
        return found !== undefined;
      },
      `a new ${path} link in a mail to ${address}`,
      20_000,
    );
    seenLinks.add(found as string);
    return found as string;
  }

  async function openUsers(page: Page): Promise<void> {
    await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('#users-list tr[data-uid="admin"]').waitFor();
  }

  describe('8. the Users page', () => {
    it('searches the list by user name, name or address and says how many it shows', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await openUsers(page);
        const search = page.getByRole('searchbox', { name: 'Search users' });
        const shown = () => page.locator('#users-list tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { uid: string } }).dataset.uid));
        await search.fill('MEI');
        await eventually(async () => JSON.stringify(await shown()) === '["mei.lin"]', 'only Mei Lin is shown');
        await page.locator('#users-search-count').filter({ hasText: '1 of 5 users shown.' }).waitFor();
        await search.fill('example-organisation');
        await eventually(async () => JSON.stringify(await shown()) === '["chris"]', 'found by the address');
        await search.fill('nobody here');
        await page.locator('#users-search-count').filter({ hasText: 'No user matches “nobody here”.' }).waitFor();
        assert.equal(await page.locator('#users-list').count(), 0, 'no empty table');
        await search.fill('');
        await eventually(async () => (await shown()).length === 5, 'everyone again');
      });
    });

    it('sends a password reset from the list: the mail arrives and its link sets the password', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await openUsers(page);
        await page.locator('#users-list tr[data-uid="omar"]').getByRole('button', { name: 'Send a password reset to omar' }).click();
        await page.locator('#users-status').filter({ hasText: 'A password-reset link was sent to omar@example.org.' }).waitFor();
        const link = await linkIn('omar@example.org', 'reset');
        // The message belongs to the reset: opening another user's form ends it.
        await page.locator('#users-list tr[data-uid="omar"]').getByRole('button', { name: 'Edit omar' }).click();
        await page.locator('#user-edit').waitFor();
        assert.equal(await page.locator('#users-status').innerText(), '', 'the message of the reset is gone');

        await page.goto(link);
        await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
        await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.getByRole('status').filter({ hasText: 'Your password was changed.' }).waitFor();
      });
      assert.equal((await mailroom.api('POST', '/api/v1/login', { body: { user: 'omar', password: NEW_PASSWORD } })).status, 200);
    });

    it('asks before disabling and before deleting; Cancel changes nothing, OK does it; the last admin is refused with the reason', async () => {
      await mailroom.ctx.users.add({ uid: 'temp', display_name: 'Temp Worker', email: 'temp@example.org', password: PASSWORD });
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await openUsers(page);
        const row = page.locator('#users-list tr[data-uid="temp"]');
        const questions: string[] = [];
        const answer = (accept: boolean) =>
          page.once('dialog', (dialog) => {
            questions.push(dialog.message());
            void (accept ? dialog.accept() : dialog.dismiss());
          });

        answer(false);
        await row.getByRole('button', { name: 'Disable temp' }).click();
        await eventually(async () => questions.length === 1, 'the page asks before disabling');
        assert.equal(questions[0], 'Disable the user temp? They are signed out everywhere and cannot sign in until an admin enables the account again.');
        assert.equal((await userOf('temp'))?.disabled, false, 'Cancel: still enabled');
        answer(true);
        await row.getByRole('button', { name: 'Disable temp' }).click();
        await page.locator('#users-status').filter({ hasText: 'User temp is disabled' }).waitFor();
        assert.equal((await userOf('temp'))?.disabled, true);

        answer(false);
        await row.getByRole('button', { name: 'Delete temp' }).click();
        await eventually(async () => questions.length === 3, 'the page asks before deleting');
        assert.match(questions[2] ?? '', /^Delete the user temp\? Their sessions, app passwords, mailed links, notification choices and activities are deleted with them\. Mails already queued to their address are still sent\. This cannot be undone\.$/);
        assert.ok(await userOf('temp'), 'Cancel: still there');
        answer(true);
        await row.getByRole('button', { name: 'Delete temp' }).click();
        await page.locator('#users-status').filter({ hasText: 'User temp deleted.' }).waitFor();
        assert.equal(await row.count(), 0, 'the row is gone');
        assert.equal((await mailroom.api('GET', '/api/v1/users/temp')).status, 404);

        // The only admin: refused by the server, said on the page.
        answer(true);
        await page.locator('#users-list tr[data-uid="admin"]').getByRole('button', { name: 'Delete admin' }).click();
        await page.locator('#users-status').filter({ hasText: 'Not possible: admin is the last active admin. Make another user admin first.' }).waitFor();
        assert.ok(await userOf('admin'));
      });
    });

    it('offers time zones by their current names, and shows one saved under its old name by the current one', async () => {
      assert.equal((await userOf('ravi'))?.timezone, 'Asia/Kolkata');
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await openUsers(page);
        assert.match(await page.locator('#users-list tr[data-uid="ravi"]').innerText(), /Asia\/Kolkata/);
        const listed = await page.locator('#add-timezones option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
        assert.ok(listed.includes('Asia/Kolkata') && listed.includes('Europe/Kyiv') && listed.includes('UTC'), 'the current names');
        assert.ok(!listed.includes('Asia/Calcutta') && !listed.includes('Europe/Kiev') && !listed.includes('Asia/Saigon'), 'not the old ones');
      });
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'ravi', PASSWORD, /\/personal$/);
        const zone = page.getByLabel('Time zone');
        const options = () => zone.locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
        await eventually(async () => (await options()).length > 300, 'the whole list is in');
        assert.equal(await zone.inputValue(), 'Asia/Kolkata', 'the saved zone is shown by its current name');
        assert.ok((await options()).includes('Asia/Kolkata') && !(await options()).includes('Asia/Calcutta'));
        await zone.selectOption('Asia/Ho_Chi_Minh');
        await page.locator('#st-timezone').filter({ hasText: 'Saved' }).waitFor();
      });
      assert.equal((await userOf('ravi'))?.timezone, 'Asia/Ho_Chi_Minh');
    });
  });

  describe('9. the pages of mailed links', () => {
    it('a reset link names its account and speaks its language (Chinese for Mei, in an English browser); a bad link says so before any form', async () => {
      assert.equal((await mailroom.api('POST', '/api/v1/users/mei.lin/password-reset')).status, 202);
      const link = await linkIn('mei.lin@example.org', 'reset');
      await browser.withPage({ locale: 'en-US', viewport: PHONE }, async ({ page }) => {
        await page.goto(link);
        await page.getByRole('heading', { level: 1, name: '设置新密码' }).waitFor();
        assert.equal(await page.locator('#link-account').innerText(), '用于账户 Mei Lin（m•••@example.org）。');
        assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'zh-CN');
        assert.ok(!(await page.content()).includes('mei.lin@example.org'), 'the address is masked');
        await screenshot(page, 'reset-link.zh-CN-phone.png');

        await page.goto(`${mailroom.url}/reset/${'A'.repeat(43)}`);
        await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
        assert.equal(await page.locator('#link-account').count(), 0, 'no account for a link that does not work');
        assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0);
        await page.getByRole('link', { name: 'Reset your password' }).waitFor();
      });
    });

    it('the set-password page of an invitation greets the invited user in their language; a replaced invitation is refused as it opens', async () => {
      const added = await mailroom.api('POST', '/api/v1/users', { body: { uid: 'wen', display_name: '周文', email: 'wen@example.org', language: 'zh-CN' } });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const first = await linkIn('wen@example.org', 'set-password');
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await page.goto(first);
        await page.getByRole('heading', { level: 1, name: '欢迎，周文' }).waitFor();
        assert.equal(await page.locator('#link-account').innerText(), '用于账户 周文（w•••@example.org）。');
      });
      assert.equal((await mailroom.api('POST', '/api/v1/users/wen/invitation')).status, 202);
      const second = await linkIn('wen@example.org', 'set-password');
      assert.notEqual(second, first);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await page.goto(first);
        await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
        await page.getByRole('alert').filter({ hasText: 'This invitation link is not valid' }).waitFor();
        assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0);
      });
    });

    it('the confirm-address page names the account and the new address (masked) before its button', async () => {
      const own = await mailroom.ctx.tokens.create('chris-laptop', { uid: 'chris' });
      const asked = await mailroom.api('PATCH', '/api/v1/me', { token: own, body: { email: 'chris@example.net', current_password: PASSWORD } });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      const link = await linkIn('chris@example.net', 'confirm-email');
      await browser.withPage({ locale: 'zh-CN', viewport: DESKTOP }, async ({ page }) => {
        await page.goto(link);
        // Chris reads English, though this browser prefers Chinese.
        await page.getByRole('heading', { level: 1, name: 'Confirm your new email address' }).waitFor();
        assert.equal(await page.locator('#link-account').innerText(), 'For the account Christopher Montgomery-Fitzgerald (c•••@example.net).');
        await page.getByRole('button', { name: 'Confirm the address' }).click();
        await page.getByRole('status').filter({ hasText: 'Your email address is now chris@example.net.' }).waitFor();
      });
      // Back to the long address, for the layout test below.
      assert.equal((await mailroom.api('PATCH', '/api/v1/users/chris', { body: { email: LONG_ADDRESS } })).status, 200);
    });
  });

  describe('10. the finish', () => {
    it('answers an unknown path with "Page not found" (HTML, status 404, with the navigation), signed in or not; the API keeps its JSON', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async (t) => {
        const { page } = t;
        const signedOut = await page.goto(`${mailroom.url}/no/such/page`);
        assert.equal(signedOut?.status(), 404);
        assert.match(signedOut?.headers()['content-type'] ?? '', /^text\/html/);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        await page.getByRole('link', { name: 'Sign in' }).waitFor();
        expect404(t, '/no/such/page');

        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        const signedIn = await page.goto(`${mailroom.url}/settings`);
        assert.equal(signedIn?.status(), 404);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        assert.match(await page.locator('#not-found').innerText(), /There is no page at \/settings\./);
        assert.equal(await page.getByText('You may not see this page.').count(), 0);
        await page.getByRole('navigation').getByRole('link', { name: 'Users' }).waitFor();
        await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).waitFor();
        expect404(t, '/settings');
        // A path under /admin/ that is no page: the same, from the app.
        await page.goto(`${mailroom.url}/admin/nothing-here`);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot(page, 'not-found-dark.png');
      });
      const api = await fetch(`${mailroom.url}/api/v1/no-such-route`, { headers: { accept: 'text/html' } });
      assert.equal(api.status, 404);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'not_found');
      const script = await fetch(`${mailroom.url}/no/such/page`);
      assert.equal(script.status, 404);
      assert.match(script.headers.get('content-type') ?? '', /^application\/json/, 'a client that does not ask for HTML gets JSON');
    });

    it('has a favicon, linked from the page and at /favicon.ico', async () => {
      for (const path of ['/favicon.ico', '/favicon.svg']) {
        const reply = await fetch(`${mailroom.url}${path}`);
        assert.equal(reply.status, 200, path);
        assert.equal(reply.headers.get('content-type'), 'image/svg+xml');
        assert.match(await reply.text(), /^<svg /);
      }
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await page.goto(`${mailroom.url}/login`);
        assert.equal(await page.locator('link[rel="icon"]').getAttribute('href'), '/favicon.svg');
      });
    });

    it('asks for the mail settings once per page, loaded or reached through the navigation', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        let count = 0;
        page.on('request', (request) => {
          if (new URL(request.url()).pathname === '/api/v1/settings/mail' && request.method() === 'GET') count++;
        });
        // Nothing was edited, so no page may ask whether to leave (a dialog would be dismissed and the move refused).
        const asked: string[] = [];
        page.on('dialog', (dialog) => asked.push(`${dialog.type()}: ${dialog.message()}`));
        // The page's requests start after its heading shows: wait for the first, then a moment for any second.
        const settled = async () => {
          await eventually(async () => count > 0, 'the settings are asked for');
          await page.waitForTimeout(750);
        };
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
        await settled();
        assert.equal(count, 1, 'signing in leads to the Email server page with one request');
        const pages: Array<[string, string]> = [
          ['/admin/email', 'Email server'],
          ['/admin/general', 'General'],
          ['/admin/templates', 'Email templates'],
          ['/admin/outbox', 'Outbox'],
          ['/admin/users', 'Users'],
          ['/personal', 'Personal settings'],
          ['/activity', 'Activity'],
        ];
        for (const [path, title] of pages) {
          count = 0;
          await page.goto(`${mailroom.url}${path}`);
          await page.getByRole('heading', { level: 1, name: title }).waitFor();
          await settled();
          assert.equal(count, 1, `${path}: one settings request when loaded`);
        }
        for (const [path, title] of pages.slice(0, 5)) {
          count = 0;
          // The app routes in the page: the address changes without a new document to load. A
          // banner the page shows once its data is in can move the link as it is clicked (seen
          // twice in full-suite runs, never alone): one more click, then the reason.
          const link = page.getByRole('navigation').getByRole('link', { name: title, exact: true });
          for (let attempt = 1; ; attempt++) {
            await link.click();
            const moved = await page.waitForURL(new RegExp(`${path}$`), { waitUntil: 'commit', timeout: 4000 }).then(
              () => true,
              () => false,
            );
            if (moved) break;
            assert.ok(attempt < 2, `the link "${title}" did not lead to ${path} (at ${page.url()}; dialogs: ${JSON.stringify(asked)})`);
          }
          assert.deepEqual(asked, [], 'no page asked before it was left');
          await page.getByRole('heading', { level: 1, name: title }).waitFor();
          await settled();
          assert.equal(count, 1, `${path}: one settings request when reached through the navigation`);
        }
        count = 0;
        await page.goto(`${mailroom.url}/`);
        await page.waitForURL(/\/admin\/email$/);
        await page.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
        await settled();
        assert.equal(count, 1, '/ leads to the Email server page with one request');
      });
    });

    it('in Chinese, keeps state pills and column headings on one line, and wraps a long address only at "@" and "."', async () => {
      const zh = await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'zh-CN' } });
      assert.equal(zh.status, 200);
      try {
        for (const viewport of [DESKTOP, PHONE]) {
          // The browser's language matters only until sign-in; then the account's (Chinese) is spoken.
          await browser.withPage({ locale: 'en-US', viewport }, async ({ page }) => {
            await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
            await page.goto(`${mailroom.url}/admin/users`);
            await page.locator('#users-list tr[data-uid="chris"]').waitFor();
            for (const pill of await page.locator('#users-list .badge').all()) {
              assert.equal((await linesOf(pill)).length, 1, `the pill "${await pill.innerText()}" is on one line`);
            }
            if (viewport === DESKTOP) {
              for (const heading of await page.locator('#users-list thead th').all()) {
                assert.equal((await linesOf(heading)).length, 1, `the heading "${await heading.innerText()}" is on one line`);
              }
            }
            const address = page.locator('#users-list tr[data-uid="chris"] .addr');
            const lines = await linesOf(address);
            assert.equal(lines.join(''), LONG_ADDRESS);
            if (viewport === PHONE) assert.ok(lines.length > 1, `the address wraps on a phone: ${JSON.stringify(lines)}`);
            for (let i = 1; i < lines.length; i++) {
              const before = lines[i - 1] as string;
              const next = lines[i] as string;
              assert.ok(before.endsWith('@') || next.startsWith('.'), `a line ends at "@" or the next begins with ".": ${JSON.stringify(lines)}`);
            }
            if (viewport === PHONE) {
              await page.emulateMedia({ colorScheme: 'dark' });
              await screenshot(page, 'admin-users.zh-CN-phone-dark.png');
            }
          });
        }
      } finally {
        await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'en' } });
      }
    });

    it('on a phone, sets each checkbox beside its label and shows the whole of every chosen option', async () => {
      await browser.withPage({ locale: 'en-US', viewport: PHONE }, async ({ page }) => {
        await signIn(page, mailroom.url, 'mei.lin', PASSWORD, /\/personal$/);
        await page.locator('#notifications').waitFor();
        const boxes = page.locator('#notifications input[type="checkbox"]');
        assert.ok((await boxes.count()) > 5);
        for (const box of await boxes.all()) {
          const cell = box.locator('xpath=ancestor::*[self::td or contains(@class, "field")][1]');
          const [b, c] = [await box.boundingBox(), await cell.boundingBox()];
          assert.ok(b && c);
          // Beside: the cell is one line high, the box inside it.
          assert.ok(c.height < b.height * 2.6, `the checkbox ${await box.getAttribute('id')} shares its line with the label (cell ${c.height}px high)`);
        }
        await assertWholeChoices(page);
        await screenshot(page, 'personal-phone.zh-CN.png');
      });
      await browser.withPage({ locale: 'en-US', viewport: PHONE }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        const mode = page.getByLabel('Send mode');
        await mode.selectOption('capture');
        await page.locator('#st-mail_smtpmode').filter({ hasText: 'Saved' }).waitFor();
        assert.equal(await mode.evaluate((el) => (el as unknown as { selectedOptions: ArrayLike<{ text: string }> }).selectedOptions[0]?.text), 'Capture (keep mails in Mailroom, send nothing)');
        await assertWholeChoices(page);
        await mailroom.ctx.settings.update(postfixSettings(postfix));
      });
    });

    it('sets "Sign out" on the baseline of the other links of the navigation, in both languages', async () => {
      for (const [uid, password, personal, signOutText] of [
        ['omar', NEW_PASSWORD, 'Personal', 'Sign out'],
        ['mei.lin', PASSWORD, '个人设置', '退出登录'],
      ] as const) {
        await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
          await signIn(page, mailroom.url, uid, password, /\/personal$/);
          const nav = page.getByRole('navigation');
          const link = await baselineOf(nav.getByRole('link', { name: personal }));
          const signOut = await baselineOf(nav.getByRole('button', { name: signOutText }));
          assert.ok(Math.abs(link - signOut) <= 1, `${uid}: "${signOutText}" stands at ${signOut}, the links at ${link}`);
        });
      }
    });

    it('clears a message once its action is over: a refused password change, when the fields are typed again', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'omar', NEW_PASSWORD, /\/personal$/);
        const current = page.getByLabel('Current password');
        await current.fill('Not-the-password-123');
        await page.getByLabel('New password').fill('Another-Fine-Password-66');
        await page.getByRole('button', { name: 'Change password' }).click();
        const refused = page.locator('section[aria-labelledby="password-title"] .notice.error');
        await refused.waitFor();
        await current.fill(NEW_PASSWORD);
        await eventually(async () => (await refused.count()) === 0, 'the refusal goes when the password is typed again');
      });
    });
  });
});
