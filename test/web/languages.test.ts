/**
 * The web interface in the languages of its catalogs (web/catalogs/), seen in Chromium: the
 * sign-in page in the browser's language along the fallback chain, the admin pages in German,
 * Japanese and Arabic (right to left, mirrored, addresses kept left to right) with a screenshot
 * of each for the manual, and every page in the pseudo-locale en-XA (each string 40 % longer,
 * accented, in brackets) without text cut off or a word left out of the catalogs.
 */
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { LANGUAGES, type Language } from '../../src/domain/languages.ts';
import { loadCatalog, translator, type MessageKey, type Translate } from '../../web/i18n.ts';
import { PSEUDO_LOCALE } from '../../web/pseudo-locale.ts';
import { assertWholeChoices, DESKTOP, eventually, launchBrowser, PHONE, SCREENSHOT_DIR, scrollsSideways, startMailroom, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';

/** The pages an admin works with, their headings' keys, and what shows that a page has what it loads. */
const PAGES = [
  { name: 'email-server', path: '/admin/email', title: 'emailTitle', ready: '#f-mail_smtphost' },
  { name: 'general', path: '/admin/general', title: 'generalTitle', ready: '#f-mail_default_language' },
  { name: 'templates', path: '/admin/templates', title: 'templatesTitle', ready: '#template-preview[data-state="ready"]' },
  { name: 'outbox', path: '/admin/outbox', title: 'outboxTitle', ready: '#outbox-list' },
  { name: 'users', path: '/admin/users', title: 'usersTitle', ready: '#users-list' },
  { name: 'personal', path: '/personal', title: 'personalTitle', ready: '#me-language' },
] as const satisfies ReadonlyArray<{ name: string; path: string; title: MessageKey; ready: string }>;

/** An admin per language, as a user of that language would have it. */
const ADMINS = [
  { language: 'de', uid: 'jonas.weber', display_name: 'Jonas Weber', timezone: 'Europe/Berlin' },
  { language: 'ja', uid: 'sato.yui', display_name: '佐藤 結衣', timezone: 'Asia/Tokyo' },
  { language: 'ar', uid: 'noor.haddad', display_name: 'نور حداد', timezone: 'Asia/Riyadh' },
] as const satisfies ReadonlyArray<{ language: Language; uid: string; display_name: string; timezone: string }>;
const PASSWORD = 'Harbor-Lantern-Quartz-5521';
/** The pictures for the manual: what a window shows, as JPEG, small enough to keep. */
const QUALITY = 70;

const translators = new Map<string, Translate>();
function tr(language: string): Translate {
  const t = translators.get(language);
  assert.ok(t, `the catalog of ${language} is loaded`);
  return t;
}

/** Signs in on /login by the fields' ids (the page speaks the browser's language). */
async function signInAs(page: Page, url: string, uid: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.locator('#login-user').fill(uid);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-password').press('Enter');
  await page.waitForURL(/\/admin\/email$/);
}

/**
 * Text the page cuts off: an element whose content is wider or taller than the box that hides
 * its overflow, or a button or label wider than the window. Each as "tag: text".
 */
function clippedTexts(page: Page): Promise<string[]> {
  // A string, not a function: the test runner's transform would name inner functions with a
  // helper the page does not have.
  return page.evaluate<string[]>(`(() => {
    const out = [];
    const hides = (o) => o === 'hidden' || o === 'clip';
    for (const el of document.querySelectorAll('body *')) {
      if (el.offsetParent === null || el.closest('.skip, .visually-hidden, .cm-editor, iframe, pre, select, textarea, input')) continue;
      const text = (el.innerText || '').trim();
      if (text === '') continue;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      const wide = el.scrollWidth > el.clientWidth + 1 && (hides(style.overflowX) || style.textOverflow === 'ellipsis');
      const tall = el.scrollHeight > el.clientHeight + 1 && hides(style.overflowY);
      const outside = box.right > window.innerWidth + 1 || box.left < -1;
      if (wide || tall || (outside && el.matches('button, label, a, h1, h2, h3, th, legend'))) out.push(el.tagName.toLowerCase() + ': ' + text.slice(0, 60));
    }
    return out;
  })()`);
}

/**
 * The interface's own words the pseudo-locale shows unaccented: every heading, label, button,
 * table heading, legend, menu entry and hint comes from the catalogs, so each is in brackets.
 * Data (names, addresses, subjects, codes) is not in these elements, or is skipped by its place.
 */
function wordsNotFromCatalogs(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('h1, h2, h3, label, button, th, legend, nav a, .hint')) {
      if (el.offsetParent === null || el.closest('.cm-editor, td, tbody th, .setting-key, code')) continue;
      const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent || '').join('').trim();
      if (/[A-Za-z]{3}/.test(own) && !/[\\[\\]]/.test(own)) out.push(el.tagName.toLowerCase() + ': ' + own.slice(0, 60));
    }
    return out;
  })()`);
}

describe('the web interface in other languages', () => {
  let browser: TestBrowser;
  let mailroom: MailroomInstance;

  before(async () => {
    [browser, mailroom] = await Promise.all([launchBrowser(), startMailroom()]);
    for (const language of ['de', 'ja', 'ar', 'pt-BR'] as const) await loadCatalog(language);
    for (const language of ['en', 'de', 'ja', 'ar', 'pt-BR', PSEUDO_LOCALE] as const) translators.set(language, translator(language));
    // An instance in use: a mail server (no worker runs, so nothing is sent), links to this address.
    await mailroom.ctx.settings.update({ instance_name: 'Example Cloud', base_url: mailroom.url, mail_smtpmode: 'smtp', mail_smtphost: 'smtp.example.org', mail_smtpport: 587, mail_smtpsecure: 'tls', mail_smtpauth: true, mail_smtpname: 'cloud@example.org', mail_from_address: 'cloud', mail_domain: 'example.org' });
    for (const admin of ADMINS) await mailroom.ctx.users.add({ ...admin, email: `${admin.uid}@example.org`, password: PASSWORD, admin: true });
    const sent = await mailroom.api('POST', '/api/v1/messages', { body: { to: 'team@example.org', subject: 'Wartung am Samstag, 06:00–08:00', text: 'x' } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await mkdir(join(SCREENSHOT_DIR, 'languages'), { recursive: true });
  });

  after(() => closeAll(browser, mailroom));

  it("speaks the browser's language before sign-in, along the fallback chain: de-AT → German, pt-PT → Brazilian Portuguese, Swedish → English", async () => {
    for (const [locale, language] of [
      ['de-AT', 'de'],
      ['pt-PT', 'pt-BR'],
      ['sv-SE', 'en'],
    ] as const) {
      await browser.withPage({ locale }, async ({ page }) => {
        await page.goto(`${mailroom.url}/login`);
        await page.getByRole('heading', { level: 1, name: tr(language)('loginTitle'), exact: true }).waitFor();
        assert.equal(await page.evaluate<string>('document.documentElement.lang'), language, locale);
        assert.equal(await page.locator('button[type=submit]').first().innerText(), tr(language)('loginSubmit'));
      });
    }
  });

  for (const admin of ADMINS) {
    const { name: own, direction } = LANGUAGES[admin.language];
    it(`shows every admin page in ${own} (${admin.language}, ${direction}) to an admin who chose it, whatever the browser's language, with a picture of each`, async () => {
      const t = tr(admin.language);
      let bytes = 0;
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signInAs(page, mailroom.url, admin.uid);
        for (const shown of PAGES) {
          await page.goto(`${mailroom.url}${shown.path}`);
          await page.getByRole('heading', { level: 1, name: t(shown.title), exact: true }).waitFor();
          await page.locator(shown.ready).first().waitFor();
          assert.deepEqual(await page.evaluate<[string, string]>('[document.documentElement.lang, document.documentElement.dir]'), [admin.language, direction], `${shown.name}: the document's language and direction`);
          const menu = await page.locator('header nav a').allInnerTexts();
          for (const key of ['navEmailServer', 'navGeneral', 'navTemplates', 'navOutbox', 'navUsers'] as const) assert.ok(menu.includes(t(key)), `${shown.name}: the menu has ${t(key)} (${menu.join(' | ')})`);
          assert.deepEqual(await clippedTexts(page), [], `${shown.name} (${admin.language}): nothing cut off`);
          await page.evaluate('window.scrollTo(0, 0)');
          const picture = join(SCREENSHOT_DIR, 'languages', `${shown.name}.${admin.language}.jpg`);
          await page.screenshot({ path: picture, type: 'jpeg', quality: QUALITY, animations: 'disabled' });
          bytes += (await stat(picture)).size;
        }
        // Kept in the repository: six pictures a language must stay well under a megabyte.
        assert.ok(bytes < 700_000, `the ${admin.language} pictures take ${(bytes / 1e6).toFixed(2)} MB`);

        if (direction === 'rtl') {
          // Mirrored: the brand at the right edge, the menu reading from the right, a field's
          // label at the right of its box; an address in a field still reads left to right.
          await page.goto(`${mailroom.url}/personal`);
          await page.locator('#me-language').waitFor();
          await page.locator('html[dir="rtl"]').waitFor({ state: 'attached' });
          const brand = await page.locator('header .brand').boundingBox();
          assert.ok(brand && brand.x > DESKTOP.width / 2, `the brand is at the right: x = ${brand?.x}`);
          const email = page.locator('input[type=email]').first();
          assert.equal(await email.evaluate((el) => getComputedStyle(el).direction), 'ltr', 'an address reads left to right');
          assert.equal(await page.locator('main').evaluate((el) => getComputedStyle(el).direction), 'rtl');
          await page.goto(`${mailroom.url}/admin/email`);
          const local = await page.locator('#f-mail_from_address').boundingBox();
          const domain = await page.locator('#f-mail_domain').boundingBox();
          assert.ok(local && domain && local.x < domain.x, 'the sender address reads cloud @ example.org, left to right');
        }
      });
    });
  }

  it('keeps the language an admin just chose on the Personal page: the page changes language without reloading, and stays', async () => {
    const t = tr('ja');
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signInAs(page, mailroom.url, ADMINS[0].uid);
      await page.goto(`${mailroom.url}/personal`);
      await page.getByRole('heading', { level: 1, name: tr('de')('personalTitle'), exact: true }).waitFor();
      await page.locator('#me-language').selectOption('ja');
      await page.getByRole('heading', { level: 1, name: t('personalTitle'), exact: true }).waitFor();
      assert.equal(await page.evaluate<string>('document.documentElement.lang'), 'ja');
      await page.reload();
      await page.getByRole('heading', { level: 1, name: t('personalTitle'), exact: true }).waitFor();
      await page.locator('#me-language').selectOption('de');
      await page.getByRole('heading', { level: 1, name: tr('de')('personalTitle'), exact: true }).waitFor();
    });
  });

  it('shows every page in the pseudo-locale en-XA (?hl=en-XA) with every word from the catalogs and nothing cut off, on a desktop and a phone', async () => {
    const t = tr(PSEUDO_LOCALE);
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signInAs(page, mailroom.url, ADMINS[0].uid);
      // The check sees words that are not the pseudo-locale's: the same page in German has many.
      await page.getByRole('heading', { level: 1, name: tr('de')('emailTitle'), exact: true }).waitFor();
      await page.locator('#f-mail_smtphost').waitFor();
      assert.ok((await wordsNotFromCatalogs(page)).length > 10, 'the check finds German words on the German page');
      for (const shown of PAGES) {
        await page.setViewportSize(DESKTOP);
        await page.goto(`${mailroom.url}${shown.path}?hl=${PSEUDO_LOCALE}`);
        await page.getByRole('heading', { level: 1, name: t(shown.title), exact: true }).waitFor();
        await page.locator(shown.ready).first().waitFor();
        assert.deepEqual(await wordsNotFromCatalogs(page), [], `${shown.name}: words the catalogs do not have`);
        for (const viewport of [DESKTOP, PHONE]) {
          await page.setViewportSize(viewport);
          await eventually(async () => (await clippedTexts(page)).length === 0, `${shown.name} at ${viewport.width} px: nothing cut off (${(await clippedTexts(page)).join(' | ')})`, 3000);
          const wide = await scrollsSideways(page);
          assert.ok(!wide.sideways, `${shown.name} at ${viewport.width} px fits: ${wide.scrollWidth} px wide`);
          await assertWholeChoices(page);
        }
      }
    });
  });
});
