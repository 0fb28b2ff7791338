/**
 * The admin's Templates, Outbox and Users pages in a real browser (chromium) against a real
 * Mailroom with its outbox worker. Templates: the admin edits the share template and watches the
 * preview follow, saves it (a new version), types a broken one and finds the error at its line,
 * marked in the editor, with saving refused; resets to the default and opens the Chinese one.
 * Outbox: mails captured while the mode is `capture` are read in the captured tab; then a
 * Postfix smtp-sink that refuses every recipient with 550 makes a mail fail, which the counts,
 * the filter and the mail's details show (headers, parts, the reply verbatim), and Retry against a
 * working sink sends it. Users: add one, a bad address refused at its field, disable and enable
 * (sign-in follows), and the last admin cannot drop their own admin role.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, SCREENSHOT_DIR, eventually, focusedId, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser, wholePagePicture } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { storeOverBudgetShareTemplate } from '../support/hostile-template.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import type { TemplateDetail } from '../../src/domain/api-types.ts';
import type { PublicUser } from '../../src/domain/api-types.ts';

const PASSWORD = 'Juniper-Harbor-Sextant-48';
/** What the refusing smtp-sink answers to RCPT TO (its -B reply), as a real server words it. */
const REFUSAL = '550 5.1.1 <refused@example.org>: Recipient address rejected: User unknown in virtual mailbox table';

interface OutboxRow {
  id: number;
  messageId: string;
  subject: string;
  recipients: string[];
  state: string;
  attempts: number;
  lastError: string | null;
  lastReply: string | null;
  history: Array<{ outcome: string; reply: string | null }>;
}

type UserView = PublicUser;

