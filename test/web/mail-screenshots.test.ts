/**
 * The share mail and the activity digest as a reader sees them on a phone (375 px wide), in
 * English and Chinese: mails made from events, delivered by the real Postfix, parsed back and
 * shown in Chromium. Each is checked for what a reader of that width meets: nothing scrolls
 * sideways, and no closing quote wraps alone onto a line of its own; the pictures go to the
 * manual (docs/screenshots/mail-*.png).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Page } from 'playwright-core';
import type { EventInput } from '../../src/notifications/event-input.ts';
import { SCREENSHOT_DIR, launchBrowser, screenshot, scrollsSideways, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { cloudSendingThrough } from '../support/mail-fixtures.ts';
import { readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';

const DOMAIN = 'mail-pictures.example.org';
const PHONE_375 = { width: 375, height: 740 } as const;

/** Closing quotes that stand first on a line of their own, with the text before them. */
const ORPHANED_QUOTES = `(() => {
  const orphans = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    for (let i = 1; i < text.length; i++) {
      if (text[i] !== '”' && text[i] !== '«') continue;
      const quote = document.createRange();
      quote.setStart(node, i);
      quote.setEnd(node, i + 1);
      const before = document.createRange();
      before.setStart(node, i - 1);
      before.setEnd(node, i);
      const q = quote.getClientRects()[0];
      const b = before.getClientRects()[0];
      if (q && b && q.top > b.top + 2) orphans.push(text.slice(Math.max(0, i - 12), i + 1));
    }
  }
  return orphans;
})()`;

