/**
 * The version history of the Templates page in a real browser (chromium) against a real
 * Mailroom: an admin views an older version of the share template (its HTML shown as text, not
 * rendered), restores it after a confirmation that warns about unsaved changes, and finds it in
 * the editors, the preview and the history, as the API does; a version that no longer passes the
 * checks is refused in its row, and nothing changes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, DESKTOP, eventually, launchBrowser, signIn, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import type { TemplateDetail, TemplateParts } from '../../src/domain/api-types.ts';

const first: TemplateParts = {
  subject: 'Last week: {{ sharer }} shared {{ file_name }}',
  html: '<h1 class="old-look">Shared with you</h1>\n<p>{{ sharer }} shared <a href="{{ link }}">{{ file_name }}</a>.</p>\n',
  text: '{{ sharer }} shared {{ file_name }}: {{ link }}\n',
};
const second: TemplateParts = { subject: 'Broken look: {{ file_name }}', html: '<div style="color:#ff00ff">{{ file_name }}</div>\n', text: '' };

describe('the version history of the Templates page', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom(), launchBrowser()]);
  });

  after(() => closeAll(browser, mailroom));

  async function template(name: string, lang: string): Promise<TemplateDetail> {
    const r = await mailroom.api<TemplateDetail>('GET', `/api/v1/templates/${name}/${lang}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function save(parts: TemplateParts): Promise<number> {
    const r = await mailroom.api<TemplateDetail>('PUT', '/api/v1/templates/share/en', { body: parts });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.versions[0]?.id as number;
  }

  const editorText = (page: Page, part: 'html' | 'text') => page.locator(`#editor-${part}-value`).inputValue();
  const row = (page: Page, id: number) => page.locator(`#template-history li[data-version="${id}"]`);

  async function openShare(page: Page): Promise<void> {
    await page.goto(`${mailroom.url}/admin/templates?template=share&lang=en`);
    await page.getByRole('heading', { level: 1, name: 'Email templates' }).waitFor();
    await page.locator('#editor-html .cm-content').waitFor();
    await page.locator('#template-preview[data-state="ready"]').waitFor();
  }

  it('views an older version read-only, restores it after a confirmation, and the editors, the history and the API agree', async () => {
    const firstId = await save(first);
    const secondId = await save(second);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await openShare(page);
      assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), second.subject);
      assert.deepEqual(await page.locator('#template-history li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-action'))), ['set', 'set']);
      assert.match(await row(page, firstId).innerText(), new RegExp(`^Version ${firstId} Saved by browser-tests`));
      // The version in force can be viewed but not restored; the older one has both.
      assert.equal(
        await row(page, secondId)
          .getByRole('button', { name: `Restore version ${secondId}` })
          .count(),
        0,
      );
      await row(page, secondId)
        .getByRole('button', { name: `View version ${secondId}` })
        .waitFor();

      // View: the parts as text, the HTML not rendered.
      const view = page.getByRole('button', { name: `View version ${firstId}` });
      assert.equal(await view.getAttribute('aria-expanded'), 'false');
      await view.click();
      const parts = page.locator(`#template-version-${firstId}`);
      await parts.locator('.tpl-version-html').waitFor();
      assert.equal(await page.getByRole('button', { name: `Hide version ${firstId}` }).getAttribute('aria-expanded'), 'true');
      assert.equal(await parts.getAttribute('role'), 'region');
      assert.equal(await parts.locator('.tpl-version-subject').textContent(), first.subject);
      assert.equal(await parts.locator('.tpl-version-html').textContent(), first.html, 'the HTML exactly as saved');
      assert.equal(await parts.locator('.tpl-version-text').textContent(), first.text);
      assert.equal(await parts.locator('h1, a, .old-look').count(), 0, 'the HTML is shown as text, nothing of it is rendered');
      assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), second.subject, 'viewing changes no editor');
      await page.getByRole('button', { name: `Hide version ${firstId}` }).click();
      await eventually(async () => (await parts.count()) === 0, 'the version is hidden again');

      // An unsaved change: the confirmation says it will be replaced; Cancel keeps everything.
      await page.getByLabel('Subject', { exact: true }).fill('Typed but not saved');
      await page.locator('#template-unsaved').waitFor();
      await page.getByRole('button', { name: `Restore version ${firstId}` }).click();
      const question = page.locator(`#template-version-question-${firstId}`);
      assert.equal(await question.innerText(), `Restore version ${firstId}? Its subject, HTML and text are saved again as a new version and are in force at once; the versions after it stay in the history. Your unsaved changes in the editors will be replaced.`);
      // The focus moves once the question has rendered, a frame after it appears.
      await eventually(async () => (await page.evaluate<string>('document.activeElement?.textContent ?? ""')) === 'Yes, restore', 'the confirmation has the focus');
      await row(page, firstId).getByRole('button', { name: 'Cancel' }).click();
      await eventually(async () => (await question.count()) === 0, 'the confirmation is gone');
      assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), 'Typed but not saved');
      assert.equal((await template('share', 'en')).versions.length, 2, 'Cancel restores nothing');

      // Restore.
      await page.getByRole('button', { name: `Restore version ${firstId}` }).click();
      const restoreCall = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/templates/share/en/versions/${firstId}/restore`));
      await page.getByRole('button', { name: 'Yes, restore' }).click();
      assert.equal((await restoreCall).status(), 200);
      const after = await template('share', 'en');
      const newId = after.versions[0]?.id as number;
      await page
        .locator('#template-notice')
        .filter({ hasText: `Version ${firstId} restored as version ${newId}.` })
        .waitFor();
      assert.deepEqual(after.parts, first, 'the API has the first version in force');
      assert.equal(after.customized, true);
      assert.deepEqual(
        after.versions.map((v) => [v.action, v.createdBy, v.restoredFrom ?? null]),
        [
          ['restore', 'admin', firstId],
          ['set', 'browser-tests', null],
          ['set', 'browser-tests', null],
        ],
      );
      // The editors show it, nothing is unsaved, the preview renders it.
      await eventually(async () => (await page.getByLabel('Subject', { exact: true }).inputValue()) === first.subject, 'the subject field shows the restored subject');
      await eventually(async () => (await editorText(page, 'html')) === first.html, 'the HTML editor shows the restored HTML');
      assert.equal(await editorText(page, 'text'), first.text);
      assert.equal(await page.locator('#template-unsaved').count(), 0, 'nothing unsaved');
      await eventually(async () => (await page.locator('#preview-subject').innerText()) === 'Last week: Bob Berg shared Budget 2026.xlsx', 'the preview renders the restored subject');
      // The history lists the new version, in force, with where it came from.
      await eventually(async () => (await page.locator('#template-history li').count()) === 3, 'the history lists the new version');
      const newest = page.locator('#template-history li').first();
      assert.equal(await newest.getAttribute('data-action'), 'restore');
      assert.match(await newest.innerText(), new RegExp(`^Version ${newId} Restored from version ${firstId} by admin .*in force`, 's'));
      assert.equal(
        await row(page, secondId)
          .getByRole('button', { name: `Restore version ${secondId}` })
          .count(),
        1,
        'the version before is restorable now',
      );
      assert.equal(await page.locator('#template-state').innerText(), 'customized');
    });
  });

  it('shows in its row why a version that no longer passes the checks is not restored, and changes nothing', async () => {
    // A version an older Mailroom stored with a variable this template no longer has.
    const db = new BetterSqlite3(join(mailroom.dataDir, 'mailroom.sqlite'));
    let oldId: number;
    try {
      oldId = Number(db.prepare('INSERT INTO template_versions (name, lang, subject, html, text, action, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('share', 'en', 'Old', '<p>{{ sharer }} and {{ share_owner_avatar }}</p>', '', 'set', 'old-mailroom', Date.now()).lastInsertRowid);
    } finally {
      db.close();
    }
    await save(second);
    const before = await template('share', 'en');

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await openShare(page);
      await page.getByRole('button', { name: `Restore version ${oldId}` }).click();
      const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/versions/${oldId}/restore`));
      await page.getByRole('button', { name: 'Yes, restore' }).click();
      assert.equal((await refused).status(), 400);
      const alert = row(page, oldId).getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), new RegExp(`^Version ${oldId} was not restored: .*unknown variable "share_owner_avatar"`));
      assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), second.subject, 'the editors keep what was in force');
      assert.equal(await page.locator('#template-history li').count(), before.versions.length, 'no version was added');
    });
    assert.deepEqual(await template('share', 'en'), before, 'the API has nothing new');
  });
});
