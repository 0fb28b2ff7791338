/**
 * "Invitation queued" links to the invitation's own mail. A request only owes the mail (a worker
 * renders it afterwards), so the link names the owed mail's key: until a worker has rendered it
 * the page says so and waits; then its address becomes the mail's own and the mail opens, with
 * its recipient and subject. The instance starts with no worker, so the wait is seen for sure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, DESKTOP, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import type { OutboxWorker } from '../../src/outbox/outbox-worker.ts';
import { closeAll } from '../support/close-all.ts';

describe('the link of "Invitation queued"', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  let worker: OutboxWorker | undefined;

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom(), launchBrowser()]);
  });

  after(() => closeAll(worker, browser, mailroom));

  it('opens the invitation mail: "not yet rendered" while no worker has rendered it, then the mail itself', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

      const form = page.locator('form#user-add');
      await form.getByLabel('User name').fill('lina');
      await form.getByLabel('Display name').fill('Lina Sayed');
      await form.getByLabel('Email').fill('lina@example.org');
      await form.getByRole('button', { name: 'Add user' }).click();
      const added = page.locator('#users-status').getByRole('status').filter({ hasText: 'User lina added. Invitation to lina@example.org queued.' });
      await added.waitFor();
      const link = added.getByRole('link', { name: 'Open the invitation mail' });
      assert.match((await link.getAttribute('href')) ?? '', /^\/admin\/outbox\/owed\/welcome%3A[0-9a-f-]{36}$/, "the owed mail's key, not the Outbox list");

      await link.click();
      await page.waitForURL(/\/admin\/outbox\/owed\/welcome%3A/);
      const waiting = page.locator('#owed-mail');
      await waiting.getByRole('heading', { level: 2, name: 'Mail not yet rendered' }).waitFor();
      await waiting.getByText('A worker has not yet rendered this mail from its template.').waitFor();
      assert.equal(await page.locator('#mail-details').count(), 0, 'no mail to show yet');

      // A worker renders it (and, in mode capture, keeps it): the page moves to the mail's own address.
      worker = mailroom.ctx.createWorker();
      worker.start();
      await page.waitForURL(/\/admin\/outbox\/\d+$/, { timeout: 15_000 });
      const details = page.locator('#mail-details');
      await details.getByRole('heading', { level: 2, name: /^Mail #\d+$/ }).waitFor();
      const facts = details.locator('dl.facts');
      await facts.getByText('lina@example.org', { exact: true }).waitFor();
      await facts.getByText('Your Mailroom account', { exact: true }).waitFor();
      assert.equal(await page.locator('#owed-mail').count(), 0, 'the waiting note is gone');
      const id = Number(/\/admin\/outbox\/(\d+)$/.exec(page.url())?.[1]);
      const mail = await mailroom.api<{ recipients: string[]; kind: string }>('GET', `/api/v1/outbox/${id}`);
      assert.deepEqual([mail.body.recipients, mail.body.kind], [['lina@example.org'], 'welcome'], 'the mail opened is the invitation');

      // The waiting address gave way to the mail's: Back leads to the Users page.
      await page.goBack();
      await page.waitForURL(/\/admin\/users$/);
    });
  });

  it('says so for an address whose key no mail was owed under', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.goto(`${mailroom.url}/admin/outbox/owed/welcome%3Acut-short`);
      const section = page.locator('#owed-mail');
      await section.getByRole('heading', { level: 2, name: 'Mail not found' }).waitFor();
      await section.getByText('No mail is owed or queued under the key of this address.').waitFor();
      assert.equal(await section.getByText('Mail not yet rendered').count(), 0);
      // The list is still there to go on from.
      await page.locator('#outbox-list').waitFor();
    });
  });

  it('answers where an owed mail is by its key, and 404 for a key never owed', async () => {
    const invited = await mailroom.api<{ invitation: { mail_key: string } }>('POST', '/api/v1/users/lina/invitation');
    assert.equal(invited.status, 202, JSON.stringify(invited.body));
    const key = invited.body.invitation.mail_key;
    assert.match(key, /^welcome:/);
    let where = await mailroom.api<{ state: string; id?: number }>('GET', `/api/v1/outbox/owed/${encodeURIComponent(key)}`);
    for (const deadline = Date.now() + 10_000; where.body.state === 'owed' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      where = await mailroom.api('GET', `/api/v1/outbox/owed/${encodeURIComponent(key)}`);
    }
    assert.equal(where.status, 200);
    assert.equal(where.body.state, 'queued', 'rendered by the running worker');
    assert.ok(Number.isInteger(where.body.id));

    const unknown = await mailroom.api<{ error: { code: string } }>('GET', '/api/v1/outbox/owed/welcome%3Anone');
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'not_found']);
  });
});