describe('share and digest mails on a 375 px phone, en and zh-CN', () => {
  let postfix: PostfixServer;
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [postfix, browser, mailroom] = await Promise.all([startPostfix(), launchBrowser(), startMailroom({ worker: true })]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await mailroom.ctx.settings.update({ ...cloudSendingThrough(postfix), instance_name: 'Example Cloud', base_url: 'https://cloud.example.com' });
    const people = [
      { uid: 'alice', display_name: 'Alice Andersen', language: 'en' },
      { uid: 'bob', display_name: 'Bob Berg', language: 'en' },
      { uid: 'xiaoming', display_name: '王小明', language: 'zh-CN' },
      { uid: 'mei', display_name: '王美', language: 'zh-CN' },
    ] as const;
    for (const p of people) await mailroom.ctx.users.add({ ...p, email: `${p.uid}@${DOMAIN}`, timezone: p.language === 'zh-CN' ? 'Asia/Shanghai' : 'Europe/London', invite: false });
  });

  after(() => closeAll(browser, mailroom, postfix));

  /** The delivered HTML of the mail to `uid` whose (decoded) subject matches. */
  async function deliveredHtml(uid: string, subject: RegExp): Promise<{ subject: string; html: string }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const mails = await Promise.all((await readMaildir(postfix.maildir)).filter((m) => m.deliveredTo === `${uid}@${DOMAIN}`).map((m) => simpleParser(m.raw)));
      const mail = mails.find((m) => subject.test(m.subject ?? ''));
      if (mail) {
        assert.equal(typeof mail.html, 'string', 'an HTML part');
        return { subject: mail.subject ?? '', html: mail.html as string };
      }
      assert.ok(Date.now() < deadline, `no mail to ${uid} with a subject like ${subject}: ${mails.map((m) => m.subject).join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Shows a mail's HTML at 375 px, checks what a phone reader meets, and takes its picture. */
  async function onPhone(html: string, locale: string, name: string, check: (page: Page) => Promise<void>): Promise<void> {
    await browser.withPage({ locale, viewport: PHONE_375 }, async ({ page }) => {
      await page.setContent(html, { waitUntil: 'load' });
      assert.equal((await scrollsSideways(page)).sideways, false, `${name}: nothing scrolls sideways at 375 px`);
      assert.deepEqual(await page.evaluate<string[]>(ORPHANED_QUOTES), [], `${name}: no closing quote alone at the start of a line`);
      await check(page);
      await screenshot(page, name);
    });
  }

  const share = (id: string, actor: string, affected: string, name: string, note: string): EventInput => ({
    id,
    type: 'share.created',
    actor,
    affected: [affected],
    object: { type: 'file', id, name },
    link: `https://cloud.example.com/s/${id}`,
    data: { note, expiration: '2026-12-31' },
  });

  it('the share mail: mail-share-phone.png and mail-share-phone.zh-CN.png', async () => {
    await mailroom.ctx.events.ingest([share('4711', 'alice', 'bob', 'Budget 2026.xlsx', 'Here is the latest version, please have a look before Friday.'), share('4712', 'xiaoming', 'mei', '2026年度预算（第三季度修订版）.xlsx', '这是最新版本，周五开会前请看一下。')]);
    const en = await deliveredHtml('bob', /shared/);
    assert.equal(en.subject, 'Alice Andersen shared »Budget 2026.xlsx« with you');
    await onPhone(en.html, 'en-US', 'mail-share-phone.png', async (page) => {
      await page.getByText('Alice Andersen shared »Budget 2026.xlsx« with you on Example Cloud.').waitFor();
      await page.getByRole('link', { name: 'Open »Budget 2026.xlsx«' }).waitFor();
    });
    const zh = await deliveredHtml('mei', /共享/);
    assert.equal(zh.subject, '王小明与您共享了“2026年度预算（第三季度修订版）.xlsx”');
    await onPhone(zh.html, 'zh-CN', 'mail-share-phone.zh-CN.png', async (page) => {
      await page.getByText('王小明在 Example Cloud 与您共享了“2026年度预算（第三季度修订版）.xlsx”。').waitFor();
      await page.getByText('王小明的留言').waitFor();
      await page.getByText('此共享将于 2026年12月31日到期。').waitFor();
    });
  });

  it('the digest: mail-digest.png and mail-digest.zh-CN.png, each line naming its file and leading to it', async () => {
    const file = (id: string, type: EventInput['type'], actor: string, affected: string, name: string): EventInput => ({ id, type, actor, affected: [affected], object: { type: 'file', id, name } });
    await mailroom.ctx.events.ingest([
      file('d1', 'file.changed', 'alice', 'bob', 'Budget 2026.xlsx'),
      file('d2', 'comment.created', 'xiaoming', 'bob', 'Design brief.pdf'),
      { ...file('d3', 'file.created', 'alice', 'bob', 'Project Aurora'), object: { type: 'folder', id: 'd3', name: 'Project Aurora' } },
      file('d4', 'file.changed', 'xiaoming', 'mei', '2026年度预算.xlsx'),
      file('d5', 'comment.created', 'bob', 'mei', 'Design brief.pdf'),
      { ...file('d6', 'file.created', 'xiaoming', 'mei', '极光项目'), object: { type: 'folder', id: 'd6', name: '极光项目' } },
    ]);
    await mailroom.ctx.digests.runDue({ all: true });

    const en = await deliveredHtml('bob', /Recent activity/);
    await onPhone(en.html, 'en-US', 'mail-digest.png', async (page) => {
      const line = page.getByRole('link', { name: 'Alice Andersen changed the file »Budget 2026.xlsx«' });
      assert.equal(await line.getAttribute('href'), 'https://cloud.example.com/f/d1');
      await page.getByRole('link', { name: '王小明 commented on the file »Design brief.pdf«' }).waitFor();
      await page.getByRole('link', { name: 'Alice Andersen created the folder »Project Aurora«' }).waitFor();
    });
    const zh = await deliveredHtml('mei', /新动态/);
    await onPhone(zh.html, 'zh-CN', 'mail-digest.zh-CN.png', async (page) => {
      const line = page.getByRole('link', { name: '王小明修改了文件“2026年度预算.xlsx”' });
      assert.equal(await line.getAttribute('href'), 'https://cloud.example.com/f/d4');
      await page.getByRole('link', { name: 'Bob Berg 评论了文件“Design brief.pdf”' }).waitFor();
      await page.getByRole('link', { name: '王小明创建了文件夹“极光项目”' }).waitFor();
      await page.getByRole('link', { name: '退订此类邮件' }).waitFor();
    });
  });
});
