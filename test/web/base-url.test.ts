/**
 * Links in mails work on a first install that listens on another port than 8080, with base_url
 * never set: `mailroom serve` with MAILROOM_PORT and its worker process mails an invitation whose
 * link, and the footer's, open in the browser; a `mailroom worker` started apart, without
 * MAILROOM_PORT, mails a reset link to the port serve listens on. An admin signed in at another
 * address than the one links lead to sees a banner until base_url is chosen on the General page,
 * where the sign-in address is one click away; a value the General page refuses stays in its field
 * until corrected.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import type { AppContext } from '../../src/context.ts';
import { buildContext } from '../../src/main.ts';
import { ADMIN_PASSWORD, DESKTOP, SCREENSHOT_DIR, descriptionOf, launchBrowser, screenshot, signIn, startMailroom, typeInto, waitForDescription, type MailroomInstance, type TestBrowser } from '../support/browser.ts';
import { closeAll } from '../support/close-all.ts';
import { postfixSettings } from '../support/mail-fixtures.ts';
import { freePort, readMaildir, startPostfix, type PostfixServer } from '../support/servers.ts';
import { startWorker, waitUntil, type WorkerEnv, type WorkerProcess } from '../support/worker-process.ts';

const NEW_PASSWORD = 'Juniper-Otter-Canyon-58';

interface SettingView {
  key: string;
  value: unknown;
  source: string;
}

describe('links in mails from an instance on a port of its own, base_url not set', { concurrency: 1 }, () => {
  let postfix: PostfixServer;
  let browser: TestBrowser;
  let dir: string;
  let ctx: AppContext;
  const processes: WorkerProcess[] = [];

  before(async () => {
    [postfix, browser, dir] = await Promise.all([startPostfix(), launchBrowser(), mkdtemp(join(tmpdir(), 'mailroom-base-url-'))]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(async () => {
    try {
      await Promise.all(processes.map((p) => p.stop(10_000)));
      await ctx?.close();
      await browser?.close();
      await rm(dir, { recursive: true, force: true });
    } finally {
      await postfix?.stop();
    }
  });

  /** The environment of every process on this install but MAILROOM_PORT, as an admin's shell would have it. */
  const shared: WorkerEnv = { MAILROOM_CONFIG: '/nonexistent/config.json', MAILROOM_ADMIN_PASSWORD: ADMIN_PASSWORD, MAILROOM_LOG_LEVEL: 'warn' };
  const envOf = (extra: Record<string, string>): WorkerEnv => ({ ...shared, MAILROOM_DATA_DIR: dir, ...extra });

  async function serve(port: number, args: string[] = []): Promise<WorkerProcess> {
    const p = startWorker(envOf({ MAILROOM_PORT: String(port) }), ['serve', ...args]);
    processes.push(p);
    await waitUntil(
      `serve on port ${port}`,
      async () => {
        if (!p.running()) assert.fail(`serve exited:\n${p.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    return p;
  }

  /** The first mail delivered to `address` with a link to `{origin}/{path}/…`: its link and the parsed mail. */
  async function mailWithLink(address: string, origin: string, path: string) {
    const pattern = new RegExp(`${origin.replace(/[.]/g, '\\.')}/${path}/[A-Za-z0-9_-]+`);
    return waitUntil(
      `a mail to ${address} with a link to ${origin}/${path}/…`,
      async () => {
        for (const delivered of await readMaildir(postfix.maildir)) {
          if (delivered.deliveredTo !== address) continue;
          const mail = await simpleParser(delivered.raw);
          const link = pattern.exec(mail.text ?? '')?.[0];
          if (link) return { link, mail };
        }
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  it('serve with MAILROOM_PORT and its worker process: the invitation link and the footer link open in the browser', async () => {
    const port = await freePort();
    // The mail server, saved as an admin would on the Email server page; base_url is left alone.
    ctx = await buildContext({ env: { PATH: process.env['PATH'], ...envOf({ MAILROOM_PORT: String(port) }) }, logLevel: 'silent' });
    await ctx.settings.update({ ...postfixSettings(postfix), mail_smtptimeout: 5, mail_from_address: 'cloud', mail_domain: 'example.org' });
    const server = await serve(port);
    const origin = `http://127.0.0.1:${port}`;

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page: admin }) => {
      await signIn(admin, origin, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      // Links lead where the admin is: no banner.
      await admin.getByRole('heading', { level: 1, name: 'Email server' }).waitFor();
      assert.equal(await admin.locator('#base-url-banner').count(), 0);
      await admin.getByRole('link', { name: 'Users' }).click();
      const form = admin.locator('form#user-add');
      await form.getByLabel('User name').fill('noor');
      await form.getByLabel('Display name').fill('Noor Haddad');
      await form.getByLabel('Email').fill('noor@example.org');
      await form.getByRole('button', { name: 'Add user' }).click();
      await admin.locator('#users-status').getByRole('status').filter({ hasText: 'User noor added. Invitation to noor@example.org queued.' }).waitFor();
    });

    // Rendered by serve's worker process, which learnt the port from the database.
    const { link, mail } = await mailWithLink('noor@example.org', origin, 'set-password');
    const html = typeof mail.html === 'string' ? mail.html : '';
    assert.ok(html.includes(`href="${link}"`), 'the button leads to the same link');
    assert.ok(html.includes(`<a href="${origin}"`), `the footer links to ${origin}`);
    assert.ok(!`${mail.text ?? ''}${html}`.includes(':8080'), 'nothing leads to port 8080');

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: 'Welcome, Noor Haddad' }).waitFor();
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('status').filter({ hasText: 'Your password is set. You can sign in with it now.' }).waitFor();
      // The footer's link: the sign-in page of the same Mailroom.
      await page.goto(origin);
      await page.getByRole('heading', { level: 1, name: 'Sign in to Mailroom' }).waitFor();
      await signIn(page, origin, 'noor', NEW_PASSWORD, /\/personal$/);
    });
    const stopped = await server.stop(15_000);
    assert.equal(stopped.code, 0, server.output());
    // serve's log says where links lead, since no one chose it.
    assert.match(server.output(), new RegExp(`"event":"base_url_derived".*base_url is not set: links in mails start with ${origin.replace(/[.]/g, '\\.')}, the address Mailroom listens on`));
  });

  it('a mailroom worker started apart, without MAILROOM_PORT, mails links to the port serve listens on', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await serve(port, ['--no-worker']);
    // The admin's own worker: the same database, no MAILROOM_PORT (it would be 8080).
    const worker = startWorker(envOf({}), ['worker']);
    processes.push(worker);

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await page.goto(`${origin}/forgot`);
      await page.getByLabel('User name or email').fill('noor');
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByText('a link to reset the password is on its way').waitFor();
    });
    const { link } = await mailWithLink('noor@example.org', origin, 'reset');
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
      assert.equal(await page.getByLabel('New password', { exact: true }).count(), 1, 'the link is live');
    });
    const stopped = await worker.stop(15_000);
    assert.equal(stopped.code, 0, worker.output());
  });
});

