/**
 * The mails about an account, followed in a real browser (chromium) against a real Mailroom with
 * its outbox worker and the suite's real Postfix: an admin adds a user without a password on the
 * Users page, the welcome mail's link sets the first password, "Resend invitation" voids the
 * earlier link; a user changes their address on the personal page, which stays pending until the
 * link mailed to the new address is confirmed in the browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { ADMIN_PASSWORD, DESKTOP, PHONE, descriptionOf, eventually, launchBrowser, scrollsSideways, signIn, type MailroomInstance, type TestBrowser, startMailroomSendingThrough } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';

const PASSWORD = 'Harbor-Violet-Lantern-31';
const FIRST_PASSWORD = 'Copper-Finch-Meadow-77';

interface UserView {
  uid: string;
  email: string | null;
  password_set: boolean;
}

describe('account mails in the browser: the welcome invitation and a confirmed address change', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser] = await Promise.all([startPostfix(), launchBrowser()]);
    mailroom = await startMailroomSendingThrough(postfix);
    await mailroom.ctx.users.add({ uid: 'ines', email: 'ines@example.org', password: PASSWORD, display_name: 'Inès Moreau' });
  });

  after(() => closeAll(browser, mailroom, postfix));

  /** The links to `{base_url}/{path}/…` in the mails delivered to `address`, oldest first. */
  async function linksTo(address: string, path: string): Promise<string[]> {
    const pattern = new RegExp(`${mailroom.url.replace(/[.]/g, '\\.')}/${path}/[A-Za-z0-9_-]+`, 'g');
    const links: string[] = [];
    for (const delivered of await readMaildir(postfix.maildir)) {
      if (delivered.deliveredTo !== address) continue;
      const text = (await simpleParser(delivered.raw)).text ?? '';
      for (const link of text.match(pattern) ?? []) if (!links.includes(link)) links.push(link);
    }
    return links;
  }

  /** Waits for a mail to `address` with a link to `path` that is not one of `known`; returns the link. */
  async function newLinkTo(address: string, path: string, known: string[] = []): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const link = (await linksTo(address, path)).find((l) => !known.includes(l));
      if (link) return link;
      if (Date.now() > deadline) assert.fail(`no new mail to ${address} with a link to ${mailroom.url}/${path}/… (known: ${known.length})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function userOf(uid: string): Promise<UserView> {
    const r = await mailroom.api<{ user: UserView }>('GET', `/api/v1/users/${uid}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.user;
  }

  it('invites a user from the Users page; resending voids the first link, the new one sets the password, and the user signs in', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page: admin }) => {
      await signIn(admin, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await admin.getByRole('link', { name: 'Users' }).click();
      await admin.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

      // Add a user with an address and no password: the form says that this mails an invitation.
      const form = admin.locator('form#user-add');
      const password = form.getByLabel('Password (optional)');
      assert.match(await descriptionOf(password), /Leave empty to email an invitation/);
      await form.getByLabel('User name').fill('noor');
      await form.getByLabel('Display name').fill('Noor Haddad');
      await form.getByLabel('Email').fill('noor@example.org');
      await form.getByRole('button', { name: 'Add user' }).click();
      const added = admin.locator('#users-status').getByRole('status').filter({ hasText: 'User noor added. Invitation to noor@example.org queued.' });
      await added.waitFor();
      // Queued, not sent: the link opens that mail in the Outbox (invitation-mail-link.test.ts follows it).
      const firstMail = await added.getByRole('link', { name: 'Open the invitation mail' }).getAttribute('href');
      assert.match(firstMail ?? '', /^\/admin\/outbox\/owed\/welcome%3A/);
      const row = admin.locator('#users-list tr[data-uid="noor"]');
      assert.match(await row.innerText(), /Invitation pending/);
      assert.equal((await userOf('noor')).password_set, false);

      const first = await newLinkTo('noor@example.org', 'set-password');

      // Resend: a second mail with a new link.
      await row.getByRole('button', { name: 'Resend invitation to noor' }).click();
      const resent = admin.locator('#users-status').getByRole('status').filter({ hasText: 'Invitation to noor@example.org queued.' });
      await resent.waitFor();
      const resentMail = await resent.getByRole('link', { name: 'Open the invitation mail' }).getAttribute('href');
      assert.match(resentMail ?? '', /^\/admin\/outbox\/owed\/welcome%3A/, 'the new mail has a link of its own');
      assert.notEqual(resentMail, firstMail);
      assert.equal(await admin.locator('#users-status').getAttribute('aria-live'), 'polite', 'the result is read out');
      const second = await newLinkTo('noor@example.org', 'set-password', [first]);

      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        // The first link stopped working.
        await page.goto(first);
        await page.getByRole('heading', { level: 1, name: 'This link does not work' }).waitFor();
        await page.getByRole('alert').filter({ hasText: 'This invitation link is not valid' }).waitFor();
        await page.getByText('Ask your administrator to send you a new invitation.').waitFor();
        assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0, 'no form for a dead link');

        // The second greets the user and sets the password.
        await page.goto(second);
        await page.getByRole('heading', { level: 1, name: 'Welcome, Noor Haddad' }).waitFor();
        await page.getByText('Choose a password for your account noor.').waitFor();
        const field = page.getByLabel('New password', { exact: true });
        assert.match(await descriptionOf(field), /At least 10 characters/);
        // A password with the user name in it: refused at the field, with the reason; the link still works.
        await field.fill('noor-garden-42');
        await page.getByLabel('Repeat the new password').fill('noor-garden-42');
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.locator('#set-password-error').filter({ hasText: 'The password is too weak: it contains the user name' }).waitFor();
        assert.equal(await field.getAttribute('aria-invalid'), 'true');
        assert.match(await descriptionOf(field), /it contains the user name/);
        assert.equal((await userOf('noor')).password_set, false);

        await field.fill(FIRST_PASSWORD);
        await page.getByLabel('Repeat the new password').fill(FIRST_PASSWORD);
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.getByRole('status').filter({ hasText: 'Your password is set. You can sign in with it now.' }).waitFor();
        assert.equal((await userOf('noor')).password_set, true);

        // On to sign-in, with the user name filled in.
        await page.getByRole('link', { name: 'Sign in' }).click();
        await page.waitForURL(/\/login\?user=noor$/);
        assert.equal(await page.getByLabel('User name or email').inputValue(), 'noor');
        await page.getByLabel('Password', { exact: true }).fill(FIRST_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(/\/personal$/);
        await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();

        // The link works once: opened again, it says so before any form.
        await page.goto(second);
        await page.getByRole('alert').filter({ hasText: 'This invitation link is not valid' }).waitFor();
      });

      // The admin sees the user in: no invitation pending any more.
      await admin.reload();
      await row.waitFor();
      assert.match(await row.innerText(), /Active/);
      assert.doesNotMatch(await row.innerText(), /Invitation pending/);
      assert.equal(await row.getByRole('button', { name: 'Resend invitation to noor' }).count(), 0);
    });

    // The first password is no change to warn of: no "your password was changed" mail for it.
    // A later change is one: its mail arrives, and by then one for the first password would have.
    const changed = await mailroom.api('PATCH', '/api/v1/users/noor', { body: { password: 'Second-Heron-Quarry-58' } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const forgotLinks = async () => {
      let count = 0;
      for (const delivered of await readMaildir(postfix.maildir)) {
        if (delivered.deliveredTo === 'noor@example.org' && ((await simpleParser(delivered.raw)).text ?? '').includes(`${mailroom.url}/forgot`)) count++;
      }
      return count;
    };
    await eventually(async () => (await forgotLinks()) > 0, 'the mail about the changed password arrives', 15_000);
    assert.equal(await forgotLinks(), 1, 'one "password changed" mail: for the change, none for the first password');
  });

  it("shows the set-password page in the account's language (Chinese, in an English browser), fitting a phone", async () => {
    const r = await mailroom.api<{ user: UserView & { invitation?: { email: string } } }>('POST', '/api/v1/users', { body: { uid: 'wei', display_name: '王伟', email: 'wei@example.org', language: 'zh-CN' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.user.invitation?.email, 'wei@example.org');
    const link = await newLinkTo('wei@example.org', 'set-password');
    await browser.withPage({ locale: 'en-US', viewport: PHONE }, async ({ page }) => {
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: '欢迎，王伟' }).waitFor();
      assert.equal(await page.locator('#link-account').innerText(), '用于账户 王伟（w•••@example.org）。');
      await page.getByText('请为您的账户 wei 设置密码。').waitFor();
      await page.getByLabel('新密码', { exact: true }).waitFor();
      const fit = await scrollsSideways(page);
      assert.equal(fit.sideways, false, `the set-password page fits ${PHONE.width} px: ${JSON.stringify(fit)}`);
      // A link cut short names no account, so it is said in the browser's language.
      await page.goto(`${link.slice(0, -4)}AAAA`);
      await page.getByRole('alert').filter({ hasText: 'This invitation link is not valid' }).waitFor();
    });
  });

  it('keeps a new address pending on the personal page until its mailed link is confirmed in the browser', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'ines', PASSWORD, /\/personal$/);
      const email = page.getByLabel('Email', { exact: true });
      await email.fill('ines.new@example.org');
      await page.getByLabel('Current password').first().fill(PASSWORD);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const pending = page.locator('#me-email-pending');
      await pending.filter({ hasText: 'We sent a link to ines.new@example.org. Your address changes when you open it.' }).waitFor();
      assert.match(await descriptionOf(email), /We sent a link to ines\.new@example\.org/);
      assert.equal(await email.inputValue(), 'ines@example.org', 'the field shows the address in force');
      assert.equal((await userOf('ines')).email, 'ines@example.org', 'not changed yet');

      // Still pending after a reload: the server keeps it.
      await page.reload();
      await pending.filter({ hasText: 'We sent a link to ines.new@example.org.' }).waitFor();

      const link = await newLinkTo('ines.new@example.org', 'confirm-email');
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: 'Confirm your new email address' }).waitFor();
      // Opening the link (as a mail scanner does) changes nothing; the button does.
      assert.equal((await userOf('ines')).email, 'ines@example.org');
      await page.getByRole('button', { name: 'Confirm the address' }).click();
      await page.getByRole('status').filter({ hasText: 'Your email address is now ines.new@example.org.' }).waitFor();

      const me = await page.request.get(`${mailroom.url}/api/v1/me`);
      assert.equal(me.status(), 200);
      const body = (await me.json()) as { user: UserView; pending_email: string | null };
      assert.equal(body.user.email, 'ines.new@example.org');
      assert.equal(body.pending_email, null);

      await page.getByRole('link', { name: 'Go to your personal settings' }).click();
      await page.waitForURL(/\/personal$/);
      await page.getByRole('heading', { level: 1, name: 'Personal settings' }).waitFor();
      // The page asks the server for the account: the one of the session was loaded before the change.
      await eventually(async () => (await email.inputValue()) === 'ines.new@example.org', 'the personal page shows the new address');
      assert.equal((await pending.innerText()).trim(), '', 'nothing pending any more');

      // The link works once: opened again, it says so before any button.
      await page.goto(link);
      await page.getByRole('alert').filter({ hasText: 'This link is not valid: it was used already' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Confirm the address' }).count(), 0);
    });
  });
});
