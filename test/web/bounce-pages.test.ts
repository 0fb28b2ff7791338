/**
 * What the pages show of bounces, in a real browser (chromium) against a real Mailroom, in
 * English and Chinese: the outbox mail's bounce (kind, status, diagnostic, reporting server,
 * when), the Users page's flag on an address past the threshold with its last bounce and "Clear"
 * (after a confirmation), the user's own banner with its way to the address field, and the Email
 * server page's reputation warning. The bounces are real DSN fixtures sent to the mails' VERP
 * addresses through the same receive as bounce:receive.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { createVerpAddresses } from '../../src/bounces/verp-address.ts';
import { ADMIN_PASSWORD, DESKTOP, SCREENSHOT_DIR, focusedId, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';

const PASSWORD = 'Juniper-Harbor-Kettle-58';
const fixtures = new URL('../fixtures/bounces/', import.meta.url);

/** A small PNG of one part of the page (the manual shows the part, not the whole page). */
async function shot(element: Locator, name: string): Promise<void> {
  await element.screenshot({ path: join(SCREENSHOT_DIR, name), animations: 'disabled' });
}

describe('bounces on the pages', () => {
  const key = randomBytes(32);
  const verp = createVerpAddresses(key);
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  let bouncedMail: number;

  async function bounce(fixture: string, mailId: number): Promise<void> {
    const raw = (await readFile(new URL(fixture, fixtures), 'latin1')).replaceAll('%VERP%', verp.address(mailId, 'cloud.example.com'));
    const outcome = await mailroom.ctx.bounces.receive(Buffer.from(raw, 'latin1'));
    assert.equal(outcome.outcome, 'recorded', JSON.stringify(outcome));
  }
  async function mailTo(address: string): Promise<number> {
    const [queued] = await mailroom.ctx.outbox.send([{ to: address, subject: 'Ana shared "Plan.pdf" with you', text: 'Ana shared Plan.pdf with you.' }]);
    return queued?.id as number;
  }
  // Signed in with an English browser; the pages then follow the account's language.
  const setLanguage = async (uid: string, language: 'en' | 'zh-CN') => assert.equal((await mailroom.api('PATCH', `/api/v1/users/${uid}`, { body: { language } })).status, 200);

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom({ env: { MAILROOM_SECRET_KEY: key.toString('base64') } }), launchBrowser()]);
    await mailroom.ctx.settings.update({ mail_domain: 'cloud.example.com', mail_bounce_threshold: 2 });
    await mailroom.ctx.users.add({ uid: 'lin', display_name: 'Lin', email: 'lin@example.org', password: PASSWORD });
    bouncedMail = await mailTo('lin@example.org');
    await bounce('postfix-user-unknown.eml', bouncedMail);
    await bounce('gmail-unauthenticated.eml', await mailTo('li.na@gmail.com'));
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });
  after(() => closeAll(browser, mailroom));

  for (const language of ['en', 'zh-CN'] as const) {
    const zh = language === 'zh-CN';
    const suffix = zh ? '.zh-CN' : '';

    it(`the outbox mail shows its bounce (${language})`, async () => {
      await setLanguage('admin', language);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.goto(`${mailroom.url}/admin/outbox/${bouncedMail}`);
        const list = page.locator('#mail-bounces');
        await list.waitFor();
        assert.equal(await page.locator('#mail-bounces-title').textContent(), zh ? '退信' : 'Bounces');
        const item = list.locator('li');
        assert.equal(await item.count(), 1);
        const text = (await item.textContent()) ?? '';
        assert.match(text, /lin@example\.org/);
        assert.match(text, zh ? /硬退信/ : /Hard bounce/);
        assert.match(text, /5\.1\.1/);
        assert.match(text, zh ? /由 mx\.example\.org 报告/ : /reported by mx\.example\.org/);
        assert.match(text, /Recipient address rejected/);
        assert.ok((await item.locator('time').count()) === 1, 'with when it came');
        await shot(page.locator('#mail-bounces'), `admin-outbox-bounce${suffix}.png`);
      });
    });

    it(`the Email server page warns about refusals of the instance (${language})`, async () => {
      await setLanguage('admin', language);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        const warning = page.locator('#reputation-warning');
        await warning.waitFor();
        const text = (await warning.textContent()) ?? '';
        assert.match(text, zh ? /拒收了 1 封邮件/ : /refused 1 mail in the last 7 days/);
        assert.match(text, zh ? /由 googlemail\.com 拒收/ : /refused by googlemail\.com/);
        assert.match(text, /5\.7\.26/);
        assert.match(text, zh ? /SPF/ : /SPF record names your mail server/);
        await shot(warning, `admin-email-reputation${suffix}.png`);
      });
    });

    it(`the user sees a banner that leads to the address field (${language})`, async () => {
      await setLanguage('lin', language);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'lin', PASSWORD, /\/personal$/);
        const banner = page.locator('#bounce-banner');
        await banner.waitFor();
        assert.match((await banner.textContent()) ?? '', zh ? /发往 lin@example\.org 的邮件被退回：请更新您的地址。/ : /Mail to lin@example\.org bounces: update your address\./);
        await shot(banner, `personal-bounce-banner${suffix}.png`);
        await banner.getByRole('link', { name: zh ? '修改地址' : 'Change the address' }).click();
        assert.equal(await focusedId(page), 'me-email');
      });
    });
  }

  it('the Users page flags the address with its last bounce, and Clear (confirmed) restores it, in Chinese and English', async () => {
    for (const language of ['zh-CN', 'en'] as const) {
      const zh = language === 'zh-CN';
      await setLanguage('admin', language);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.goto(`${mailroom.url}/admin/users`);
        const row = page.locator('#users-list tr[data-uid="lin"]');
        const flag = row.locator('.bounce-flag');
        await flag.waitFor();
        const text = (await flag.textContent()) ?? '';
        assert.match(text, zh ? /邮件被退回/ : /Mail bounces/);
        assert.match(text, zh ? /最近一次：硬退信/ : /last: Hard bounce/);
        assert.match(text, /5\.1\.1/);
        assert.equal(await page.locator('#users-list tr[data-uid="admin"] .bounce-flag').count(), 0, 'an address without bounces has no flag');
        await shot(row, `admin-users-bounce${zh ? '.zh-CN' : ''}.png`);

        const clear = flag.getByRole('button', { name: zh ? '清除 lin@example.org 的退信分数' : 'Clear the bounce score of lin@example.org' });
        if (zh) {
          // Dismissed: nothing changes.
          page.once('dialog', (dialog) => void dialog.dismiss());
          await clear.click();
          await page.waitForTimeout(300);
          assert.equal(await flag.count(), 1);
          const scores = await mailroom.api<{ addresses: Array<{ address: string; suppressed: boolean }> }>('GET', '/api/v1/bounces');
          assert.deepEqual(
            scores.body.addresses.map((a) => [a.address, a.suppressed]),
            [['lin@example.org', true]],
          );
          return;
        }
        let asked = '';
        page.once('dialog', (dialog) => {
          asked = dialog.message();
          void dialog.accept();
        });
        await clear.click();
        await row.locator('.bounce-flag').waitFor({ state: 'detached' });
        assert.match(asked, /Clear the bounce score of lin@example\.org\? Notifications are sent to it again/);
        const scores = await mailroom.api<{ addresses: unknown[] }>('GET', '/api/v1/bounces');
        assert.deepEqual(scores.body.addresses, []);
      });
    }
    // And the banner is gone for the user.
    const me = await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'lin', PASSWORD, /\/personal$/);
      await page.locator('#me-email').waitFor();
      await page.waitForTimeout(300);
      return page.locator('#bounce-banner').count();
    });
    assert.equal(me, 0);
  });
});