describe('the General page and the banner about where links lead', () => {
  let mailroom: MailroomInstance;
  let browser: TestBrowser;

  before(async () => {
    [mailroom, browser] = await Promise.all([startMailroom(), launchBrowser()]);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(() => closeAll(browser, mailroom));

  const baseUrlOf = async () => {
    const r = await mailroom.api<{ settings: SettingView[] }>('GET', '/api/v1/settings/mail');
    return r.body.settings.find((s) => s.key === 'base_url');
  };

  it('shows the banner to an admin signed in at another address, and the sign-in address takes one click', async () => {
    const served = mailroom.url;
    const here = served.replace('127.0.0.1', 'localhost');
    assert.deepEqual(await baseUrlOf(), { key: 'base_url', value: served, source: 'default', isSet: true, secret: false, locked: false, fileOnly: false });

    // The Chinese picture: the admin's own language is Chinese for it, the sign-in page is English.
    const chinese = await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'zh-CN' } });
    assert.equal(chinese.status, 200, JSON.stringify(chinese.body));
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, here, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.goto(`${here}/admin/general`);
      await page.getByRole('heading', { level: 1, name: '常规' }).waitFor();
      await page
        .locator('#base-url-banner')
        .filter({ hasText: `邮件中的链接指向 ${served}` })
        .waitFor();
      await screenshot(page, 'admin-general.zh-CN.png');
    });
    await mailroom.api('PATCH', '/api/v1/users/admin', { body: { language: 'en' } });

    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, here, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      const banner = page.locator('#base-url-banner');
      await banner.waitFor();
      assert.equal((await banner.innerText()).trim(), `Links in mails lead to ${served}, the address Mailroom listens on, but you are signed in at ${here}. No one has set the address users reach Mailroom at. Set it on the General page.`);
      // On every admin page, until the address is chosen.
      await page.getByRole('link', { name: 'Outbox' }).click();
      await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
      assert.equal(await banner.count(), 1);
      await banner.getByRole('link', { name: 'Set it on the General page.' }).click();
      await page.getByRole('heading', { level: 1, name: 'General' }).waitFor();

      const field = page.getByLabel('Base URL');
      assert.equal(await field.inputValue(), served);
      assert.match(await descriptionOf(field), /Every link in a mail .* starts with it\./);
      await page
        .locator('#base-url-derived')
        .filter({ hasText: `Not set: links start with ${served}, the address Mailroom listens on.` })
        .waitFor();
      await screenshot(page, 'admin-general.png');

      await page.getByRole('button', { name: `Use ${here}` }).click();
      await waitForDescription(field, /✓ Saved/);
      assert.equal(await field.inputValue(), here);
      await banner.waitFor({ state: 'detached' });
      assert.equal(await page.locator('#base-url-derived').count(), 0);
      assert.deepEqual(await baseUrlOf(), { key: 'base_url', value: here, source: 'database', isSet: true, secret: false, locked: false, fileOnly: false });

      // A refused value says why, next to the field, and nothing is saved.
      const accent = page.getByLabel('Accent colour');
      await typeInto(accent, 'blue');
      await waitForDescription(accent, /must be a colour such as #0082c9/);
      assert.equal(await accent.getAttribute('aria-invalid'), 'true');
      await typeInto(accent, '#aa3300');
      await waitForDescription(accent, /✓ Saved/);
      await typeInto(page.getByLabel('Instance name'), 'Harbor Cloud');
      await waitForDescription(page.getByLabel('Instance name'), /✓ Saved/);
      await typeInto(page.getByLabel('Footer'), 'Harbor Cloud · 1 Quay Street');
      await waitForDescription(page.getByLabel('Footer'), /✓ Saved/);
      // The logo's size: numbers, checked by the server like any setting.
      const width = page.getByLabel('Logo width (pixels)');
      assert.equal(await width.inputValue(), '160');
      await typeInto(width, '8');
      await waitForDescription(width, /must be between 16 and 400 \(pixels\)/);
      await typeInto(width, '180');
      await waitForDescription(width, /✓ Saved/);
      await typeInto(page.getByLabel('Logo URL for dark mode'), 'https://cloud.example.com/logo-dark.png');
      await waitForDescription(page.getByLabel('Logo URL for dark mode'), /✓ Saved/);
      const s = await mailroom.ctx.settings.get();
      assert.deepEqual([s.mail_accent_color, s.instance_name, s.mail_footer], ['#aa3300', 'Harbor Cloud', 'Harbor Cloud · 1 Quay Street']);
      assert.deepEqual([s.mail_logo_width, s.mail_logo_height, s.mail_logo_dark_url], [180, 40, 'https://cloud.example.com/logo-dark.png']);

      // Back to the address Mailroom listens on: the banner returns.
      await page.getByRole('button', { name: 'Use the address Mailroom listens on' }).click();
      await banner.waitFor();
      assert.equal((await baseUrlOf())?.source, 'default');
    });
  });

  it('keeps a refused value in its field with its message while another field is saved, until it is corrected', async () => {
    const settingOf = async (key: string) => (await mailroom.api<{ settings: SettingView[] }>('GET', '/api/v1/settings/mail')).body.settings.find((s) => s.key === key);
    const accentBefore = (await settingOf('mail_accent_color'))?.value;
    await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
      await signIn(page, mailroom.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
      await page.goto(`${mailroom.url}/admin/general`);
      const accent = page.getByLabel('Accent colour');
      await typeInto(accent, 'blue');
      await waitForDescription(accent, /must be a colour such as #0082c9/);
      assert.equal(await accent.getAttribute('aria-invalid'), 'true');

      // Another field saved: its answer holds every saved value, and the refused one stays put.
      const name = page.getByLabel('Instance name');
      await typeInto(name, 'Harbour Cloud');
      await waitForDescription(name, /✓ Saved/);
      assert.equal(await accent.inputValue(), 'blue', 'the refused value is still in its field');
      assert.match(await descriptionOf(accent), /must be a colour such as #0082c9/, 'with its message');
      assert.equal((await settingOf('mail_accent_color'))?.value, accentBefore, 'and nothing of it was saved');

      await typeInto(accent, '#2a7ab0');
      await waitForDescription(accent, /✓ Saved/);
      assert.equal(await accent.getAttribute('aria-invalid'), null);
      assert.equal((await settingOf('mail_accent_color'))?.value, '#2a7ab0');
      await page.reload();
      assert.equal(await page.getByLabel('Accent colour').inputValue(), '#2a7ab0');
      assert.equal(await page.getByLabel('Instance name').inputValue(), 'Harbour Cloud');
    });
    await mailroom.api('PATCH', '/api/v1/settings/mail', { body: { instance_name: null, mail_accent_color: null } });
  });

  it('shows no banner while the environment sets base_url, wherever it points', async () => {
    const fixed = await startMailroom({ env: { MAILROOM_BASE_URL: 'https://cloud.example.com' } });
    try {
      await browser.withPage({ locale: 'en-US', viewport: DESKTOP }, async ({ page }) => {
        await signIn(page, fixed.url, 'admin', ADMIN_PASSWORD, /\/admin\/email$/);
        await page.goto(`${fixed.url}/admin/general`);
        const field = page.getByLabel('Base URL');
        assert.equal(await field.inputValue(), 'https://cloud.example.com');
        assert.equal(await field.isDisabled(), true);
        assert.match(await descriptionOf(field), /Fixed by the environment; change it there\./);
        assert.equal(await page.getByRole('button', { name: /^Use / }).count(), 0, 'nothing to click on a locked field');
        assert.equal(await page.locator('#base-url-banner').count(), 0);
      });
    } finally {
      await fixed.close();
    }
  });
});