describe('the Templates, Outbox and Users pages of an admin', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;
  const sinks: SmtpSink[] = [];

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom({ worker: true }), launchBrowser()]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(() => closeAll(browser, mailroom, ...sinks));

  async function template(name: string, lang: string): Promise<TemplateDetail> {
    const r = await mailroom.api<TemplateDetail>('GET', `/api/v1/templates/${name}/${lang}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function outboxMail(id: number): Promise<OutboxRow> {
    const r = await mailroom.api<OutboxRow>('GET', `/api/v1/outbox/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function outboxCounts(): Promise<Record<string, number>> {
    const r = await mailroom.api<{ counts: Record<string, number> }>('GET', '/api/v1/outbox?limit=1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.counts;
  }

  /** Queues one mail as a host application does; resolves with its id. */
  async function queueMail(message: { to: string; subject: string; text?: string; html?: string }): Promise<number> {
    const r = await mailroom.api<{ ids: number[] }>('POST', '/api/v1/messages', { body: message });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.ids[0] as number;
  }

  async function setMail(changes: Record<string, unknown>): Promise<void> {
    const r = await mailroom.api('PATCH', '/api/v1/settings/mail', { body: changes });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  async function userOf(uid: string): Promise<{ status: number; user?: UserView }> {
    const r = await mailroom.api<{ user?: UserView }>('GET', `/api/v1/users/${uid}`);
    return { status: r.status, ...(r.body.user ? { user: r.body.user } : {}) };
  }

  /** The counts per state the Outbox page shows. */
  function shownCounts(page: Page): Promise<Record<string, number>> {
    return page.locator('#outbox-counts li[data-state]').evaluateAll((items) => Object.fromEntries(items.map((li) => [li.getAttribute('data-state') ?? '', Number((li.querySelector('.count-value')?.textContent ?? '').replace(/[^\d]/g, ''))])));
  }

  // -------------------------------------------------------------------------------------------
  // Templates

  describe('Templates', () => {
    /** The text of the editor (its hidden mirror) of a part. */
    const editorText = (page: Page, part: 'html' | 'text') => page.locator(`#editor-${part}-value`).inputValue();
    const previewFrame = (page: Page) => page.frameLocator('#preview-html').locator('body');

    /** Replaces an editor's text as a paste would, and checks the editor holds exactly that. */
    async function setEditor(page: Page, part: 'html' | 'text', text: string): Promise<void> {
      await page.fill(`#editor-${part} .cm-content`, text);
      await eventually(async () => (await editorText(page, part)) === text, `the ${part} editor holds the text filled in`);
    }

    /** The 1-based line number of the line the editor marks as wrong, and its text. */
    async function markedLine(page: Page, part: 'html' | 'text'): Promise<{ line: number; text: string }> {
      const lines = page.locator(`#editor-${part} .cm-content .cm-line`);
      const texts = await lines.allInnerTexts();
      const classes = await lines.evaluateAll((els) => els.map((el) => el.className));
      const marked = classes.flatMap((c, i) => (c.split(/\s+/).includes('cm-tpl-error-line') ? [i] : []));
      assert.equal(marked.length, 1, `one line is marked: ${JSON.stringify(classes)}`);
      const index = marked[0] as number;
      return { line: index + 1, text: texts[index] as string };
    }

    it('edits the share template with a live preview, saves it, refuses a broken one at its line, resets it, and shows it in Chinese', async () => {
      const shipped = await template('share', 'en');
      assert.equal(shipped.customized, false);
      assert.equal(shipped.versions.length, 0);

      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.goto(`${mailroom.url}/admin/templates?template=share&lang=en`);
        await page.getByRole('heading', { level: 1, name: 'Email templates' }).waitFor();
        await page.locator('#editor-html .cm-content').waitFor();
        await page.locator('#template-preview[data-state="ready"]').waitFor();
        assert.equal(await page.locator('#template-name').inputValue(), 'share');
        assert.equal(await page.locator('#template-lang').inputValue(), 'en');
        assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), shipped.parts.subject);
        assert.equal(await editorText(page, 'html'), shipped.parts.html);
        assert.equal(await editorText(page, 'text'), shipped.parts.text);
        // The editors are named by their labels, for screen readers.
        await page.getByRole('textbox', { name: 'HTML body' }).waitFor();
        await page.getByRole('textbox', { name: 'Plain text (empty: made from the HTML)' }).waitFor();
        // The preview is the shipped template with the sample data.
        assert.equal(await page.locator('#preview-subject').innerText(), 'Bob Berg shared »Budget 2026.xlsx« with you');
        assert.match(await previewFrame(page).innerText(), /Bob Berg shared »Budget 2026\.xlsx« with you on Mailroom\./);
        assert.equal(await page.locator('#template-variables button[data-variable="sharer"]').count(), 1, 'the variables are listed');

        // Subject, HTML and text changed: the preview follows.
        const subject = 'Browser test: {{ sharer }} shared {{ file_name }}';
        const html = `${shipped.parts.html}<p class="added">Added by the browser test for {{ sharer }}.</p>\n`;
        const text = `${shipped.parts.text}\nAdded in plain text for {{ sharer }}.\n`;
        await page.getByLabel('Subject', { exact: true }).fill(subject);
        await setEditor(page, 'html', html);
        await setEditor(page, 'text', text);
        await eventually(async () => (await page.locator('#preview-subject').innerText()) === 'Browser test: Bob Berg shared Budget 2026.xlsx', 'the preview shows the new subject');
        await eventually(async () => ((await page.locator('#preview-html').getAttribute('srcdoc')) ?? '').includes('Added by the browser test for Bob Berg.'), 'the HTML preview has the new sentence');
        assert.match(await previewFrame(page).innerText(), /Added by the browser test for Bob Berg\./, 'the frame shows it');
        // No allow-scripts: the preview cannot run script; allow-same-origin only lets the page measure the mail's height.
        assert.equal(await page.locator('#preview-html').getAttribute('sandbox'), 'allow-same-origin', 'the preview cannot run script');
        await page.locator('#template-unsaved').filter({ hasText: 'unsaved changes' }).waitFor();
        // The text preview, one click away.
        assert.equal(await page.locator('#preview-text').isVisible(), false);
        await page.getByLabel('Plain text', { exact: true }).check();
        await page.locator('#preview-text').waitFor();
        assert.equal(await page.locator('#preview-html').isVisible(), false);
        await eventually(async () => (await page.locator('#preview-text').innerText()).includes('Added in plain text for Bob Berg.'), 'the text preview has the new sentence');
        await page.getByLabel('HTML', { exact: true }).check();
        await page.locator('#preview-html').waitFor();

        // Save: "Saved", the API has the three parts as typed, a version is added.
        await page.locator('#template-save').click();
        await page.locator('#template-save-status').filter({ hasText: '✓ Saved' }).waitFor();
        const saved = await template('share', 'en');
        assert.deepEqual(saved.parts, { subject, html, text });
        assert.equal(saved.customized, true);
        assert.deepEqual(
          saved.versions.map((v) => [v.action, v.createdBy]),
          [['set', 'admin']],
        );
        const history = page.locator('#template-history li');
        await eventually(async () => (await history.count()) === 1, 'the history lists the new version');
        assert.equal(await history.first().getAttribute('data-action'), 'set');
        assert.match(await history.first().innerText(), /Saved by admin/);
        assert.equal(await page.locator('#template-state').innerText(), 'customized');
        assert.equal(await page.locator('#template-unsaved').count(), 0, 'nothing unsaved any more');
        await wholePagePicture(page, 'admin-templates.png');

        // A test of the saved template: in mode capture, it is kept with the new subject.
        await page.getByLabel('Send the test mail to').fill('template-check@example.org');
        await page.locator('#template-test-send').click();
        await page.locator('#template-test-result').filter({ hasText: 'A test was sent to template-check@example.org.' }).waitFor();
        const kept = (await mailroom.api<{ mails: Array<{ subject: string; envelopeTo: string[] }> }>('GET', '/api/v1/captured')).body.mails;
        assert.deepEqual(
          kept.filter((m) => m.envelopeTo.includes('template-check@example.org')).map((m) => m.subject),
          ['Browser test: Bob Berg shared Budget 2026.xlsx'],
        );

        // An `if` never closed, on line 4.
        const unclosed = ['<h1>Shared with you</h1>', '<p>{{ sharer }} shared {{ file_name }}.</p>', '<p>The if below is never closed.</p>', '{% if note != blank %}', '<p>{{ note }}</p>', ''].join('\n');
        await setEditor(page, 'html', unclosed);
        const error = page.locator('#template-error');
        await error.filter({ hasText: /^Line 4, column 1: tag \{% if note != blank %\} not closed/ }).waitFor();
        assert.equal(await error.getAttribute('role'), 'alert');
        assert.equal(await page.locator('#template-preview').getAttribute('data-state'), 'error');
        await page.getByText('The preview shows the last version without errors.').waitFor();
        assert.match(await previewFrame(page).innerText(), /Added by the browser test for Bob Berg\./, 'the preview keeps the last good version');
        assert.deepEqual(await markedLine(page, 'html'), { line: 4, text: '{% if note != blank %}' });
        assert.equal(await page.locator('#editor-html .cm-content').getAttribute('aria-invalid'), 'true');
        assert.match((await page.locator('#editor-html .cm-content').getAttribute('aria-describedby')) ?? '', /\btemplate-error\b/, 'the editor is described by the error');

        const refusedSave = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/templates/share/en'));
        await page.locator('#template-save').click();
        assert.equal((await refusedSave).status(), 400, 'the server refuses the broken template');
        await page.locator('#template-save-status').filter({ hasText: 'Not saved: the template has an error.' }).waitFor();
        await error.filter({ hasText: /^Line 4, column 1: / }).waitFor();
        assert.deepEqual(await template('share', 'en'), saved, 'the API still has the saved version');

        // An unknown variable on line 3.
        const unknown = ['<h1>Shared with you</h1>', '<p>{{ sharer }} shared {{ file_name }}.</p>', '<p>{{ nope }}</p>', ''].join('\n');
        await setEditor(page, 'html', unknown);
        await error.filter({ hasText: /^Line 3, column 7: unknown variable "nope"/ }).waitFor();
        assert.match(await error.innerText(), /allowed: .*\bsharer\b/, 'the message lists the variables there are');
        assert.deepEqual(await markedLine(page, 'html'), { line: 3, text: '<p>{{ nope }}</p>' });
        assert.equal(await page.locator('#editor-html .cm-tpl-error-mark').innerText(), 'nope', 'the variable itself is marked');
        await page.locator('#template-save').click();
        await page.locator('#template-save-status').filter({ hasText: 'Not saved: the template has an error.' }).waitFor();
        await error.filter({ hasText: /^Line 3, column 7: / }).waitFor();
        assert.deepEqual(await template('share', 'en'), saved, 'still the saved version');

        // Reset to the default: confirmed, announced, and the editors show the shipped text.
        await page.locator('#template-reset').click();
        await page.locator('#template-reset-confirm').click();
        await page.locator('#template-notice').filter({ hasText: 'The default is back in force.' }).waitFor();
        const reset = await template('share', 'en');
        assert.equal(reset.customized, false);
        assert.deepEqual(reset.parts, shipped.parts);
        assert.deepEqual(
          reset.versions.map((v) => v.action),
          ['reset', 'set'],
        );
        await eventually(async () => (await editorText(page, 'html')) === shipped.parts.html, 'the HTML editor shows the default');
        assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), shipped.parts.subject);
        await eventually(async () => (await page.locator('#template-error').count()) === 0, 'the error is gone');
        assert.equal(await page.locator('#editor-html .cm-tpl-error-line').count(), 0, 'no line is marked');
        await page.locator('#template-preview[data-state="ready"]').waitFor();
        await eventually(async () => (await page.locator('#preview-subject').innerText()) === 'Bob Berg shared »Budget 2026.xlsx« with you', 'the preview shows the default');
        assert.equal(await page.locator('#template-state').innerText(), 'default');
        assert.deepEqual(await page.locator('#template-history li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-action'))), ['reset', 'set']);

        // The Chinese template.
        const zh = await template('share', 'zh-CN');
        await page.locator('#template-lang').selectOption('zh-CN');
        await page.waitForURL(/[?&]lang=zh-CN\b/);
        await eventually(async () => (await page.getByLabel('Subject', { exact: true }).inputValue()) === zh.parts.subject, 'the Chinese subject is shown');
        assert.match(zh.parts.subject, /共享/);
        await eventually(async () => (await editorText(page, 'html')) === zh.parts.html, 'the Chinese HTML is in the editor');
        await eventually(async () => (await page.locator('#preview-subject').innerText()).includes('共享'), 'the preview is Chinese');
        assert.equal(await page.locator('#preview-subject').innerText(), '李华与您共享了“2026年度预算.xlsx”');
      });
    });
    it('speaks Chinese in the editor too: the search panel of a Chinese admin', async () => {
      assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'zh-CN' } })).status, 200);
      try {
        await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
          await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
          await page.goto(`${mailroom.url}/admin/templates?template=share&lang=en`);
          await page.getByRole('heading', { level: 1, name: '邮件模板' }).waitFor();
          await page.locator('#editor-html .cm-content').click();
          await page.keyboard.press('Control+f');
          const panel = page.locator('#editor-html .cm-search');
          await panel.waitFor();
          assert.equal(await panel.locator('input[name="search"]').getAttribute('placeholder'), '查找');
          assert.equal(await panel.locator('input[name="replace"]').getAttribute('placeholder'), '替换');
          assert.deepEqual(await panel.locator('button').allInnerTexts(), ['下一个', '上一个', '全部', '替换', '全部替换', '×']);
          assert.equal(await panel.locator('button[name="close"]').getAttribute('aria-label'), '关闭');
          assert.match(await panel.innerText(), /区分大小写[\s\S]*正则表达式[\s\S]*全字匹配/);
          await page.keyboard.press('Escape');
          await eventually(async () => (await panel.count()) === 0, 'Escape closes the search panel');
        });
      } finally {
        assert.equal((await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'en' } })).status, 200);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  // Outbox

  describe('Outbox', () => {
    it('lists the mails captured in mode capture and shows one, with its HTML in a sandboxed frame', async () => {
      const subject = 'Captured report 4711';
      const to = 'reader@example.org';
      const id = await queueMail({ to, subject, text: 'The report is ready: line one.\nLine two.', html: '<p>The <strong>report</strong> is ready, in HTML.</p>' });
      let captured: { id: number; subject: string }[] = [];
      await eventually(async () => {
        captured = (await mailroom.api<{ mails: { id: number; subject: string }[] }>('GET', '/api/v1/captured')).body.mails;
        return captured.some((m) => m.subject === subject);
      }, 'the worker captured the mail');
      const capturedId = captured.find((m) => m.subject === subject)?.id as number;

      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('link', { name: 'Outbox' }).click();
        await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
        await page.getByText('Mails are kept here instead of being sent while the send mode is “Capture”.').waitFor();
        // The captured mails are a tab beside the outbox, with an address of its own.
        await page.getByRole('tab', { name: 'Captured mails' }).click();
        await page.waitForURL(/\/admin\/outbox\/captured$/);
        assert.equal(await page.getByRole('tab', { name: 'Captured mails' }).getAttribute('aria-selected'), 'true');
        await page.locator('#captured-inbox').waitFor();
        const row = page.locator(`#captured-list tr[data-id="${capturedId}"]`);
        assert.match(await row.innerText(), new RegExp(`${to}[\\s\\S]*${subject}`));
        await row.getByRole('button', { name: `Show captured mail #${capturedId}: ${subject}` }).click();
        const details = page.locator('#captured-details');
        await details.locator('.captured-subject').filter({ hasText: subject }).waitFor();
        assert.equal(await details.locator('.captured-to').innerText(), to);
        assert.equal(await details.locator('pre.mail-text').innerText(), 'The report is ready: line one.\nLine two.');
        const frame = details.locator('iframe.mail-html');
        assert.equal(await frame.getAttribute('sandbox'), '', 'the mail HTML cannot run script');
        assert.equal(await page.frameLocator('#captured-details iframe.mail-html').locator('body').innerText(), 'The report is ready, in HTML.');
        assert.equal(await page.frameLocator('#captured-details iframe.mail-html').locator('strong').innerText(), 'report');
        // Captured mails are done in the outbox: listed as sent.
        await page.getByRole('tab', { name: 'Outbox' }).click();
        await page.waitForURL(/\/admin\/outbox$/);
        await page.locator(`#outbox-list tr[data-id="${id}"][data-state="sent"]`).waitFor();
      });
    });

    it('follows the worker without a click while "Refresh automatically" is on, and waits for Refresh when it is off', async () => {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('link', { name: 'Outbox' }).click();
        await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
        const live = page.getByLabel('Refresh automatically');
        assert.equal(await live.isChecked(), true, 'on by default');
        const sentCount = async () => Number((await page.locator('#outbox-counts li[data-state="sent"] .count-value').innerText()).replace(/\D/g, ''));
        const sentBefore = await sentCount();

        const subject = 'Appears by itself 5150';
        const id = await queueMail({ to: 'live@example.org', subject, text: 'x' });
        // Queued, then captured by the worker: the row shows up as sent, with no click.
        await page.locator(`#outbox-list tr[data-id="${id}"][data-state="sent"]`).waitFor({ timeout: 20_000 });
        assert.ok((await sentCount()) > sentBefore, 'the counts follow too');

        await live.uncheck();
        const quiet = await queueMail({ to: 'quiet@example.org', subject: 'Waits for Refresh 5151', text: 'x' });
        await eventually(async () => (await mailroom.api<{ state: string }>('GET', `/api/v1/outbox/${quiet}`)).body.state === 'sent', 'the worker captured it');
        await page.waitForTimeout(7_000);
        assert.equal(await page.locator(`#outbox-list tr[data-id="${quiet}"]`).count(), 0, 'not shown while automatic refresh is off');
        await page.locator('#outbox-refresh').click();
        await page.locator(`#outbox-list tr[data-id="${quiet}"][data-state="sent"]`).waitFor();
        // The captured tab reads its list when it opens.
        await page.getByRole('tab', { name: 'Captured mails' }).click();
        await page.locator('#captured-list tr', { hasText: 'Waits for Refresh 5151' }).waitFor();
      });
    });

    it('shows a mail its template could not render, with its code, and renders it again once the template is fixed', async () => {
      await mailroom.ctx.users.add({ uid: 'owed-sharer', email: 'owed-sharer@example.org', display_name: 'Owen Sharer', invite: false });
      await mailroom.ctx.users.add({ uid: 'owed-reader', email: 'owed-reader@example.org', display_name: 'Rita Reader', invite: false });
      // A template over the render budget, as a hand edit of the database could leave it (saving
      // through the page or the API refuses it): the worker cannot render the mail.
      storeOverBudgetShareTemplate(mailroom.dataDir);
      await mailroom.ctx.events.ingest([{ type: 'share.created', actor: 'owed-sharer', affected: ['owed-reader'], object: { type: 'file', id: '77', name: 'owed-plan.odt' } }]);
      await eventually(async () => (await mailroom.api<{ failed: number }>('GET', '/api/v1/outbox/owed')).body.failed === 1, 'the worker to have tried to render it', 30_000);
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('link', { name: 'Outbox' }).click();
        const section = page.locator('#owed-mails');
        await section.getByRole('heading', { name: 'Not yet rendered' }).waitFor();
        assert.match(await section.innerText(), /1 mail could not be rendered from its template/);
        const row = section.locator('#owed-failed-list tbody tr');
        assert.equal(await row.count(), 1);
        assert.match(await row.innerText(), /share[\s\S]*template_render_budget/);

        // The admin fixes the template (back to the shipped one) and renders the mail again.
        assert.equal((await mailroom.api('DELETE', '/api/v1/templates/share/en')).status, 200);
        await section.getByRole('button', { name: 'Render it again' }).click();
        await section.getByText('1 mail to be rendered again.').waitFor();
        await eventually(async () => (await mailroom.api<{ mails: Array<{ subject: string; state: string }> }>('GET', '/api/v1/outbox?limit=20')).body.mails.some((m) => m.subject === 'Owen Sharer shared »owed-plan.odt« with you' && m.state === 'sent'), 'the share mail to be rendered and sent', 30_000);
        await page.locator('#outbox-refresh').click();
        await page.locator('#outbox-list tr', { hasText: 'owed-plan.odt' }).waitFor();
        assert.equal(await page.locator('#owed-failed-list').count(), 0, 'nothing failed to render any more');
      });
    });

    it('shows a mail a server refused with 550: counts, the Failed filter, headers, parts and the reply verbatim; Retry sends it', async () => {
      const refusing = await startSmtpSink(['-f', 'RCPT', '-B', REFUSAL]);
      sinks.push(refusing);
      const working = await startSmtpSink();
      sinks.push(working);
      const before = await outboxCounts();
      try {
        await setMail({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${refusing.port}`, mail_smtptimeout: 3 });
        const subject = 'Invoice 17 is ready';
        const to = 'refused@example.org';
        const id = await queueMail({ to, subject, text: 'Invoice 17 is ready to download.', html: '<p>Invoice <b>17</b> is ready to download.</p>' });
        await eventually(async () => (await outboxMail(id)).state === 'failed', 'the mail failed at the refusing server');
        const failed = await outboxMail(id);
        assert.equal(failed.lastReply, REFUSAL, 'the outbox keeps the reply');
        const counts = await outboxCounts();
        assert.equal(counts['failed'], (before['failed'] ?? 0) + 1);

        await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
          await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
          await page.goto(`${mailroom.url}/admin/outbox`);
          await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
          await eventually(async () => (await shownCounts(page))['failed'] === counts['failed'], 'the counts show the failed mail');
          assert.deepEqual(await shownCounts(page), { queued: 0, sending: 0, sent: 0, failed: 0, cancelled: 0, ...counts });
          assert.equal(await page.locator('#captured-inbox').count(), 0, 'no captured inbox in mode smtp');

          // Only the failed mails.
          await page.getByLabel('State', { exact: true }).selectOption('failed');
          await page.locator(`#outbox-list tr[data-id="${id}"][data-state="failed"]`).waitFor();
          await eventually(async () => (await page.locator('#outbox-list tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))).every((s) => s === 'failed'), 'the list holds failed mails only');
          assert.equal(await page.locator('#outbox-list tbody tr').count(), counts['failed']);
          const row = page.locator(`#outbox-list tr[data-id="${id}"]`);
          assert.match(await row.innerText(), new RegExp(`Failed[\\s\\S]*${to}[\\s\\S]*${subject}`));

          await row.getByRole('link', { name: `Show mail #${id}: ${subject}` }).click();
          const details = page.locator('#mail-details');
          await page
            .locator('#mail-details-title')
            .filter({ hasText: `Mail #${id}` })
            .waitFor();
          await details.locator('#mail-last-error pre.reply').waitFor();
          assert.equal(await details.locator('#mail-last-error pre.reply').innerText(), failed.lastError);
          const attempt = details.locator('#mail-attempts li[data-outcome="failed"]');
          assert.equal(await attempt.count(), 1);
          assert.equal(await attempt.locator('pre.reply').innerText(), REFUSAL, "the server's reply, verbatim");
          assert.match(await attempt.innerText(), new RegExp(`via 127\\.0\\.0\\.1:${refusing.port}`));
          assert.match(await attempt.innerText(), /smtp_recipient_rejected/);
          // The headers as sent.
          const header = async (name: string) =>
            (
              await details
                .locator('#mail-headers tr')
                .filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) })
                .locator('td')
                .innerText()
            ).trim();
          assert.equal(await header('Subject'), subject);
          assert.equal(await header('To'), to);
          assert.equal(await header('Message-ID'), failed.messageId);
          // The parts.
          assert.equal(await details.locator('#mail-parts .mail-part[data-type="text/plain"] pre.mail-text').innerText(), 'Invoice 17 is ready to download.');
          assert.equal(await details.locator('#mail-parts .mail-part[data-type="text/html"] iframe.mail-html').getAttribute('sandbox'), '');
          assert.equal(await page.frameLocator('#mail-parts .mail-part[data-type="text/html"] iframe.mail-html').locator('body').innerText(), 'Invoice 17 is ready to download.');
          await wholePagePicture(page, 'admin-outbox.png');

          // The admin fixes the server, then retries: queued again, and sent.
          await setMail({ mail_smtphost: `127.0.0.1:${working.port}` });
          await details.locator('#mail-retry').click();
          await details.locator('#mail-details-status').filter({ hasText: 'Queued again.' }).waitFor();
          await page.getByLabel('State', { exact: true }).selectOption('');
          await eventually(async () => {
            await page.locator('#outbox-refresh').click();
            await page.locator('#outbox-refresh:not([disabled])').waitFor();
            return (await page.locator(`#outbox-list tr[data-id="${id}"]`).getAttribute('data-state')) === 'sent';
          }, 'after Refresh the mail is listed as sent');
          const sent = await outboxMail(id);
          assert.equal(sent.state, 'sent');
          const now = await outboxCounts();
          assert.equal(now['failed'], before['failed'] ?? 0, 'no mail is failed any more');
          assert.deepEqual(await shownCounts(page), { queued: 0, sending: 0, sent: 0, failed: 0, cancelled: 0, ...now }, 'the counts show it sent');
          // The open mail follows Refresh: its first attempt failed, the second was accepted.
          await details.locator('#mail-attempts li[data-outcome="accepted"]').waitFor();
          assert.equal(await details.locator('#mail-attempts li[data-outcome="failed"] pre.reply').innerText(), REFUSAL);
          assert.equal(await details.locator('#mail-retry').count(), 0, 'a sent mail cannot be retried');
        });
      } finally {
        await setMail({ mail_smtpmode: 'capture', mail_smtphost: null, mail_smtptimeout: null });
      }
    });

    it('"Retry all failed" queues every failed mail again after a confirmation, and they are sent once the server is fixed', async () => {
      const refusing = await startSmtpSink(['-f', 'RCPT', '-B', REFUSAL]);
      sinks.push(refusing);
      const working = await startSmtpSink();
      sinks.push(working);
      try {
        await setMail({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${refusing.port}`, mail_smtptimeout: 3 });
        const ids = [await queueMail({ to: 'refused@example.org', subject: 'Bulk A', text: 'a' }), await queueMail({ to: 'refused@example.org', subject: 'Bulk B', text: 'b' })];
        await eventually(async () => (await Promise.all(ids.map(outboxMail))).every((m) => m.state === 'failed'), 'both mails failed at the refusing server');
        const failed = (await outboxCounts())['failed'] ?? 0;
        assert.ok(failed >= 2);

        await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
          await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
          await page.goto(`${mailroom.url}/admin/outbox`);
          const retryAll = page.getByRole('button', { name: `Retry all failed (${failed})` });
          await retryAll.click();
          const question = page.locator('#outbox-retry-all-question');
          assert.equal(await question.innerText(), `Queue the ${failed} failed mails again? Fix what made them fail first (each mail shows the server’s reply), or they fail again.`);
          // Cancel changes nothing.
          await page.locator('#outbox-retry-all-confirm').getByRole('button', { name: 'Cancel' }).click();
          assert.equal(await question.count(), 0);
          assert.equal((await outboxCounts())['failed'], failed);

          await setMail({ mail_smtphost: `127.0.0.1:${working.port}` });
          await retryAll.click();
          await page.getByRole('button', { name: 'Yes, retry them all' }).click();
          await page
            .locator('#outbox-retry-all-status')
            .filter({ hasText: `${failed} mails queued again.` })
            .waitFor();
          await eventually(async () => (await Promise.all(ids.map(outboxMail))).every((m) => m.state === 'sent'), 'both mails were sent by the fixed server');
          await eventually(async () => (await shownCounts(page))['failed'] === 0, 'the page follows by itself: no failed mail');
          assert.equal(await retryAll.count(), 0, 'the button goes with the last failed mail');
        });
      } finally {
        await setMail({ mail_smtpmode: 'capture', mail_smtphost: null, mail_smtptimeout: null });
      }
    });
    it('"Cancel sending" stops a mail the server put off (4xx) after a confirmation, and Retry sends it after all', async () => {
      const deferring = await startSmtpSink(['-r', 'RCPT']);
      sinks.push(deferring);
      const working = await startSmtpSink();
      sinks.push(working);
      try {
        await setMail({ mail_smtpmode: 'smtp', mail_smtphost: `127.0.0.1:${deferring.port}`, mail_smtptimeout: 3 });
        const subject = 'Wrong newsletter';
        const id = await queueMail({ to: 'deferred@example.org', subject, text: 'x' });
        await eventually(async () => {
          const m = await outboxMail(id);
          return m.state === 'queued' && m.attempts === 1;
        }, 'the server put the mail off: queued for a later attempt');

        await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
          await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
          await page.goto(`${mailroom.url}/admin/outbox`);
          await page.getByRole('link', { name: `Show mail #${id}: ${subject}` }).click();
          const details = page.locator('#mail-details');
          await details.locator('#mail-cancel').waitFor();
          assert.equal(await details.locator('#mail-retry').count(), 0, 'a queued mail has nothing to retry');

          // "No, keep it" changes nothing.
          await details.getByRole('button', { name: 'Cancel sending' }).click();
          const question = details.locator('#mail-cancel-question');
          assert.equal(await question.innerText(), `Cancel mail #${id}? No worker will send it. “Retry” sends it after all.`);
          await eventually(async () => (await focusedId(page)) === 'mail-cancel-yes', 'the focus is on the confirmation');
          await details.getByRole('button', { name: 'No, keep it' }).click();
          assert.equal(await question.count(), 0);
          assert.equal((await outboxMail(id)).state, 'queued');

          await details.getByRole('button', { name: 'Cancel sending' }).click();
          await details.getByRole('button', { name: 'Yes, cancel it' }).click();
          await details.locator('#mail-details-status').filter({ hasText: 'Cancelled: this mail will not be sent.' }).waitFor();
          assert.equal((await outboxMail(id)).state, 'cancelled');
          await eventually(async () => (await page.locator(`#outbox-list tr[data-id="${id}"]`).getAttribute('data-state')) === 'cancelled', 'the list shows it cancelled');
          assert.equal(await details.locator('#mail-cancel').count(), 0, 'a cancelled mail cannot be cancelled again');

          // Changed its mind: Retry sends it, through a server that takes it now.
          await setMail({ mail_smtphost: `127.0.0.1:${working.port}` });
          await details.locator('#mail-retry').click();
          await details.locator('#mail-details-status').filter({ hasText: 'Queued again.' }).waitFor();
          await eventually(async () => (await outboxMail(id)).state === 'sent', 'the retried mail was sent');
        });
      } finally {
        await setMail({ mail_smtpmode: 'capture', mail_smtphost: null, mail_smtptimeout: null });
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  // Users

  describe('Users', () => {
    it('adds a user, refuses a bad address at its field, disables and enables one, and keeps the last admin', async () => {
      // Two colleagues already there, so the list looks like one.
      for (const body of [
        { uid: 'li.na', display_name: 'Li Na', email: 'li.na@example.org', language: 'zh-CN', timezone: 'Asia/Shanghai' },
        { uid: 'omar', display_name: 'Omar Haddad', email: 'omar@example.org', timezone: 'Europe/Berlin' },
      ]) {
        const r = await mailroom.api('POST', '/api/v1/users', { body });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.getByRole('link', { name: 'Users' }).click();
        await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
        await page.locator('#users-list tr[data-uid="admin"]').waitFor();

        // Add a user.
        const form = page.locator('form#user-add');
        await form.getByLabel('User name').fill('wen');
        await form.getByLabel('Display name').fill('Wen Zhou');
        await form.getByLabel('Email').fill('wen@example.org');
        await form.getByLabel('Language').selectOption('zh-CN');
        await form.getByLabel('Time zone').fill('Asia/Shanghai');
        await form.getByLabel('Password (optional)').fill(PASSWORD);
        await form.getByRole('button', { name: 'Add user' }).click();
        await page.locator('#users-status').filter({ hasText: 'User wen added.' }).waitFor();
        const row = page.locator('#users-list tr[data-uid="wen"]');
        assert.equal(await row.getAttribute('data-disabled'), 'false');
        assert.match(await row.innerText(), /wen[\s\S]*Wen Zhou[\s\S]*wen@example\.org[\s\S]*Asia\/Shanghai[\s\S]*No[\s\S]*Active/);
        const added = await userOf('wen');
        assert.equal(added.status, 200);
        const { uid, display_name, email: address, language, timezone, admin, disabled } = added.user as UserView;
        assert.deepEqual({ uid, display_name, address, language, timezone, admin, disabled }, { uid: 'wen', display_name: 'Wen Zhou', address: 'wen@example.org', language: 'zh-CN', timezone: 'Asia/Shanghai', admin: false, disabled: false });
        assert.equal(await page.locator('#add-uid').inputValue(), '', 'the form is empty for the next user');
        await wholePagePicture(page, 'admin-users.png');

        // An address with two @: refused at the field, nobody added.
        const users = (await mailroom.api<{ users: UserView[] }>('GET', '/api/v1/users')).body.users.length;
        await form.getByLabel('User name').fill('bad');
        await form.getByLabel('Email').fill('a@b@c');
        await form.getByRole('button', { name: 'Add user' }).click();
        const emailError = page.locator('#add-email-error');
        await emailError.waitFor();
        assert.equal(await emailError.innerText(), 'email "a@b@c" is not a valid email address: it has more than one @');
        const email = page.locator('#add-email');
        assert.equal(await email.getAttribute('aria-invalid'), 'true');
        assert.match((await email.getAttribute('aria-describedby')) ?? '', /\badd-email-error\b/);
        await eventually(async () => (await page.evaluate<string>('document.activeElement && document.activeElement.id')) === 'add-email', 'the focus is on the email field');
        await page.locator('#user-add-status').filter({ hasText: 'Please correct the marked fields.' }).waitFor();
        assert.equal(await page.locator('#add-uid-error').count(), 0, 'only the email is marked');
        assert.equal(await email.inputValue(), 'a@b@c', 'the value stays, to be corrected');
        assert.equal((await userOf('bad')).status, 404);
        assert.equal((await mailroom.api<{ users: UserView[] }>('GET', '/api/v1/users')).body.users.length, users, 'nobody was added');
        assert.equal(await page.locator('#users-list tr[data-uid="bad"]').count(), 0);

        // Disable: wen cannot sign in; enable: wen can again.
        const signInAsWen = () =>
          browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page: other }) => {
            await other.goto(`${mailroom.url}/login`);
            await other.getByLabel('User name or email').fill('wen');
            await other.getByLabel('Password', { exact: true }).fill(PASSWORD);
            await other.getByRole('button', { name: 'Sign in' }).click();
            const outcome = await Promise.race([
              other.waitForURL(/\/personal$/).then(() => 'signed in'),
              other
                .getByRole('alert')
                .filter({ hasText: 'Wrong user name or password.' })
                .waitFor()
                .then(() => 'refused'),
            ]);
            return outcome;
          });
        // Disabling asks first (users-and-links.test.ts looks at the question); here it is answered OK.
        page.once('dialog', (dialog) => void dialog.accept());
        await row.getByRole('button', { name: 'Disable wen' }).click();
        await page.locator('#users-status').filter({ hasText: 'User wen is disabled; they were signed out everywhere.' }).waitFor();
        assert.equal(await row.getAttribute('data-disabled'), 'true');
        assert.match(await row.innerText(), /Disabled/);
        assert.equal((await userOf('wen')).user?.disabled, true);
        assert.equal(await signInAsWen(), 'refused', 'a disabled user cannot sign in');

        await row.getByRole('button', { name: 'Enable wen' }).click();
        await page.locator('#users-status').filter({ hasText: 'User wen is enabled again.' }).waitFor();
        assert.equal(await row.getAttribute('data-disabled'), 'false');
        assert.equal((await userOf('wen')).user?.disabled, false);
        assert.equal(await signInAsWen(), 'signed in', 'enabled again, wen signs in');

        // The only admin unticks their own admin box: refused, with the reason.
        await page.locator('#users-list tr[data-uid="admin"]').getByRole('button', { name: 'Edit admin' }).click();
        const edit = page.locator('form#user-edit-form');
        await edit.getByLabel('Admin').uncheck();
        await edit.getByRole('button', { name: 'Save', exact: true }).click();
        await page.locator('#user-edit-status').filter({ hasText: 'Not possible: admin is the last active admin. Make another user admin first.' }).waitFor();
        assert.equal((await userOf('admin')).user?.admin, true, 'admin is still an admin');
        assert.match(await page.locator('#users-list tr[data-uid="admin"]').innerText(), /Yes/);
        await edit.getByRole('button', { name: 'Cancel' }).click();

        // With a second admin, disabling oneself asks first; "Cancel" changes nothing.
        await row.getByRole('button', { name: 'Edit wen' }).click();
        await edit.getByLabel('Admin').check();
        await edit.getByRole('button', { name: 'Save', exact: true }).click();
        await page.locator('#users-status').filter({ hasText: 'User wen saved.' }).waitFor();
        assert.equal((await userOf('wen')).user?.admin, true);
        const dialogs: string[] = [];
        page.once('dialog', (dialog) => {
          dialogs.push(`${dialog.type()}: ${dialog.message()}`);
          void dialog.dismiss();
        });
        await page.locator('#users-list tr[data-uid="admin"]').getByRole('button', { name: 'Disable admin' }).click();
        await eventually(async () => dialogs.length === 1, 'the page asks before disabling oneself');
        assert.deepEqual(dialogs, ['confirm: Disable your own account? You will be signed out at once.']);
        assert.equal((await userOf('admin')).user?.disabled, false, 'not disabled after Cancel');
        assert.equal(await page.locator('#users-list tr[data-uid="admin"]').getAttribute('data-disabled'), 'false');
      });
      // They go again; admin is the only admin as before.
      for (const uid of ['wen', 'li.na', 'omar']) assert.equal((await mailroom.api('DELETE', `/api/v1/users/${uid}`)).status, 204);
    });
  });
});
