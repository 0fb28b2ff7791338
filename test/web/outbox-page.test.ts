/**
 * The Outbox page in a real browser (chromium) against a real Mailroom with its outbox worker and
 * Postfix's smtp-sink as the mail server: the search by recipient and subject, the counts that
 * filter, the captured mails and the test mails on tabs of their own, two failed mails selected
 * and retried at once, and a mail the server put off (4xx): opened at its own address, with its
 * last error and next attempt in the list, downloaded as a .eml file that mailparser reads, and
 * sent with "Send now" once the server takes it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, eventually, focusedId, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

interface OutboxRow {
  id: number;
  messageId: string;
  subject: string;
  state: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

describe('the Outbox page', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  const sinks: SmtpSink[] = [];

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom({ worker: true }), launchBrowser()]);
  });

  after(() => closeAll(browser, mailroom, ...sinks));

  async function outboxMail(id: number): Promise<OutboxRow> {
    const r = await mailroom.api<OutboxRow>('GET', `/api/v1/outbox/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function queueMail(message: { to: string; subject: string; text: string }): Promise<number> {
    const r = await mailroom.api<{ ids: number[] }>('POST', '/api/v1/messages', { body: message });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.ids[0] as number;
  }

  /** A smtp-sink with these flags as the mail server. */
  async function serverWith(flags: string[]): Promise<void> {
    const sink = await startSmtpSink(flags);
    sinks.push(sink);
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${sink.port}`, mail_smtptimeout: 3 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  /** The ids of the rows the list shows, top to bottom. */
  function shownIds(page: Page): Promise<number[]> {
    return page.locator('#outbox-list tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
  }

  async function openOutbox(page: Page, path = '/admin/outbox'): Promise<void> {
    await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
    await page.goto(`${mailroom.url}${path}`);
    await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
  }

  it('finds mails by a part of a recipient or the subject, and each count filters the list by its state', async () => {
    // Mode capture (a fresh install): the worker captures them, and they are listed as sent.
    const alpha = await queueMail({ to: 'alpha@example.org', subject: 'Alpha INVOICE 31', text: 'x' });
    const beta = await queueMail({ to: 'beta.invoice@example.org', subject: 'Beta notice', text: 'x' });
    const gamma = await queueMail({ to: 'gamma@example.org', subject: '50% off, gamma', text: 'x' });
    await eventually(async () => (await Promise.all([alpha, beta, gamma].map(outboxMail))).every((m) => m.state === 'sent'), 'the worker captured the three');

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await openOutbox(page);
      await page.locator(`#outbox-list tr[data-id="${gamma}"]`).waitFor();
      const search = page.getByLabel('Search recipient or subject');
      await search.fill('invoice');
      await eventually(async () => JSON.stringify(await shownIds(page)) === JSON.stringify([beta, alpha]), 'the subject and the address match, any case');
      await search.fill('GAMMA@');
      await eventually(async () => JSON.stringify(await shownIds(page)) === JSON.stringify([gamma]), 'a part of an address');
      await search.fill('0%');
      await eventually(async () => JSON.stringify(await shownIds(page)) === JSON.stringify([gamma]), 'a % is a percent sign');
      await search.fill('no such mail anywhere');
      await page.locator('p.empty').filter({ hasText: 'No mails here.' }).waitFor();
      await search.fill('');
      await page.locator(`#outbox-list tr[data-id="${alpha}"]`).waitFor();

      // The counts are buttons that filter; pressed again, the filter goes.
      const sentChip = page.locator('#outbox-counts li[data-state="sent"] button');
      await sentChip.click();
      assert.equal(await sentChip.getAttribute('aria-pressed'), 'true');
      assert.equal(await page.getByLabel('State', { exact: true }).inputValue(), 'sent', 'the State field agrees');
      const failedChip = page.locator('#outbox-counts li[data-state="failed"] button');
      await failedChip.click();
      assert.equal(await sentChip.getAttribute('aria-pressed'), 'false');
      await page.locator('p.empty').filter({ hasText: 'No mails here.' }).waitFor();
      await failedChip.click();
      await page.locator(`#outbox-list tr[data-id="${alpha}"]`).waitFor();
      assert.equal(await page.getByLabel('State', { exact: true }).inputValue(), '');
    });
  });

  it('has the captured mails and the test mails on tabs of their own, each with an address', async () => {
    const sent = await mailroom.api<{ ok: boolean }>('POST', '/api/v1/settings/mail/test', { body: { to: 'tester@example.org' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.ok, true);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await openOutbox(page, '/admin/outbox/captured');
      assert.equal(await page.getByRole('tab', { name: 'Captured mails' }).getAttribute('aria-selected'), 'true');
      const row = page.locator('#captured-list tr', { hasText: 'Alpha INVOICE 31' });
      await row.waitFor();
      await row.getByRole('button', { name: /Show captured mail #\d+: Alpha INVOICE 31/ }).click();
      await page.locator('#captured-details .captured-subject').filter({ hasText: 'Alpha INVOICE 31' }).waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#captured-download').click()]);
      const file = await simpleParser(await readFile(await download.path()));
      assert.equal(file.subject, 'Alpha INVOICE 31');
      assert.match(download.suggestedFilename(), /^captured-\d+\.eml$/);

      // The arrow keys move between the tabs.
      await page.getByRole('tab', { name: 'Captured mails' }).focus();
      await page.keyboard.press('ArrowRight');
      await page.waitForURL(/\/admin\/outbox\/tests$/);
      await eventually(async () => (await focusedId(page)) === 'outbox-tab-tests', 'the focus is on the Test mails tab');
      const test = page.locator('#test-mails-list tbody tr').first();
      await test.waitFor();
      assert.match(await test.innerText(), /test[\s\S]*tester@example\.org[\s\S]*capture[\s\S]*Accepted/);
      assert.equal(await page.locator('#outbox-list').count(), 0, 'the outbox list is on its own tab');
    });
  });

  it('retries two failed mails selected in the list, after a confirmation', async () => {
    await serverWith(['-f', 'RCPT']);
    const one = await queueMail({ to: 'first@example.org', subject: 'Refused first', text: 'x' });
    const two = await queueMail({ to: 'second@example.org', subject: 'Refused second', text: 'x' });
    await eventually(async () => (await Promise.all([one, two].map(outboxMail))).every((m) => m.state === 'failed'), 'the server refused both');
    await serverWith([]);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await openOutbox(page);
      await page.locator('#outbox-counts li[data-state="failed"] button').click();
      await page.locator(`#outbox-list tr[data-id="${one}"][data-state="failed"]`).waitFor();
      // The list says why each failed, without opening it.
      assert.equal(await page.locator(`#outbox-list tr[data-id="${one}"] .row-error`).innerText(), (await outboxMail(one)).lastError);
      // Opening a mail keeps the list as it was: the filter stays.
      await page.getByRole('link', { name: `Show mail #${one}: Refused first` }).click();
      await page.waitForURL(new RegExp(`/admin/outbox/${one}$`));
      await page
        .locator('#mail-details-title')
        .filter({ hasText: `Mail #${one}` })
        .waitFor();
      assert.equal(await page.locator('#outbox-counts li[data-state="failed"] button').getAttribute('aria-pressed'), 'true');
      await page.getByLabel(`Select mail #${one}`).check();
      await page.getByLabel(`Select mail #${two}`).check();
      await page.locator('#outbox-selection').filter({ hasText: '2 selected' }).waitFor();
      await page.getByRole('button', { name: 'Retry selected' }).click();
      assert.equal(await page.locator('#outbox-selected-question').innerText(), 'Queue the 2 selected mails again?');
      await eventually(async () => (await focusedId(page)) === 'outbox-selected-yes', 'the focus is on the confirmation');
      await page.getByRole('button', { name: 'Yes, go ahead' }).click();
      await page.locator('#outbox-selected-status').filter({ hasText: 'Done for 2 of 2 mails.' }).waitFor();
      await eventually(async () => (await Promise.all([one, two].map(outboxMail))).every((m) => m.state === 'sent'), 'both sent at the working server');
    });
  });

  it('opens a mail at its own address, shows a deferred one with its last error and next attempt, downloads it as .eml, and sends it with "Send now"', async () => {
    await serverWith(['-r', 'RCPT']);
    const subject = 'Put off report 8080';
    const id = await queueMail({ to: 'later@example.org', subject, text: 'The report, put off once.' });
    await eventually(async () => {
      const m = await outboxMail(id);
      return m.state === 'queued' && m.attempts === 1;
    }, 'the server put the mail off');
    const deferred = await outboxMail(id);
    assert.ok(deferred.nextAttemptAt > Date.now() + 10_000, 'its next attempt is a while away');
    await serverWith([]);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      // The deep link: the page opens with the mail open.
      await openOutbox(page, `/admin/outbox/${id}`);
      await page
        .locator('#mail-details-title')
        .filter({ hasText: `Mail #${id}` })
        .waitFor();
      const row = page.locator(`#outbox-list tr[data-id="${id}"]`);
      assert.equal(await row.getAttribute('aria-current'), 'true');
      assert.match(await row.locator('.next-attempt').innerText(), /^Next attempt: /);
      assert.equal(await row.locator('.row-error').innerText(), deferred.lastError);
      assert.equal(await page.getByRole('link', { name: 'Outbox', exact: true }).first().getAttribute('aria-current'), 'page', 'the menu still marks the Outbox');

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download .eml' }).click()]);
      assert.equal(download.suggestedFilename(), `mail-${id}.eml`);
      const file = await simpleParser(await readFile(await download.path()));
      assert.equal(file.subject, subject);
      assert.equal((file.to as AddressObject).text, 'later@example.org');
      assert.equal(file.messageId, deferred.messageId);
      assert.equal(file.text?.trim(), 'The report, put off once.');

      await page.getByRole('button', { name: 'Send now' }).click();
      await page.locator('#mail-details-status').filter({ hasText: 'Due now: a worker sends it in a moment.' }).waitFor();
      await eventually(async () => (await outboxMail(id)).state === 'sent', 'the worker sent it at once');
      await page.locator(`#outbox-list tr[data-id="${id}"][data-state="sent"]`).waitFor({ timeout: 15_000 });

      // Close goes back to the list's address; Back opens the mail again.
      await page.locator('#mail-details').getByRole('button', { name: 'Close' }).click();
      await page.waitForURL(/\/admin\/outbox$/);
      assert.equal(await page.locator('#mail-details').count(), 0);
      await page.goBack();
      await page
        .locator('#mail-details-title')
        .filter({ hasText: `Mail #${id}` })
        .waitFor();
    });
  });
});
