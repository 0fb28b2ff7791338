/**
 * Editing on the Templates page in a real browser (chromium) against a real Mailroom: leaving a
 * page with unsaved changes asks (a reload, a link inside the app, the browser's Back); a closer
 * the editor inserted by itself is typed over, not doubled; the editors follow dark mode; two
 * versions are compared line by line; the preview shows the whole mail and covers nothing at
 * 1280×800; the share template's test, delivered by a real Postfix, comes "via" the instance
 * with the sample sharer's Reply-To, as a real share mail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { Dialog, Locator, Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, eventually, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { startPostfix, waitForMail } from '../support/servers.ts';
import type { TemplateParts } from '../../src/domain/api-types.ts';

describe('editing on the Templates page', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom(), launchBrowser()]);
  });

  after(() => closeAll(browser, mailroom));

  async function save(name: string, parts: TemplateParts): Promise<number> {
    const r = await mailroom.api<{ versions: Array<{ id: number }> }>('PUT', `/api/v1/templates/${name}/en`, { body: parts });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.versions[0]?.id as number;
  }

  async function open(page: Page, name: string): Promise<void> {
    await page.goto(`${mailroom.url}/admin/templates?template=${name}&lang=en`);
    await page.getByRole('heading', { level: 1, name: 'Email templates' }).waitFor();
    await page.locator('#editor-html .cm-content').waitFor();
    await page.locator('#template-preview[data-state="ready"]').waitFor();
  }

  const editorText = (page: Page, part: 'html' | 'text') => page.locator(`#editor-${part}-value`).inputValue();

  /** Empties an editor with the keyboard, leaving the cursor in it. */
  async function clear(page: Page, editor: Locator): Promise<void> {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
  }

  it('asks before a reload, a link inside the app and Forward or Back lose unsaved changes, and lets go once saved', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await open(page, 'welcome');
      const subject = page.getByLabel('Subject', { exact: true });
      const original = await subject.inputValue();
      await subject.click();
      await page.keyboard.press('End');
      await page.keyboard.type(' (edited)');
      await page.locator('#template-unsaved').waitFor();

      const dialogs: Array<{ type: string; message: string }> = [];
      let answer = false;
      const onDialog = (dialog: Dialog) => {
        dialogs.push({ type: dialog.type(), message: dialog.message() });
        void (answer ? dialog.accept() : dialog.dismiss());
      };
      page.on('dialog', onDialog);

      // A reload: the browser's own "Leave site?"; staying keeps the draft.
      await page.reload({ timeout: 2_000 }).catch(() => undefined);
      assert.deepEqual(
        dialogs.map((d) => d.type),
        ['beforeunload'],
      );
      assert.equal(await subject.inputValue(), `${original} (edited)`, 'staying keeps the draft');

      // A link inside the app: the page's own question; No stays on the page.
      await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
      assert.deepEqual(dialogs[1], { type: 'confirm', message: 'This template has unsaved changes. Leave the page and lose them?' });
      assert.match(page.url(), /\/admin\/templates\?template=welcome&lang=en$/);
      assert.equal(await subject.inputValue(), `${original} (edited)`);

      // Yes leaves; Back to the templates asks nothing (the draft is gone with the page).
      answer = true;
      await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
      await page.waitForURL(/\/admin\/outbox$/);
      assert.equal(dialogs.length, 3);
      await page.goBack();
      await page.locator('#template-preview[data-state="ready"]').waitFor();
      assert.equal(dialogs.length, 3, 'nothing unsaved: no question');

      // The browser's Forward (or Back) inside the app asks too; No keeps the page.
      answer = false;
      await subject.fill('Changed again');
      await page.locator('#template-unsaved').waitFor();
      await page.goForward({ timeout: 2_000 }).catch(() => undefined);
      await eventually(async () => dialogs.length === 4, 'Forward asks');
      assert.equal(dialogs[3]?.type, 'confirm');
      await eventually(async () => /\/admin\/templates\?/.test(page.url()), 'still on the Templates page');
      assert.equal(await subject.inputValue(), 'Changed again');

      // Saved: leaving asks nothing.
      await page.locator('#template-save').click();
      await eventually(async () => (await page.locator('#template-unsaved').count()) === 0, 'saved');
      await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
      await page.waitForURL(/\/admin\/outbox$/);
      assert.equal(dialogs.length, 4, 'no question once saved');
      page.off('dialog', onDialog);
    });
  });

  it('types over a closing tag and a %} the editor put in, leaving one of each', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await open(page, 'welcome');
      await clear(page, page.locator('#editor-html .cm-content'));
      await page.keyboard.type('<p>Hello</p>');
      await eventually(async () => (await editorText(page, 'html')) === '<p>Hello</p>', `one </p> (got ${JSON.stringify(await editorText(page, 'html'))})`);
      await page.keyboard.type('<div><b>Hi</b></div>');
      await eventually(async () => (await editorText(page, 'html')) === '<p>Hello</p><div><b>Hi</b></div>', `nested closers typed over (got ${JSON.stringify(await editorText(page, 'html'))})`);

      await clear(page, page.locator('#editor-text .cm-content'));
      await page.keyboard.type('{% if instance_name %}Hi{% endif %}');
      await page.keyboard.press('Escape');
      await eventually(async () => (await editorText(page, 'text')) === '{% if instance_name %}Hi{% endif %}', `no stray %} (got ${JSON.stringify(await editorText(page, 'text'))})`);
    });
  });

  it('colours the editors for dark mode when the system asks for it', async () => {
    const colours = async (colorScheme: 'light' | 'dark') =>
      browser.withPage({ locale: 'en-US', viewport: DESKTOP, colorScheme }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await open(page, 'share');
        // As a string: the test's own transpiler would add helpers the page does not have.
        return page.evaluate<{ background: string; text: string; gutter: string; tag: string; scheme: string }>(`(() => {
          const editor = document.querySelector('#editor-html .cm-editor');
          const style = (selector) => getComputedStyle(editor.querySelector(selector));
          return {
            background: getComputedStyle(editor).backgroundColor,
            text: style('.cm-content').color,
            gutter: style('.cm-gutters').backgroundColor,
            tag: style('.cm-line span').color,
            scheme: getComputedStyle(editor).colorScheme,
          };
        })()`);
      });
    const light = await colours('light');
    const dark = await colours('dark');
    assert.equal(light.background, 'rgb(255, 255, 255)');
    assert.equal(dark.background, 'rgb(31, 37, 44)', 'the page’s dark card');
    assert.equal(dark.text, 'rgb(231, 235, 240)');
    assert.equal(dark.gutter, 'rgb(23, 28, 33)');
    assert.equal(dark.scheme, 'dark');
    assert.notEqual(dark.tag, light.tag, 'syntax colours of their own in dark mode');
  });

  it('shows the changed lines between two versions, and between a version and the editors, marked + and −', async () => {
    const older = await save('lost_password', { subject: 'Reset {{ instance_name }}', html: '<p>Hello</p>\n<p>Click {{ link }}</p>\n<p>Bye</p>\n', text: '' });
    const newer = await save('lost_password', { subject: 'Reset {{ instance_name }}', html: '<p>Hello</p>\n<p>Open {{ link }} within {{ expires_in_minutes }} minutes</p>\n<p>Bye</p>\n', text: '' });
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await open(page, 'lost_password');
      await page.getByLabel('Older').selectOption(String(older));
      await page.getByLabel('Newer').selectOption(String(newer));
      await page.getByRole('button', { name: 'Show changes' }).click();
      const diff = page.getByRole('region', { name: `Changes: Version ${older} → Version ${newer}` });
      await diff.waitFor();
      const html = diff.locator('[data-part="html"]');
      assert.deepEqual(await html.locator('.tpl-diff-line').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-kind'), l.querySelector('.tpl-diff-sign')?.textContent])), [
        ['same', '  '],
        ['removed', '− '],
        ['added', '+ '],
        ['same', '  '],
      ]);
      // What a screen reader reads: the sign is hidden from it, the word is not.
      assert.equal(await html.locator('.tpl-diff-line.removed').textContent(), '− removed: <p>Click {{ link }}</p>\n');
      assert.equal(await html.locator('.tpl-diff-line.added').textContent(), '+ added: <p>Open {{ link }} within {{ expires_in_minutes }} minutes</p>\n');
      assert.equal(await html.getByRole('heading').innerText(), 'HTML body: 1 added, 1 removed');
      assert.equal(await diff.locator('[data-part="subject"]').getByRole('heading').innerText(), 'Subject: No changes.');
      assert.equal(await diff.locator('[data-part="subject"] .tpl-diff').count(), 0);

      // A version and what the editors hold, unsaved.
      await page.getByLabel('Subject', { exact: true }).fill('Your reset link for {{ instance_name }}');
      await page.getByLabel('Older').selectOption(String(newer));
      await page.getByLabel('Newer').selectOption('draft');
      await page.getByRole('button', { name: 'Show changes' }).click();
      const draft = page.getByRole('region', { name: `Changes: Version ${newer} → The editors (unsaved draft)` });
      await draft.waitFor();
      assert.deepEqual(await draft.locator('[data-part="subject"] .tpl-diff-line').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-kind'), l.textContent])), [
        ['removed', '− removed: Reset {{ instance_name }}\n'],
        ['added', '+ added: Your reset link for {{ instance_name }}\n'],
      ]);
      assert.equal(await draft.locator('[data-part="html"]').getByRole('heading').innerText(), 'HTML body: No changes.');
    });
  });

  it('shows the whole mail in the preview, and the preview covers neither the editors nor the variables at 1280×800', async () => {
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await open(page, 'activity');
      const sizes = () =>
        page.evaluate<{ inner: number; content: number }>(`(() => {
          const frame = document.querySelector('#preview-html');
          return { inner: frame.clientHeight, content: frame.contentDocument?.documentElement.scrollHeight ?? -1 };
        })()`);
      await eventually(async () => {
        const s = await sizes();
        return s.content > 300 && Math.abs(s.inner - s.content) <= 1;
      }, 'the frame is as tall as the mail');
      const { inner, content } = await sizes();
      assert.ok(Math.abs(inner - content) <= 1, `frame ${inner}px, mail ${content}px`);

      const overlap = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      const others = ['.tpl-edit', '.tpl-variables', '#editor-html', '#editor-text', '.tpl-history', '.tpl-test'];
      for (const scroll of [0, 600, 100_000]) {
        await page.evaluate(`window.scrollTo(0, ${scroll})`);
        const preview = await page.locator('#template-preview').boundingBox();
        assert.ok(preview);
        for (const selector of others) {
          const box = await page.locator(selector).first().boundingBox();
          assert.ok(box, selector);
          assert.equal(overlap(preview, box), false, `the preview covers ${selector} scrolled to ${scroll}`);
        }
      }
    });
  });

  it('sends the share template\'s test "via" the instance with the sample sharer\'s Reply-To, as a real share mail', async () => {
    const postfix = await startPostfix();
    try {
      await mailroom.ctx.settings.update({ ...postfixSettings(postfix), mail_domain: 'cloud.example.com', instance_name: 'Example Cloud' });
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await open(page, 'share');
        // The preview is written for this instance too.
        assert.match((await page.locator('#preview-html').getAttribute('srcdoc')) ?? '', /Example Cloud/);
        await page.getByLabel('Send the test mail to').fill('share.test@example.org');
        await page.locator('#template-test-send').click();
        await page.locator('#template-test-result').filter({ hasText: 'A test was sent to share.test@example.org.' }).waitFor();
      });
      const mail = await simpleParser((await waitForMail(postfix.maildir, (m) => m.deliveredTo === 'share.test@example.org')).raw);
      assert.equal(mail.from?.value[0]?.name, 'Bob Berg via Example Cloud');
      assert.equal(mail.from?.value[0]?.address, 'mailroom@cloud.example.com');
      assert.equal(mail.replyTo?.value[0]?.address, 'bob.berg@example.com');
    } finally {
      await mailroom.ctx.settings.update({ mail_smtpmode: 'capture' }).catch(() => undefined);
      await postfix.stop();
    }
  });
});
